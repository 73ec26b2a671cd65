"""Quality floors on the seed dev set, with the real model and the default retriever.

These guard against regressions; the measured figures are in docs/quality.md.
"""

from __future__ import annotations

import pytest

from bot.evaluate import RANK_DEPTH, evaluate, read_items
from bot.settings import ROOT

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def dev_report(real_sanad):
    items = read_items(ROOT / "tests/data/dev.jsonl")
    return evaluate(items, lambda q: real_sanad.ask(q, top_k=RANK_DEPTH).to_dict())


def test_dev_set_recall(dev_report):
    o = dev_report["overall"]
    assert o["n"] >= 40
    assert o["R@1"] >= 0.9, o
    assert o["R@3"] >= 0.97, o


def test_dev_set_abstention(dev_report):
    o = dev_report["overall"]
    assert o["unanswerable"] >= 8
    assert o["abstained_unanswerable"] >= 0.875 * o["unanswerable"], o
    assert o["wrongly_abstained"] <= 1, o


def test_both_languages_are_served(dev_report):
    for lang in ("ar", "en"):
        assert dev_report["by_language"][lang]["R@1"] >= 0.8, dev_report["by_language"]
