"""Quality floors with the real model and the default retriever, on the seed question sets.

The floors sit just under the figures measured when they were set (docs/quality.md), so a
regression fails here. The recall targets are higher (dev R@1 >= 0.9, R@3 >= 0.97): raise the
floors as retrieval improves. The abstention rule is fitted on dev + held-out + the tune splits
of the near-miss and kinds sets; their floors are asserted on their held-out splits only.
"""

from __future__ import annotations

import pytest

from bot.evaluate import RANK_DEPTH, evaluate, read_items
from bot.settings import ROOT

pytestmark = pytest.mark.model


def run(sanad, name: str, split: str | None = None) -> dict:
    items = read_items(ROOT / "tests/data" / name, split)
    return evaluate(items, lambda q: sanad.ask(q, top_k=RANK_DEPTH).to_dict())


@pytest.fixture(scope="module")
def dev(real_sanad):
    return run(real_sanad, "dev.jsonl")


@pytest.fixture(scope="module")
def heldout(real_sanad):
    return run(real_sanad, "heldout.jsonl")


def test_dev_set_recall(dev):
    o = dev["overall"]
    assert o["n"] >= 40
    assert o["R@1"] >= 0.87, o  # measured 0.891 (0.870 before the choice of the answer passage)
    assert o["R@3"] >= 0.93, o  # measured 0.935
    assert o["MRR"] >= 0.89, o  # measured 0.901


def test_dev_set_abstention(dev):
    o = dev["overall"]
    assert o["unanswerable"] >= 8
    assert o["abstained_unanswerable"] >= 0.875 * o["unanswerable"], o  # measured 10 of 10
    assert o["wrongly_abstained"] <= 1, o  # measured 1 (a rank-6 retrieval miss; 2 before)


def test_both_languages_are_served(dev):
    assert dev["by_language"]["ar"]["R@1"] >= 0.79, dev["by_language"]  # measured 0.792
    assert dev["by_language"]["en"]["R@1"] >= 0.9, dev["by_language"]  # measured 0.909


def test_heldout_set(heldout):
    o = heldout["overall"]
    assert o["R@1"] >= 0.96, o  # measured 1.000
    assert o["abstained_unanswerable"] >= 11, o  # measured 11 of 12 (hard negatives)
    assert o["wrongly_abstained"] <= 1, o  # measured 0


def test_near_misses_heldout_split(real_sanad, dev, heldout):
    """Off-article questions naming the article's people and places, never tuned on.

    The goal is 75% refused with at most 2% of answerable questions (dev + held-out) wrongly
    refused; measured 30 of 32 (94%) and 1 of 74 (1.4%): the floor is the measurement.
    """
    o = run(real_sanad, "nearmiss.jsonl", "heldout")["overall"]
    assert o["unanswerable"] == 32
    assert o["abstained_unanswerable"] >= 30, o  # measured 30 (23 before the passage recognisers)
    wrong = dev["overall"]["wrongly_abstained"] + heldout["overall"]["wrongly_abstained"]
    assert wrong <= 1, wrong  # measured 1 of 74 (2 before the choice of the answer passage)


def test_answerable_questions_of_every_kind_heldout_split(real_sanad):
    """Answerable when, how many, who and where questions (kinds.jsonl, batch 2, never tuned
    on): the focus check must not refuse what the article answers."""
    o = run(real_sanad, "kinds.jsonl", "heldout")["overall"]
    assert o["n"] == 25
    # measured 0 of 25 (4 before the dialect words, 3 before the title phrases, the study
    # event and the locative verbs)
    assert o["wrongly_abstained"] <= 0, o


def test_the_passage_offering_the_focus_is_answered_with(real_sanad):
    """ "How many American soldiers are based in Qatar?" ranks the Gulf War sentence (soldiers,
    no number) just above the number of US troops; it was refused, it is answered with the
    number (bot/choice.py). A near miss of the same shape is still refused."""
    a = real_sanad.ask("How many American soldiers are based in Qatar?")
    assert a.answerable
    assert a.citations[0].id == "qatar-defense-partnerships:7"
    assert a.evidence.moved_from == 2
    # the sentence naming him "Al Thani" only, at rank 5 (bot/names.py)
    tamim = real_sanad.ask("الشيخ تميم متخرج من وين؟")
    assert tamim.answerable and tamim.citations[0].id == "qatar-defense-partnerships:18"
    # named by the title the article gives him, at rank 8 (bot/names.py: title phrases)
    emir = real_sanad.ask("من أين تخرج أمير قطر؟")
    assert emir.answerable and emir.citations[0].id == "qatar-defense-partnerships:18"
    assert emir.evidence.moved_from == 8
    # "The base serves as … hub": the base the previous sentence names (names.antecedents)
    hub = real_sanad.ask("Where is US Central Command's operational hub?")
    assert hub.answerable and hub.citations[0].id == "qatar-defense-partnerships:6"
    miss = real_sanad.ask("How many British troops are stationed in Qatar?")
    assert not miss.answerable
    assert miss.evidence.moved_from == 1


def test_dialect_and_third_batch_heldout_b(real_sanad):
    """The third batch (kinds and near misses, split heldout-b) was written before the choice
    of the answer passage and the dialect words, and only measured."""
    kinds = run(real_sanad, "kinds.jsonl", "heldout-b")["overall"]
    assert kinds["n"] == 24
    assert kinds["R@1"] >= 0.87, kinds  # measured 0.875 (0.833 before)
    assert kinds["wrongly_abstained"] <= 1, kinds  # measured 1 of 24 (2, then 4 before)
    near = run(real_sanad, "nearmiss.jsonl", "heldout-b")["overall"]
    assert near["abstained_unanswerable"] >= 12, near  # measured 12 of 12 (11 before)
