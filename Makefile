# Sanad: the two commands of the README, and a few helpers.
.PHONY: run test setup setup-test ask index bench lint screenshots

run: setup            ## set up, then start the chatbot server on the default corpus
	.venv/bin/bot serve

test: setup-test      ## set up (incl. test tools and Chromium), then run every test
	.venv/bin/python -m pytest -q

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

ask: setup            ## make ask Q="How many US troops are in Qatar?"
	.venv/bin/bot ask "$(Q)"

index: setup
	.venv/bin/bot index build

screenshots: setup-test  ## regenerate docs/screenshots/ (the browser tests, saving their screenshots there)
	SANAD_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q -m browser tests/test_browser.py

bench: setup
	.venv/bin/python scripts/bench.py

lint: setup-test       ## ruff check and ruff format --check (CI runs it)
	.venv/bin/ruff check bot tests scripts
	.venv/bin/ruff format --check bot tests scripts
