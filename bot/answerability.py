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

On top of the score, a **focus check** (bot/focus.py) on the best passage: what the question
asks for (a date, a count, a measure with its unit, a person, a place) and about what. When
the passage holds no answer of that kind (no year or month for "when", no number for "how
many", no unit for "how tall"), the question is refused whatever the score (``type_ok``);
the IDF-weighted share of the question's topic words that the passage contains is a fourth
evidence, ``focus``, weighed by ``w_focus`` in the score ("how many *British* troops" against
the sentence about US troops). This catches near misses that share the question's topic but
not the fact asked for ("When was Sandhurst founded?"). A date, count or measure question is
refused too when the passage lacks the question's event word (its verb, ``Focus.predicates``)
and the corpus uses that word elsewhere: the passage's value belongs to another event («جو
بايدن زار قطر امتى؟» against the sentence dating Biden's designation).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .ann import DenseStats

if TYPE_CHECKING:
    from .focus import Focus
    from .names import Alias
from .lexical import Idf, peak_idf
from .roots import is_derived_noun, is_verb, root_keys
from .spelling import MIN_LENGTH, NearSpellings

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

# Matched on the normalised question (normalize.py: أ/إ/آ -> ا, ة -> ه, ى -> ي, lower case).
_ASKS_DATE = re.compile(
    r"\b(?:when|what year|which year|in what year|what month|which month|what date|since when)\b"
    r"|(?:^|\s)(?:متي|امتي|ايمتي|وقتاش|في اي (?:عام|سنه|شهر|تاريخ)|باي (?:عام|سنه)|"
    r"ما (?:تاريخ|سنه)|منذ متي)(?!\w)"
)
_ASKS_NUMBER = re.compile(
    r"\b(?:how many|how much|how old|what number|what percentage|what share)\b"
    r"|(?:^|\s)(?:كم|بكم|كام|ما عدد|ما هو عدد|شكثر|قديش|ما حجم|ما قيمه|ما نسبه)(?!\w)"
)
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
        return any(
            w in words or any(x.endswith(w) and len(x) - len(w) <= 3 for x in words) for w in vocab
        )

    return has(_MONTHS) if kind == "date" else has(_NUMBER_WORDS)


@dataclass(frozen=True)
class Evidence:
    """What the abstention rule looks at for one question."""

    top: float
    peak: float
    coverage: float
    type_ok: bool = True  # False when the best passage holds no answer of the asked kind
    focus: float = 1.0  # share of the question's topic words in the best passage (bot/focus.py)
    # The retrieval rank of the passage answered with: above 1 when a lower passage offering
    # the question's focus was moved first (bot/choice.py).
    moved_from: int = 1


@dataclass(frozen=True)
class Rule:
    """A fitted linear abstention rule."""

    w_peak: float
    w_coverage: float
    threshold: float
    w_focus: float = 0.0

    def score(self, e: Evidence) -> float:
        """The answerability score of the evidence."""
        return e.top + self.w_peak * e.peak + self.w_coverage * e.coverage + self.w_focus * e.focus

    def answerable(self, e: Evidence) -> bool:
        """True when the answer type fits and the score reaches the threshold."""
        return e.type_ok and self.score(e) >= self.threshold


def evidence(
    dense: np.ndarray | DenseStats, query_tokens: list[str], idf: dict[str, float]
) -> Evidence:
    """Evidence from every passage's dense score (or their statistics, ``Ranking.stats``:
    estimated on an approximate index) and the query's lexical tokens."""
    stats = dense if isinstance(dense, DenseStats) else DenseStats.of(dense)
    if stats.count == 0:
        return Evidence(0.0, 0.0, 0.0)
    top = stats.top
    std = stats.std
    peak = (top - stats.mean) / std if std > 1e-6 else 0.0
    if not query_tokens:
        coverage = 1.0  # nothing to check lexically (e.g. a question of stop words only)
    else:
        unseen = peak_idf(idf)  # not max(idf.values()): millions of terms
        weights = [idf.get(t, unseen) for t in query_tokens]
        seen = [_known(t, idf) for t in query_tokens]
        coverage = sum(w for s, w in zip(seen, weights, strict=True) if s) / sum(weights)
    return Evidence(round(top, 5), round(peak, 5), round(coverage, 5))


#: For a plain table (tests): the last one asked about. An :class:`Idf` (the live index's, or
#: a document's, scope.py) keeps its own, and lets it go with it.
_near: dict[int, tuple[dict | None, NearSpellings, dict[str, bool], list[str], frozenset[str]]] = {}
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def _known(token: str, idf: dict[str, float]) -> bool:
    """Does the corpus use ``token``: the token itself, a misspelling of a corpus word
    (:func:`_close_to_vocabulary`) or another word of its variant group
    (:func:`_variant_in_vocabulary`)? Kept per token for the table in use, as questions
    repeat words (for an :class:`Idf`, which never changes)."""
    if token in idf:
        return True
    if not isinstance(idf, Idf):  # a plain table may change between calls: nothing kept
        return _close_to_vocabulary(token, idf) or _variant_in_vocabulary(token, idf)
    memo = idf.kept.setdefault("known", {})  # token -> known, with the table
    known = memo.get(token)
    if known is None:
        known = _close_to_vocabulary(token, idf) or _variant_in_vocabulary(token, idf)
        if len(memo) > 50_000:
            memo.clear()
        memo[token] = known
    return known


def _close_to_vocabulary(token: str, idf: dict[str, float]) -> bool:
    """Is ``token`` a misspelling of a corpus word ("ساندهيرست" / "ساندهرست", "secreteri")?

    The rule and its cost are in spelling.py; the vocabulary is bucketed once per ``idf``
    table (the live index's), and each token's answer is kept, as questions repeat words.
    """
    if token.isdigit() or len(token) < 3:
        return False
    kept = isinstance(idf, Idf)  # kept with the table (the live index's, or a document's)
    entry = idf.kept.get("near") if kept else _near.get(id(idf))
    if entry is None or not (kept or entry[0] is idf):
        arabic = sorted(t for t in idf if _ARABIC_LETTER.match(t))
        # the root keys of the corpus's verbal nouns and participles (roots.py)
        nouns = frozenset(k for t in arabic if is_derived_noun(t) for k in root_keys(t))
        entry = (None if kept else idf, NearSpellings(idf), {}, arabic, nouns)
        if kept:
            idf.kept["near"] = entry
        else:  # a plain table may change between calls: only the last one is kept
            _near.clear()
            _near[id(idf)] = entry
    near, memo = entry[1], entry[2]
    if token not in memo:
        if len(memo) > 50_000:
            memo.clear()
        # A verb whose verbal noun the corpus uses (يدرب / تدريب) is a word it uses.
        rooted = is_verb(token) and bool(root_keys(token) & entry[4])
        long_enough = len(token) >= MIN_LENGTH
        memo[token] = rooted or (long_enough and (near.close(token) or _derived(token, entry[3])))
    return memo[token]


def _derived(token: str, arabic: list[str]) -> bool:
    """Is the Arabic stem ``token`` the start of a corpus token at most two letters longer?

    The stemmers leave a verb and its verbal noun apart (استقلت -> استقل, استقلال): the same
    root and pattern, one of them with the noun's ending. Five letters or more, Arabic only
    (English stems are joined by the stemmer)."""
    if not _ARABIC_LETTER.match(token):
        return False
    i = bisect_left(arabic, token)
    while i < len(arabic) and arabic[i].startswith(token):
        if 0 < len(arabic[i]) - len(token) <= 2:
            return True
        i += 1
    return False


_variant_stems: list[frozenset[str]] = []


def _variant_in_vocabulary(token: str, idf: dict[str, float]) -> bool:
    """Does the corpus use another spelling or word of ``token``'s group in the focus
    check's table (focus.py: بريطانيا for the "United Kingdom" of the article, "ties" for
    "relations")? A word the corpus says otherwise is not a word it never uses."""
    if not _variant_stems:
        from .focus_words import VARIANTS as _VARIANTS
        from .lexical import tokenize

        _variant_stems.extend(frozenset(t for w in g for t in tokenize(w)) for g in _VARIANTS)
    return any(token in g and any(x in idf for x in g) for g in _variant_stems)


def with_focus(
    ev: Evidence,
    question: str,
    text: str,
    translation: str | None,
    idf: dict[str, float],
    focus: Focus | None = None,
    aliases: Sequence[Alias] = (),
    antecedent: str | None = None,
) -> Evidence:
    """``ev`` with the focus check of ``question`` against the best passage filled in.

    ``focus`` is the IDF-weighted share of the question's topic words the passage holds (a
    word the corpus never uses weighs as much as its rarest word), 1.0 for a question of no
    recognised kind; ``type_ok`` is False when the passage holds no answer of the asked kind.
    ``focus`` is ``question``'s focus when the caller has it already; ``aliases`` the people
    the corpus names by family name, ``antecedent`` the name the passage's opening "the
    <noun>" refers to (bot/names.py).
    """
    from .focus import check_focus, question_focus
    from .lexical import tokenize

    f = focus or question_focus(question)
    check = check_focus(f, text, translation, aliases, antecedent)
    unseen = peak_idf(idf)  # not max(idf.values()): millions of terms

    def weight(word: str) -> float:
        return max((idf.get(t, unseen) for t in tokenize(word)), default=0.0)

    total = sum(weight(w) for w in f.about)
    share = 1.0 - sum(weight(w) for w in check.missing) / total if total else 1.0
    offered = check.ok or check.reason == "missing words"
    if f.kind in _VALUED and any(_used(w, idf) for w in check.missing if w in f.predicates):
        # The passage's date or number belongs to another event: it lacks the question's
        # verb (زار, "visit"), which the corpus uses elsewhere («جو بايدن زار قطر امتى؟»
        # against the sentence on Biden's designation). A verb the corpus never uses is
        # more likely the passage's event in other words ("establish" for "began").
        offered = False
    return replace(ev, type_ok=ev.type_ok and offered, focus=round(share, 5))


_VALUED = ("date", "count", "measure")  # kinds whose answer is a value of one event


def _used(word: str, idf: dict[str, float]) -> bool:
    """Does the corpus use ``word`` (each of its stems, or a spelling, variant or verbal noun
    of it)?"""
    from .lexical import tokenize

    tokens = tokenize(word)
    return bool(tokens) and all(_known(t, idf) for t in tokens)


def fit(samples: Iterable[tuple[Evidence, bool]]) -> tuple[Rule, dict]:
    """Fit weights and threshold on (evidence, is_unanswerable) pairs.

    Minimises errors (answerable questions abstained on + unanswerable ones answered); ties
    prefer fewer wrong abstentions, then the widest margin, and the threshold is set midway
    between the two scores it separates.
    """
    data = list(samples)
    feats = np.array([(e.top, e.peak, e.coverage, e.focus) for e, _ in data], dtype=np.float64)
    typed = np.array([e.type_ok for e, _ in data])
    unans = np.array([u for _, u in data])
    best: tuple | None = None
    for w_peak in np.arange(0.0, 0.0801, 0.005):
        for w_cov in np.arange(0.0, 0.3001, 0.01):
            for w_focus in np.arange(0.0, 0.3001, 0.02):
                # A failed focus-kind check abstains whatever the score: rank it lowest.
                raw = feats @ np.array([1.0, w_peak, w_cov, w_focus])
                scores = np.where(typed, raw, -1.0)
                order = np.argsort(scores, kind="stable")
                s, u = scores[order], unans[order]
                # Threshold between s[i-1] and s[i]: everything below it is abstained on.
                ans_below = np.concatenate([[0], np.cumsum(~u)])  # answerable below i
                unans_above = np.concatenate([np.cumsum(u[::-1])[::-1], [0]])
                lo = np.concatenate([[s[0] - 0.01], s])
                hi = np.concatenate([s, [s[-1] + 0.01]])
                valid = (lo >= 0) | (np.arange(len(lo)) == 0)
                valid &= hi > lo  # equal scores cannot be split
                for i in np.flatnonzero(valid):
                    wa, wu = int(ans_below[i]), int(unans_above[i])
                    key = (wa + wu, wa, -(hi[i] - lo[i]))
                    if best is None or key < best[0]:
                        t = (lo[i] + hi[i]) / 2
                        best = (
                            key,
                            Rule(
                                round(float(w_peak), 4),
                                round(float(w_cov), 4),
                                round(float(t), 5),
                                round(float(w_focus), 4),
                            ),
                            wa,
                            wu,
                        )
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
