"""Verdict accuracy on a claims set (tests/data/claims.jsonl): confusion, languages, cross-fit.

Each claim is judged once with the real model; the judged passages (scores and comparisons)
are kept, so the thresholds of verify.py can be refitted without encoding again. *Fitted*
figures use thresholds chosen on the same split; *cross-fitted* ones use thresholds chosen on
the other split of the same batch (``partner``), which is what to expect on claims nobody
tuned on.

The fit maximises ``accuracy - PENALTY * (contradicted judged supported) / n`` over a grid:
a false claim called supported costs as much as ``PENALTY`` other mistakes. Among equally
good thresholds the safest wins (the grids are walked from the safe end: lowest relatedness
for a contradiction, highest score for support, widest margin).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

from .verify import (
    ALIGNED_RELATED_AT,
    ALIGNED_SHIFT,
    MARGIN,
    RELATED_AT,
    SUPPORTED_AT,
    VERDICTS,
    Evidence,
    stance,
)

PENALTY = 3.0
GRID_RELATED = [round(0.80 + 0.005 * i, 4) for i in range(25)]
GRID_SUPPORTED = [round(0.88 + 0.0025 * i, 4) for i in range(29)]
GRID_MARGIN = [0.0, 0.01, 0.02, 0.03, 0.05]
#: Fitted only on sets whose passages were compared through the alignment (with the
#: relatedness of an aligned contradiction from GRID_RELATED).
GRID_SHIFT = [round(0.01 * i, 4) for i in range(11)]


@dataclass(frozen=True)
class Thresholds:
    """The constants of a verdict (the aligned ones apply to passages compared across
    languages through the token alignment)."""

    related: float = RELATED_AT
    supported: float = SUPPORTED_AT
    margin: float = MARGIN
    aligned_shift: float = ALIGNED_SHIFT
    aligned_related: float = ALIGNED_RELATED_AT


def read_claims(path: Path, split: str | None = None) -> list[dict[str, Any]]:
    """The claims of a JSONL file (one split, or all)."""
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [r for r in rows if split is None or r.get("split") == split]


def rejudge(judged: Sequence[Evidence], t: Thresholds) -> str:
    """The verdict of already-judged passages under other thresholds (verify.py's rules)."""
    shift = t.aligned_shift - ALIGNED_SHIFT
    scores = [e.score + (shift if e.comparison.aligned else 0.0) for e in judged]
    stances = [
        stance(
            s,
            e.comparison,
            t.related,
            t.supported,
            t.aligned_related,
            s - e.score + e.support_score,
        )
        for s, e in zip(scores, judged, strict=True)
    ]
    contra = [s for s, st in zip(scores, stances, strict=True) if st == "contradicts"]
    support = [s for s, st in zip(scores, stances, strict=True) if st == "supports"]
    if contra and (not support or max(contra) >= max(support) - t.margin):
        return "contradicted"
    return "supported" if support else "not_enough_info"


def figures(rows: Sequence[dict], verdicts: Sequence[str]) -> dict[str, Any]:
    """Accuracy, the 3x3 confusion (gold -> judged), contradicted judged supported, per
    language."""
    confusion = {g: {j: 0 for j in VERDICTS} for g in VERDICTS}
    for r, v in zip(rows, verdicts, strict=True):
        confusion[r["verdict"]][v] += 1
    right = [r["verdict"] == v for r, v in zip(rows, verdicts, strict=True)]
    per_lang = {}
    for lang in ("ar", "en"):
        hits = [ok for r, ok in zip(rows, right, strict=True) if r["lang"] == lang]
        per_lang[lang] = {
            "n": len(hits),
            "accuracy": round(sum(hits) / len(hits), 3) if hits else None,
        }
    return {
        "n": len(rows),
        "accuracy": round(sum(right) / len(rows), 3) if rows else None,
        "contradicted_judged_supported": confusion["contradicted"]["supported"],
        "confusion": confusion,
        "languages": per_lang,
    }


def fit(judged: Sequence[Sequence[Evidence]], rows: Sequence[dict]) -> Thresholds:
    """The grid thresholds with the best penalised accuracy on these claims."""
    best, best_t = -1e9, Thresholds()
    # A set compared through the alignment fits only the shift of aligned scores and the
    # relatedness of an aligned contradiction: the other three constants are shared with
    # same-language claims and stay as shipped.
    grid = (
        product([RELATED_AT], [SUPPORTED_AT], [MARGIN], GRID_SHIFT, GRID_RELATED)
        if any(e.comparison.aligned for j in judged for e in j)
        else product(
            GRID_RELATED, GRID_SUPPORTED, GRID_MARGIN, [ALIGNED_SHIFT], [ALIGNED_RELATED_AT]
        )
    )
    for rel, sup, margin, shift, arel in grid:
        t = Thresholds(rel, sup, margin, shift, arel)
        vs = [rejudge(j, t) for j in judged]
        right = sum(r["verdict"] == v for r, v in zip(rows, vs, strict=True))
        c2s = sum(
            r["verdict"] == "contradicted" and v == "supported"
            for r, v in zip(rows, vs, strict=True)
        )
        obj = (right - PENALTY * c2s) / len(rows)
        if obj > best + 1e-9:
            best, best_t = obj, t
    return best_t


def partner(split: str) -> str:
    """The split a split is cross-fitted against: its batch's twin (tune <-> heldout,
    tune-c <-> heldout-c); a split without a twin in the set is cross-fitted on all others."""
    if split.startswith("tune"):
        return "heldout" + split[len("tune") :]
    if split.startswith("heldout"):
        return "tune" + split[len("heldout") :]
    return ""


def evaluate(rows: Sequence[dict], judge: Callable[[str], list[Evidence]]) -> dict[str, Any]:
    """Figures per split with the shipped thresholds, and fitted / cross-fitted ones."""
    judged = [judge(r["claim"]) for r in rows]
    splits = sorted({r.get("split", "all") for r in rows})
    out: dict[str, Any] = {"thresholds": Thresholds().__dict__, "splits": {}, "items": []}
    shipped = [rejudge(j, Thresholds()) for j in judged]
    for r, v, j in zip(rows, shipped, judged, strict=True):
        deciding = [e.passage.id for e in j if e.stance in ("supports", "contradicts")]
        out["items"].append(
            {
                "claim": r["claim"],
                "gold": r["verdict"],
                "judged": v,
                "split": r.get("split"),
                "lang": r["lang"],
                "type": r.get("type"),
                "deciding": deciding,
            }
        )
    index = {s: [i for i, r in enumerate(rows) if r.get("split", "all") == s] for s in splits}
    for s, idx in index.items():
        sub = [rows[i] for i in idx]
        fig = figures(sub, [shipped[i] for i in idx])
        t_own = fit([judged[i] for i in idx], sub)
        fig["fitted"] = {
            "thresholds": t_own.__dict__,
            **figures(sub, [rejudge(judged[i], t_own) for i in idx]),
        }
        twin = partner(s)
        others = [
            i
            for i in range(len(rows))
            if i not in set(idx) and (twin not in index or rows[i].get("split", "all") == twin)
        ]
        if others:
            t_other = fit([judged[i] for i in others], [rows[i] for i in others])
            fig["cross_fitted"] = {
                "thresholds": t_other.__dict__,
                **figures(sub, [rejudge(judged[i], t_other) for i in idx]),
            }
        out["splits"][s] = fig
    return out


def render(report: dict[str, Any]) -> str:
    """The figures as text."""
    lines = []
    for s, f in report["splits"].items():
        lines.append(
            f"split {s}: n={f['n']}  accuracy {f['accuracy']:.3f}  contradicted judged "
            f"supported {f['contradicted_judged_supported']}  "
            + "  ".join(f"{k} {v['accuracy']} (n={v['n']})" for k, v in f["languages"].items())
        )
        lines.append("  gold \\ judged      " + "  ".join(f"{v[:12]:>12}" for v in VERDICTS))
        for g in VERDICTS:
            lines.append(f"  {g:<18}" + "  ".join(f"{f['confusion'][g][v]:>12}" for v in VERDICTS))
        for name in ("fitted", "cross_fitted"):
            if name in f:
                x = f[name]
                lines.append(
                    f"  {name:<13} accuracy {x['accuracy']:.3f}  c->s "
                    f"{x['contradicted_judged_supported']}  thresholds "
                    f"{x['thresholds']}"
                )
    return "\n".join(lines)
