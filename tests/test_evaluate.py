"""Evaluation metrics on a tiny set with a scripted answerer."""

from __future__ import annotations

import json

import pytest

from bot.errors import InputError
from bot.evaluate import evaluate, read_items


def test_metrics_on_a_tiny_set(tmp_path):
    f = tmp_path / "set.jsonl"
    rows = [
        {"question": "first?", "gold_ids": ["d:1"]},  # rank 1
        {"question": "second?", "gold_quotes": ["beta"]},  # rank 2 via quote
        {"question": "ثالث؟", "gold_ids": ["d:9"]},  # not found
        {"question": "off topic?", "unanswerable": True},  # abstained
        {"question": "خارج الموضوع؟", "unanswerable": True},  # answered (wrong)
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n")
    answers = {
        "first?": (True, [("d:1", "alpha")]),
        "second?": (False, [("d:1", "alpha"), ("d:2", "the beta text")]),
        "ثالث؟": (True, [("d:1", "alpha"), ("d:2", "beta")]),
        "off topic?": (False, [("d:1", "alpha")]),
        "خارج الموضوع؟": (True, [("d:2", "beta")]),
    }

    def ask(q):
        ok, cites = answers[q]
        return {"answerable": ok, "citations": [{"id": i, "text": t} for i, t in cites]}

    report = evaluate(read_items(f), ask)
    o = report["overall"]
    assert (o["n"], o["R@1"], o["R@3"]) == (3, round(1 / 3, 4), round(2 / 3, 4))
    assert o["MRR"] == round((1 + 0.5) / 3, 4)
    assert (o["unanswerable"], o["abstained_unanswerable"], o["wrongly_abstained"]) == (2, 1, 1)
    assert o["coverage"] == 0.6  # 3 of 5 answered
    assert o["precision"] == round(1 / 3, 4)  # of those, only "first?" cites the gold first
    assert report["by_language"]["ar"]["n"] == 1 and report["by_language"]["ar"]["R@1"] == 0
    assert report["by_language"]["en"]["R@1"] == 0.5
    assert [q["rank"] for q in report["questions"]] == [1, 2, None, None, None]


@pytest.mark.parametrize(
    "line, message",
    [
        ("{bad", "not valid JSON"),
        ('{"q": "x"}', 'needs a "question"'),
        ('{"question": "x"}', "gold_ids"),
    ],
)
def test_bad_lines_name_the_line(tmp_path, line, message):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"question": "ok", "unanswerable": true}\n' + line + "\n")
    with pytest.raises(InputError, match=f"bad.jsonl:2: .*{message}"):
        read_items(f)
