"""Measuring retrieval and abstention on a question set (JSONL).

Each line is one of::

    {"question": "...", "gold_ids": ["doc:3", ...]}
    {"question": "...", "gold_quotes": ["substring", ...]}   a hit's text contains one of them
    {"question": "...", "unanswerable": true}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .normalize import question_language

RANK_DEPTH = 10
#: The split names of the sets in tests/data: a batch tuned on and its held-aside twin
#: (tune/heldout, tune-c/heldout-c) or a batch only measured (heldout-b).
SPLITS = ("tune", "heldout", "heldout-b", "tune-c", "heldout-c")


@dataclass(frozen=True)
class Item:
    """One evaluation question."""

    question: str
    gold_ids: tuple[str, ...] = ()
    gold_quotes: tuple[str, ...] = ()
    unanswerable: bool = False
    split: str | None = None  # one of SPLITS when the set is split

    def is_hit(self, citation: dict) -> bool:
        """Does this citation answer the question?"""
        if citation["id"] in self.gold_ids:
            return True
        return any(q in citation["text"] for q in self.gold_quotes)


def read_items(path: Path, split: str | None = None) -> list[Item]:
    """Parse an evaluation file (only the ``split`` items when given); errors name the line."""
    items = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str):
            raise InputError(f'{path}:{n}: each line needs a "question" string')
        item = Item(
            row["question"],
            tuple(row.get("gold_ids", ())),
            tuple(row.get("gold_quotes", ())),
            bool(row.get("unanswerable", False)),
            row.get("split"),
        )
        if not (item.gold_ids or item.gold_quotes or item.unanswerable):
            raise InputError(f'{path}:{n}: give "gold_ids", "gold_quotes" or "unanswerable": true')
        if split is None or item.split in (None, split):
            items.append(item)
    if not items:
        raise InputError(f"{path} holds no questions" + (f" in split {split!r}" if split else ""))
    return items


def _summary(rows: list[dict]) -> dict:
    answerable = [r for r in rows if not r["unanswerable"]]
    unanswerable = [r for r in rows if r["unanswerable"]]
    answered = [r for r in rows if r["answerable"]]
    n = len(answerable)

    def recall(k: int) -> float | None:
        return (
            round(sum(1 for r in answerable if r["rank"] and r["rank"] <= k) / n, 4) if n else None
        )

    return {
        "n": n,
        "R@1": recall(1),
        "R@3": recall(3),
        "MRR": round(sum(1 / r["rank"] for r in answerable if r["rank"]) / n, 4) if n else None,
        "unanswerable": len(unanswerable),
        "abstained_unanswerable": sum(1 for r in unanswerable if not r["answerable"]),
        "wrongly_abstained": sum(1 for r in answerable if not r["answerable"]),
        # Of the questions Sanad answered, the share whose first citation is right; and the
        # share of all questions it answered at all.
        "precision": round(sum(1 for r in answered if r["rank"] == 1) / len(answered), 4)
        if answered
        else None,
        "coverage": round(len(answered) / len(rows), 4) if rows else None,
    }


def evaluate(items: Iterable[Item], ask: Callable[[str], dict]) -> dict:
    """Ask every question (``ask`` returns the ``bot ask --json`` object) and score it."""
    rows = []
    for item in items:
        result = ask(item.question)
        rank = next(
            (i for i, c in enumerate(result["citations"][:RANK_DEPTH], 1) if item.is_hit(c)), None
        )
        rows.append(
            {
                "question": item.question,
                "language": question_language(item.question),
                "rank": None if item.unanswerable else rank,
                "answerable": result["answerable"],
                "unanswerable": item.unanswerable,
                "citations": [c["id"] for c in result["citations"]],
            }
        )
    by_lang = {lang: _summary([r for r in rows if r["language"] == lang]) for lang in ("ar", "en")}
    return {"overall": _summary(rows), "by_language": by_lang, "questions": rows}


def format_report(report: dict) -> str:
    """A plain-text table of the summary figures."""
    head = f"{'':8} {'n':>4} {'R@1':>6} {'R@3':>6} {'MRR':>6} {'unans':>6} {'abst':>5} {'wrong':>6}"
    lines = [head]
    for name, s in [("overall", report["overall"]), *report["by_language"].items()]:

        def f(v):
            return "  -   " if v is None else f"{v:6.3f}"

        lines.append(
            f"{name:8} {s['n']:4d} {f(s['R@1'])} {f(s['R@3'])} {f(s['MRR'])} "
            f"{s['unanswerable']:6d} {s['abstained_unanswerable']:5d} "
            f"{s['wrongly_abstained']:6d}"
        )
    o = report["overall"]
    lines.append(
        "unans = unanswerable questions; abst = of those, abstained; "
        "wrong = answerable questions wrongly abstained"
    )
    if o["precision"] is not None:
        lines.append(
            f"answered {o['coverage']:.1%} of questions; of those, "
            f"{o['precision']:.1%} cite the right sentence first"
        )
    return "\n".join(lines)
