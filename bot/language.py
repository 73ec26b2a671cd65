"""Which language a document is written in: its script first, then, for Latin script, a
small profile of function words and letters.

Sanad reads eleven languages (the XQuAD-R set). Six of them are told by their script alone:
Arabic ``ar``, Greek ``el``, Cyrillic ``ru``, Devanagari ``hi``, Thai ``th``, Han ``zh``. So
Persian or Urdu text is called ``ar``, Ukrainian or Bulgarian ``ru``, Marathi or Nepali ``hi``
(the scripts are shared; segmentation and the multilingual model do not depend on the
difference). Latin-script text is told apart by :data:`PROFILES`: each language's most common
function words and the letters only it (among the profiles) uses. A word or letter shared by
``k`` profiles counts ``1/k`` for each, so ``de`` (Spanish, French, Portuguese, Dutch,
Turkish) decides nothing alone. French, Italian, Portuguese and Dutch have profiles too, so
that their text is not taken for Spanish or English: Latin text that matches one of them best,
or two profiles equally, is ``und`` ("undetermined"), which Sanad stores and searches but
does not name. Text in any other script (Hebrew, Korean, kana, ...) has no language here.

Detection is measured per language on the XQuAD-R documents and sentences (docs/ingestion.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

#: The languages a corpus document may be in: the eleven Sanad reads, and ``und`` for
#: Latin-script text in another language.
LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh", "und")
#: Each language's name in English, for answers and messages.
NAMES = {
    "ar": "Arabic",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "hi": "Hindi",
    "ru": "Russian",
    "th": "Thai",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "und": "another language",
}

# Script of a letter by code-point range, and the language each script means.
_SCRIPTS = (
    ("arabic", "ar", "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"),
    ("greek", "el", "\u0370-\u03ff\u1f00-\u1fff"),
    ("cyrillic", "ru", "\u0400-\u052f"),
    ("devanagari", "hi", "\u0900-\u097f"),
    ("thai", "th", "\u0e00-\u0e7f"),
    ("han", "zh", "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"),
    ("kana", None, "\u3040-\u30ff"),
    ("hangul", None, "\u1100-\u11ff\uac00-\ud7af"),
    ("hebrew", None, "\u0590-\u05ff"),
    ("latin", None, "A-Za-z\u00c0-\u024f\u1e00-\u1eff"),
)
_SCRIPT_RE = {name: re.compile(f"[{chars}]") for name, _, chars in _SCRIPTS}
_SCRIPT_LANG = {name: lang for name, lang, _ in _SCRIPTS}
_READ = {name for name, lang in _SCRIPT_LANG.items() if lang} | {"latin"}
_WORD = re.compile(r"[^\W\d_]+")

#: Latin-script profiles: common function words, and letters that mark the language.
#: Written from general knowledge of each language, not fitted to the test data.
PROFILES: dict[str, tuple[frozenset[str], str]] = {
    lang: (frozenset(words.split()), letters)
    for lang, words, letters in (
        (
            "en",
            "the of and to in is was for on that with as by at from it an be are were this "
            "which his her its has have had not but or they their also who after into he she a "
            "these when upon over than there been such can would will other more most",
            "",
        ),
        (
            "de",
            "der die das und ist in den von zu mit sich des auf für im dem nicht ein eine als "
            "auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie "
            "einem über einen so zum war haben nur oder aber vor zur bis durch wurde wurden",
            "äöüß",
        ),
        (
            "es",
            "el la de que y en los del se las por un una para con no su al es lo como más "
            "pero sus fue este ha porque esta son entre cuando muy sin sobre también hasta "
            "hay donde desde durante fueron a sea será entonces otros",
            "ñáíóú¿¡",
        ),
        (
            "tr",
            "ve bir bu da de için ile olarak olan en çok daha gibi ama ancak sonra kadar her "
            "ya veya ise değil ki tarafından olan ayrıca yılında",
            "ığşçöü",
        ),
        (
            "vi",
            "của và các là được có trong cho với những một người không này đã để khi từ về "
            "như đến theo tại năm sự thì vào ra cũng lại nhiều",
            "đơưăâêôạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
        ),
        # Decoys: other common Latin-script languages, so their text becomes "und".
        (
            "fr",
            "le la les de des et est un une du en que qui dans pour pas sur au avec il elle "
            "ce sont par plus ont été aux cette",
            "àèùçêëîïôœ",
        ),
        (
            "it",
            "il lo la di che e è un una per non con del della sono gli le alla anche nel "
            "dei delle questo",
            "àèìòù",
        ),
        (
            "pt",
            "o a os as de do da que e é um uma para com não em no na dos das por mais foi "
            "são ao pela pelo",
            "ãõçâêô",
        ),
        (
            "nl",
            "de het een en van is dat op te in zijn met voor niet aan er ook als door maar "
            "bij nog wordt werd",
            "ĳ",
        ),
    )
}
#: The profiles Sanad names; a decoy's win means ``und``.
_NAMED = ("en", "de", "es", "tr", "vi")
#: A letter that marks a language counts this much against a function word: letters are
#: many per word, and one distinctive letter is weaker evidence than one function word.
LETTER_WEIGHT = 0.5

#: Latin-script text whose best profile scores less than this (one function word of its
#: own) is too short to tell and read as English.
MIN_EVIDENCE = 1.0
#: A non-Latin script wins over Latin with half as many letters: Latin names and terms
#: in Greek, Hindi or Chinese text are many letters a word (a Han character is a whole word
#: or syllable), and English text rarely holds more than a few words of another script.
NON_LATIN_WEIGHT = 2

_WORD_SHARE = Counter(w for words, _ in PROFILES.values() for w in words)
_LETTER_SHARE = Counter(c for _, letters in PROFILES.values() for c in letters)


def script_counts(text: str) -> Counter:
    """How many letters of ``text`` are in each script (``other`` for the rest)."""
    counts: Counter = Counter()
    for c, n in Counter(text).items():  # each distinct character once
        # Vowel signs are marks, not letters: Hindi would count only half its word otherwise.
        if not c.isalpha() and not (unicodedata.category(c).startswith("M") and not c.isascii()):
            continue
        for name, pattern in _SCRIPT_RE.items():
            if pattern.match(c):
                counts[name] += n
                break
        else:
            counts["other"] += n
    return counts


def latin_scores(text: str) -> dict[str, float]:
    """Each Latin profile's score for ``text``: shared evidence split between the sharers."""
    low = unicodedata.normalize("NFC", text).lower()
    words = Counter(_WORD.findall(low))
    scores = {}
    for lang, (vocab, letters) in PROFILES.items():
        s = sum(n / _WORD_SHARE[w] for w, n in words.items() if w in vocab)
        s += LETTER_WEIGHT * sum(low.count(c) / _LETTER_SHARE[c] for c in letters)
        scores[lang] = s
    return scores


