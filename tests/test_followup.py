"""Follow-up resolution: which questions take the earlier topic, and what it does to R@1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InputError
from bot.followup import (
    Conversation,
    Turn,
    content_words,
    evaluate_followups,
    read_conversations,
    resolve,
)

DATA = Path(__file__).parent / "data" / "followups.jsonl"
ALLY = [Turn("user", "Who designated Qatar a major non-NATO ally?"),
        Turn("assistant", "President Joe Biden.")]


@pytest.mark.parametrize("text, words", [
    ("When was that?", ()),
    ("And the British one?", ("British",)),
    ("ولأي غرض؟", ("غرض",)),
    ("وماذا يتيح لها ذلك؟", ("يتيح",)),
    ("How many soldiers are there in 2024?", ("soldiers", "2024")),
])
def test_content_words_drop_function_words_and_proclitics(text, words):
    assert content_words(text) == words


def test_short_follow_up_takes_the_previous_user_topic_not_the_answer():
    res = resolve("When was that?", ALLY)
    assert res.resolved and res.query == "When was that? designated Qatar major non NATO ally"
    assert "Biden" not in res.query


@pytest.mark.parametrize("question", ["Which US command uses it?", "Did the Emir study there?",
                                      "وهل توجد أسراب مشتركة أخرى؟"])
def test_question_with_its_own_topic_is_left_alone(question):
    res = resolve(question, ALLY)
    assert not res.resolved and res.query == question


def test_no_history_means_no_resolution():
    assert resolve("When was that?").query == "When was that?"


def test_a_chain_of_follow_ups_keeps_the_first_topic():
    history = [Turn("user", "ما هي قاعدة العديد؟"), Turn("assistant", "…"),
               Turn("user", "وما دورها؟"), Turn("assistant", "…")]
    res = resolve("ولماذا؟", history)
    assert res.resolved and "قاعدة" in res.query and "العديد" in res.query


def test_evaluate_counts_hits_with_and_without_resolution():
    items = [Conversation(tuple(ALLY), "When was that?", ("d:9",))]
    # A fake retriever: only the resolved query (which mentions NATO) finds d:9.
    report = evaluate_followups(items, lambda q, rq: "d:9" if "NATO" in rq else "d:2")
    assert (report["R@1_without"], report["R@1_with"], report["resolved"]) == (0.0, 1.0, 1)


def test_read_conversations_parses_the_dev_set_and_rejects_bad_lines(tmp_path):
    items = read_conversations(DATA)
    assert len(items) == 24 and items[0].history[0].role == "user"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:1"):
        read_conversations(bad)


@pytest.mark.model
def test_resolution_improves_r_at_1_on_the_dev_set(real_sanad):
    report = evaluate_followups(read_conversations(DATA), lambda q, rq: real_sanad.ask(
        q, retrieval_query=rq).citations[0].id)
    # Measured 0.542 without and 0.583 with resolution (docs/api.md); 0.583 / 0.625 before
    # late-interaction reranking, which loses two English anaphora questions here.
    assert report["R@1_with"] >= 0.58 and report["R@1_with"] > report["R@1_without"]
