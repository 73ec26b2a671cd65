"""Arabic-aware normalisation of a *search copy* of text. Stored text is never rewritten.

Matching should not depend on how a writer spelled a word: with or without diacritics,
with a stretched tatweel, with أ or ا, ى or ي, ة or ه, Arabic-Indic or ASCII digits.
Both passages and queries go through :func:`normalize`, so they meet in one spelling.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Harakat, tanween, shadda, sukun, superscript alef, Quranic marks, and tatweel.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_TRANSLATE = str.maketrans(
    {
        "\u0623": "\u0627",  # أ -> ا
        "\u0625": "\u0627",  # إ -> ا
        "\u0622": "\u0627",  # آ -> ا
        "\u0671": "\u0627",  # ٱ -> ا
        "\u0649": "\u064a",  # ى -> ي
        "\u0629": "\u0647",  # ة -> ه
        "\u06cc": "\u064a",  # Persian ی -> ي
        "\u06a9": "\u0643",  # Persian ک -> ك
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
    }
)
_SPACES = re.compile(r"\s+")
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")


#: :func:`normalize` remembers the folds of the last ``_WORDS_KEPT`` texts of up to ``_WORD``
#: characters and of the last ``_TEXTS_KEPT`` of up to ``_TEXT``: on the question path the
#: same words and passages are folded again and again (focus check, answer choice).
_WORD, _WORDS_KEPT = 64, 16384
_TEXT, _TEXTS_KEPT = 4096, 512


def normalize(text: str) -> str:
    """Fold ``text`` to the spelling used for matching (lower case, Arabic variants unified)."""
    if len(text) <= _WORD:
        return _normalize_word(text)
    if len(text) <= _TEXT:
        return _normalize_text(text)
    return _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text)
    text = text.translate(_TRANSLATE).casefold()
    return _SPACES.sub(" ", text).strip()


_normalize_word = lru_cache(maxsize=_WORDS_KEPT)(_normalize)
_normalize_text = lru_cache(maxsize=_TEXTS_KEPT)(_normalize)


def dense_text(text: str) -> str:
    """Text as the model sees it (questions and passages): NFKC, no diacritics or tatweel.

    Diacritics and tatweel split Arabic words into rare sub-word pieces. The full matching
    fold of :func:`normalize` (alef, yaa, taa marbuta) makes spellings the model rarely saw
    and costs dense recall, so the model gets only this light fold (docs/retrieval.md).
    """
    return _DIACRITICS.sub("", unicodedata.normalize("NFKC", text))


def is_arabic(text: str) -> bool:
    """True when the text is written mainly in Arabic script (more Arabic than Latin letters)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    return arabic > 0 and arabic >= latin


def question_language(text: str) -> str:
    """``"ar"`` for a question in Arabic script, ``"en"`` otherwise."""
    return "ar" if is_arabic(text) else "en"