def latin_language(text: str) -> str:
    """``en``, ``de``, ``es``, ``tr`` or ``vi`` for Latin-script text, or ``und`` when
    another language's profile wins or two profiles tie."""
    scores = latin_scores(text)
    ranked = sorted(scores, key=lambda lang: scores[lang], reverse=True)
    best, second = ranked[0], ranked[1]
    if scores[best] < MIN_EVIDENCE:
        # Too little to tell (a headline, a list of names, one shared word): English, as
        # Sanad has always read Latin-script text.
        return "en"
    # A tie (words that several profiles share) names no language.
    return best if best in _NAMED and scores[best] > scores[second] else "und"


def detect_language(text: str) -> str | None:
    """The language of ``text`` (one of :data:`LANGUAGES`), or None for text in no script
    Sanad reads (or with no letters).

    The non-Latin script with the most letters decides when it has at least half as many
    letters as Latin (:data:`NON_LATIN_WEIGHT`): an Arabic, Greek or Chinese article quoting
    English names stays Arabic, Greek or Chinese. Otherwise the Latin profiles decide. The
    scripts Sanad reads must make up at least half of the letters, so Korean or Hebrew text
    is not called anything.
    """
    counts = script_counts(text)
    letters = sum(counts.values())
    known = sum(n for name, n in counts.items() if name in _READ)
    if letters == 0 or known < 0.5 * letters:
        return None
    script, n = max(
        ((name, n) for name, n in counts.items() if name not in ("latin", "other")),
        key=lambda item: item[1],
        default=("latin", 0),
    )
    # Japanese writes Han and kana together: kana is the tell.
    if script == "han" and counts["kana"] >= 0.1 * n:
        return None
    if script != "latin" and n * NON_LATIN_WEIGHT >= counts["latin"]:
        return _SCRIPT_LANG[script]
    return latin_language(text) if counts["latin"] else None
