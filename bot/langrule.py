"""Abstention thresholds per question language, for the languages besides Arabic and English.

The abstention rule (answerability.py) was fitted on Arabic and English questions about the
seed article. Asked against an index in their own language, questions in the other languages
are judged on another scale: the model puts any Chinese question closer to any Chinese
sentence (a best cosine of about 0.86 for a question the index does not answer) than an
Arabic or English one to an unrelated sentence, and the main rule answers every such Chinese
question (docs/quality.md, "Abstention in eleven languages").

So a question in one of :data:`CALIBRATED`, whose best passage is in that same language, is
judged by that language's rule: the weights stored with it and its own threshold, fitted on
XQuAD-R (scripts/bench_abstain_langs.py fit) and stored in ``calibration_langs.json``, apart
from the main rule's ``calibration.json``. Every other question keeps the main rule untouched:
Arabic and English questions, and a question on a passage in another language (a Chinese
question on the Arabic seed article is judged as before; across languages the cosine runs
lower, not higher). The passage's language is its document's; the question's is
bot/language.py's detection, so a short English question read as Spanish ("Where is Al Udeid
Air Base?") is judged by the Spanish rule only on a Spanish document.
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
        lang: float(t) for lang, t in entry.get("thresholds", {}).items() if lang in CALIBRATED
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
