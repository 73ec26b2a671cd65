"""Deciding whether the corpus answers a question at all ("not in the article").

A raw cosine is a weak signal on its own: a question about the right topic but an absent fact
("How much did Al Udeid cost?") scores as high as a paraphrased answerable one. Three pieces of
evidence are combined linearly:

* ``top``: the best passage's cosine similarity;
* ``peak``: how far the best passage stands above the rest (a z-score over all passages):
  an answer is a peak, an off-corpus question scores every sentence alike;
* ``coverage``: the IDF-weighted share of the question's content words that occur anywhere
  in the corpus (a word the corpus never uses counts with the highest weight).

``score = top + w_peak * peak + w_coverage * coverage``; the question is answerable when the
score reaches ``threshold``. The weights and threshold are fitted by :func:`fit` on a question
set with answerable and unanswerable questions (``bot calibrate``) and stored per model in
``calibration.json`` beside this file.

On top of the score, an **answer-type check**: a question that asks for a number ("how many",
"كم") or a date ("when", "متى", "في أي عام") is only answerable if the best passage contains
one (digits, number words, month names). This catches near misses that share the question's
topic but not the fact asked for ("When was Sandhurst founded?").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

# Matched on the normalised question (normalize.py: أ/إ/آ -> ا, ة -> ه, ى -> ي, lower case).
_ASKS_DATE = re.compile(
    r"\b(?:when|what year|which year|in what year|what month|which month|what date|since when)\b"
    r"|(?:^|\s)(?:متي|امتي|ايمتي|وقتاش|في اي (?:عام|سنه|شهر|تاريخ)|باي (?:عام|سنه)|"
    r"ما (?:تاريخ|سنه)|منذ متي)(?!\w)")
_ASKS_NUMBER = re.compile(
    r"\b(?:how many|how much|how old|what number|what percentage|what share)\b"
    r"|(?:^|\s)(?:كم|بكم|كام|ما عدد|ما هو عدد|شكثر|قديش|ما حجم|ما قيمه|ما نسبه)(?!\w)")
_MONTHS = (
    "january february march april may june july august september october november december "
    "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر "
    "كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين"
).split()
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten hundred thousand million billion "
    "first third fourth fifth dozen dozens "
    "واحد اثنان اثنين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان ثمانيه تسع تسعه عشر "
    # "ثاني"/"second" are left out: "آل ثاني" (Al Thani) is a name, not a number.
    "عشره مئه مائه الف الاف الفا مليون ملايين مليار اول ثالث رابع خامس سادس عشرات مئات"
).split()
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")


def asked_type(question: str) -> str | None:
    """``"date"`` or ``"number"`` when the question asks for one, else None."""
    from .normalize import normalize

    q = normalize(question)
    if _ASKS_DATE.search(q):
        return "date"
    if _ASKS_NUMBER.search(q):
        return "number"
    return None


def offers_type(text: str, kind: str) -> bool:
    """Does ``text`` contain an answer of this kind (digits, month names, number words)?"""
    from .normalize import normalize

    norm = normalize(text)
    if _DIGIT.search(norm):
        return True
    words = set(_WORD.findall(norm))
    # Arabic words carry clitics (وفي, بالاف): match on the word or its last letters.
    def has(vocab: list[str]) -> bool:
        return any(w in words or any(x.endswith(w) and len(x) - len(w) <= 3 for x in words)
                   for w in vocab)
    return has(_MONTHS) if kind == "date" else has(_NUMBER_WORDS)


@dataclass(frozen=True)
class Evidence:
    """What the abstention rule looks at for one question."""

    top: float
    peak: float
    coverage: float
    type_ok: bool = True  # False when the question asks for a number/date the passage lacks


@dataclass(frozen=True)
class Rule:
    """A fitted linear abstention rule."""

    w_peak: float
    w_coverage: float
    threshold: float

    def score(self, e: Evidence) -> float:
        """The answerability score of the evidence."""
        return e.top + self.w_peak * e.peak + self.w_coverage * e.coverage

    def answerable(self, e: Evidence) -> bool:
        """True when the answer type fits and the score reaches the threshold."""
        return e.type_ok and self.score(e) >= self.threshold


def evidence(dense: np.ndarray, query_tokens: list[str], idf: dict[str, float]) -> Evidence:
    """Evidence from every passage's dense score and the query's lexical tokens."""
    if dense.size == 0:
        return Evidence(0.0, 0.0, 0.0)
    top = float(dense.max())
    std = float(dense.std())
    peak = (top - float(dense.mean())) / std if std > 1e-6 else 0.0
    if not query_tokens:
        coverage = 1.0  # nothing to check lexically (e.g. a question of stop words only)
    else:
        unseen = max(idf.values(), default=1.0)
        weights = [idf.get(t, unseen) for t in query_tokens]
        coverage = sum(w for t, w in zip(query_tokens, weights, strict=True) if t in idf) / sum(
            weights)
    return Evidence(round(top, 5), round(peak, 5), round(coverage, 5))


def fit(samples: Iterable[tuple[Evidence, bool]]) -> tuple[Rule, dict]:
    """Fit weights and threshold on (evidence, is_unanswerable) pairs.

    Minimises errors (answerable questions abstained on + unanswerable ones answered); ties
    prefer fewer wrong abstentions, then the widest margin, and the threshold is set midway
    between the two scores it separates.
    """
    data = list(samples)
    best: tuple | None = None
    for w_peak in np.arange(0.0, 0.0801, 0.005):
        for w_cov in np.arange(0.0, 0.3001, 0.01):
            rule = Rule(float(w_peak), float(w_cov), 0.0)
            # A failed answer-type check abstains whatever the score: rank it lowest.
            scores = sorted((rule.score(e) if e.type_ok else -1.0, u) for e, u in data)
            for i in range(len(scores) + 1):
                if i > 0 and scores[i - 1][0] < 0:
                    continue  # a threshold below the type-check failures means nothing
                lo = scores[i - 1][0] if i > 0 else scores[0][0] - 0.01
                hi = scores[i][0] if i < len(scores) else scores[-1][0] + 0.01
                t = (lo + hi) / 2
                wrong_abstain = sum(1 for s, u in scores if not u and s < t)
                wrong_answer = sum(1 for s, u in scores if u and s >= t)
                key = (wrong_abstain + wrong_answer, wrong_abstain, -(hi - lo))
                if best is None or key < best[0]:
                    best = (key, Rule(round(float(w_peak), 4), round(float(w_cov), 4),
                                      round(float(t), 5)), wrong_abstain, wrong_answer)
    assert best is not None
    _, rule, wa, wu = best
    return rule, {"wrongly_abstained": wa, "answered_unanswerable": wu, "n": len(data)}


def load_rule(model_id: str, path: Path = CALIBRATION_FILE) -> Rule | None:
    """The calibrated rule for a model, or None when that model was never calibrated."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = table.get(model_id)
    return Rule(**entry["rule"]) if entry else None


def save_rule(model_id: str, rule: Rule, info: dict, path: Path = CALIBRATION_FILE) -> None:
    """Record the rule for ``model_id`` (other models' entries are kept)."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    table[model_id] = {"rule": asdict(rule), **info}
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
