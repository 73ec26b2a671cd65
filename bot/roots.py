"""An Arabic verb and its verbal noun as one word: a small root key (يدرب / تدريب, تحررت / تحرير).

Questions ask with a verb where the article has the verbal noun ("منو يدرب العسكريين؟" against
«تدريب العسكريين», «تحررت» against «تحرير الكويت», «عُيّن» against «تعيينه»); the stemmers
(lexical.py) strip clitics and endings but keep the verb's prefix and the noun's pattern
letters, so the two never meet. :func:`root_key` takes both to the same consonants by the
rules of the patterns involved, nothing learnt:

1. the conjunction and preposition clitics and the article (و ف ب ل ك, ال), as light_stem does;
2. attached pronouns and inflection endings: ها هما هم كم نا ه, ون ين وا ات ان, a final ت
   (the past's "she", تحررت) — only while three letters are left;
3. one tense prefix of the imperfect or a participle (ي ت ن ا م: يدرب, تحرر, متمركز), then
   the ت of the derived stems (تفعّل, تفاعل: يتمركز → تمركز → مركز);
4. the pattern's long vowels: every ا, and a ي or و just before the last letter (فعيل,
   تفعيل, فعول: تدريب → درب, تعيين → عين).

A key of fewer than three letters says nothing and is not used. Two words with one key can
still be two roots (a different sense of one root, or a ت that was the root's): the key is
compared only between a question's word and a passage's words, never to rank passages, and
its false matches on the seed article's vocabulary are listed in docs/quality.md.
"""

from __future__ import annotations

import re

_ARABIC = re.compile("^[\u0621-\u064a]+$")
_CLITICS = re.compile("^(?:و|ف)?(?:ب|ل|ك)?(?:ال)?")
_PRONOUN = re.compile("(?:هما|ها|هم|كم|نا|ه)$")
_ENDING = re.compile("(?:ون|ين|وا|ات|ان|ت)$")
_TENSE = "يتنام"


def root_keys(word: str) -> frozenset[str]:
    """The root consonants of a normalised Arabic ``word`` (normalize.py): one key, or two
    when a final ين/ون/ات… may be the root's own (تعيين: تعي or عين); empty when the word is
    not Arabic or fewer than three letters would be left."""
    if not _ARABIC.match(word) or len(word) < 3:
        return frozenset()
    w = _bare(word)
    out = set()
    for stem in {w, _cut(_ENDING, w)}:
        if len(stem) >= 4 and stem[0] in _TENSE:
            stem = stem[1:]
        if len(stem) >= 4 and stem[0] == "ت":
            stem = stem[1:]
        stem = stem.replace("ا", "")
        if len(stem) >= 4 and stem[-2] in "يو":
            stem = stem[:-2] + stem[-1]
        if len(stem) >= 3:
            out.add(stem)
    return frozenset(out)


def _cut(pattern: re.Pattern, w: str) -> str:
    cut = pattern.sub("", w)
    return cut if len(cut) >= 3 else w


def _bare(word: str) -> str:
    """Without clitics and attached pronouns (three letters kept at least)."""
    return _cut(_PRONOUN, _cut(_CLITICS, word))


def is_verb(word: str) -> bool:
    """Does the normalised Arabic ``word`` read as a verb: an imperfect (يدرب, تحرر, with the
    Levantine ب: بيدرب), a past of three letters (زار, عين) or a past with "she"'s ت (تحررت,
    استقلت)? Never a word with the article. A noun of three letters reads as a past too
    (حرب): the focus check only asks whether the passage has it."""
    if not _ARABIC.match(word):
        return False
    w = re.sub("^(?:و|ف)", "", word) if len(word) > 4 else word
    if w.startswith("ال"):
        return False  # a verb takes no article (الكويت, التدريب)
    if len(w) > 4 and w[0] == "ب" and w[1] in "يتن":
        w = w[1:]
    return (len(w) >= 4 and w[0] in "يتن") or len(w) == 3 or (4 <= len(w) <= 6 and w[-1] == "ت")


def is_derived_noun(word: str) -> bool:
    """Is the normalised Arabic ``word`` a verbal noun or participle of a derived pattern:
    after its clitics, five letters or more opening with the pattern's ت, م or ا (تدريب,
    تحرير, متمركزين, استقلال)?"""
    if not _ARABIC.match(word):
        return False
    w = _cut(_CLITICS, word)
    return len(w) >= 5 and w[0] in "تما"


def same_root(verb: str, noun: str) -> bool:
    """Is the question's verb ``verb`` the passage's derived noun ``noun`` (both normalised):
    يدرب / تدريب, تحررت / تحرير, يتمركز / المتمركزين? Only in that direction: a passage's
    short words read as pasts too easily (وزير is not و + زير)."""
    return is_verb(verb) and is_derived_noun(noun) and bool(root_keys(verb) & root_keys(noun))
