"""Abstention thresholds per question language, for the languages besides Arabic and English.

The abstention rule (answerability.py) was fitted on Arabic and English questions. Its main
term, the best passage's cosine, does not run on the same scale in every language: the model
puts some languages' questions closer to any sentence than others (docs/quality.md,
"Abstention in eleven languages"). A question in one of the languages listed in
``calibration_langs.json`` is therefore judged with the same score's weights and that
language's own threshold, fitted on XQuAD-R questions (scripts/bench_abstain_langs.py fit);
Arabic and English questions, and any question in another language, keep the main rule
untouched.

Only languages told apart by their script are listed (Greek, Russian, Hindi, Thai,
Chinese): a short Latin-script question is too easily taken for another Latin language ("Where
is Al Udeid Air Base?" reads as Spanish), and Arabic and English must keep their rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .answerability import Rule
from .language import detect_language

LANGUAGE_FILE = Path(__file__).with_name("calibration_langs.json")
#: Languages whose questions always keep the main rule.
MAIN = ("ar", "en")
#: Languages a per-language threshold may be given to.
CALIBRATED = ("de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")


@dataclass(frozen=True)
class LanguageRules:
    """The main rule, and per language the rule that replaces it for that language's
    questions."""

    main: Rule
    by_language: Mapping[str, Rule] = field(default_factory=dict)

    def for_question(self, question: str, passage_language: str | None) -> Rule:
        """The rule that judges ``question`` answered from a passage in
        ``passage_language``: its language's when the passage is in that language too, else
        the main one."""
        if not self.by_language or passage_language not in self.by_language:
            return self.main
        if detect_language(question) != passage_language:
            return self.main
        return self.by_language[passage_language]


def load_thresholds(model_id: str, path: Path = LANGUAGE_FILE) -> tuple[dict, dict[str, float]]:
    """The weights and the per-language thresholds stored for ``model_id`` (empty when none)."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8")).get(model_id)
    except (OSError, ValueError, AttributeError):
        return {}, {}
    if not isinstance(entry, dict):
        return {}, {}
    weights = entry.get("weights", {})
    thresholds = {
        lang: float(t)
        for lang, t in entry.get("thresholds", {}).items()
        if lang in CALIBRATED
    }
    return weights, thresholds


def language_rules(
    model_id: str, main: Rule, paths: tuple[Path, ...] = (LANGUAGE_FILE,)
) -> LanguageRules:
    """The main rule with the per-language rules of the first file in ``paths`` that has an
    entry for ``model_id``. A language's rule is the stored weights (those its threshold was
    fitted with, whatever the main rule's are now) and its threshold; the main rule is never
    changed. Stored weights that do not make a rule leave every question to the main rule."""
    for path in paths:
        weights, thresholds = load_thresholds(model_id, path)
        if thresholds:
            try:
                rules = {lang: Rule(**weights, threshold=t) for lang, t in thresholds.items()}
            except TypeError:
                return LanguageRules(main)
            return LanguageRules(main, rules)
    return LanguageRules(main)


def save_thresholds(
    model_id: str,
    weights: Mapping[str, float],
    thresholds: Mapping[str, float],
    info: Mapping,
    path: Path = LANGUAGE_FILE,
) -> None:
    """Record ``model_id``'s per-language thresholds (other models' entries are kept)."""
    bad = set(thresholds) - set(CALIBRATED)
    if bad:
        raise ValueError(f"no per-language threshold for {sorted(bad)}: only {CALIBRATED}")
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    table[model_id] = {"weights": dict(weights), "thresholds": dict(thresholds), **info}
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
