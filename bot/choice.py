"""Choosing the passage to answer with: the best one that offers the question's focus.

Retrieval ranks passages by how close they are to the question as a whole; the focus check
(bot/focus.py) asks whether a passage offers what the question asks for (a number of the
counted thing, a date, a place or person the question does not name) about its topic words.
When the best passage does not and a passage just below it does, the best passage is the
retrieval's miss, not the article's: "How many American soldiers are based in Qatar?" ranks
the sentence on the Gulf War ("hosted the forces … including US Army soldiers", no number)
just above the one giving the number of US troops. That passage is moved first and answered
with. It must be

* among the first :data:`DEPTH` passages, and
* within :data:`MARGIN` of the best passage's fused score (retrieve.py), so a passage the
  ranking clearly put lower is not promoted for sharing the question's words, and
* offer the focus fully: the kind of answer *and* every topic word (``check_focus(...).ok``).

A question of no recognised kind, or whose best passage offers its focus, keeps the ranking.
A near miss (a fact the article never gives) has no passage that offers its focus, so nothing
moves and the focus check refuses it as before. Both constants were chosen on the tune split
of the seed sets (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .focus import Focus, check_focus
from .names import Alias
from .retrieve import Hit

#: How many of the best passages may be chosen from.
DEPTH = 10
#: How far below the best passage's fused score the chosen one may be.
MARGIN = 0.15


@dataclass(frozen=True)
class Choice:
    """The hits in answer order, and the retrieval rank (1-based) of the one moved first
    (1 when the ranking was kept)."""

    hits: list[Hit]
    moved_from: int = 1


def choose(
    focus: Focus,
    hits: Sequence[Hit],
    depth: int = DEPTH,
    margin: float = MARGIN,
    aliases: Sequence[Alias] = (),
    antecedents: Mapping[str, str] | None = None,
) -> Choice:
    """``hits`` with the first passage offering ``focus`` moved first, when the best one does
    not and that passage is within ``depth`` places and ``margin`` of the best score
    (``aliases``: people named by family name; ``antecedents``: passage id -> the name its
    opening "the <noun>" refers to; both bot/names.py)."""
    hits = list(hits)
    if focus.kind is None or len(hits) < 2:
        return Choice(hits)
    ante = antecedents or {}
    if _offers(focus, hits[0], aliases, ante):
        return Choice(hits)
    floor = hits[0].score - margin
    for i, hit in enumerate(hits[1:depth], 1):
        if hit.score < floor:
            break  # the ranking is by score: nothing further down is within the margin
        if _offers(focus, hit, aliases, ante):
            return Choice([hit, *hits[:i], *hits[i + 1 :]], i + 1)
    return Choice(hits)


def _offers(
    focus: Focus, hit: Hit, aliases: Sequence[Alias], antecedents: Mapping[str, str]
) -> bool:
    p = hit.passage
    return check_focus(focus, p.text, p.translation, aliases, antecedents.get(p.id)).ok
