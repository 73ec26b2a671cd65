"""People a corpus names in full once and by family name after ("Sheikh Tamim bin Hamad Al
Thani" … "Al Thani himself is one of its graduates").

An Arabic full name is *given* بن *father* آل *family* ("Tamim bin Hamad Al Thani"); later
sentences name the person by the family name alone. A question naming the person by the given
name ("Where did Sheikh Tamim study?", «الشيخ تميم متخرج من وين؟») is about the sentence that
says "Al Thani", so the focus check (bot/focus.py) counts the given name, and a title just
before it (Sheikh, الشيخ), as present in a passage naming the family. Read from the corpus at
load, in both scripts (the Arabic text and its aligned translation); a family the corpus gives
to two different people is left out (the family name alone would not say which). The father's
name is no alias: "Hamad" alone is someone else.

The article also says *who* the person is where it names them in full: a title phrase in
apposition just before the name ("the Emir of Qatar, Sheikh Tamim bin Hamad Al Thani", «أمير
قطر الشيخ تميم بن حمد آل ثاني»). Those phrases are read too (:attr:`Alias.titles`), so a
question naming the person by the title ("Where did the Emir of Qatar graduate?") finds the
passage that names them, and the reverse. Only an office (emir, king, president, minister,
ambassador, commander, …) with the place or body it is of counts, and a phrase the corpus
gives to two different people is left out, as a family name is.

Things are named once and referred to after as well: "… is Al Udeid Air Base, …" then "The
base serves as a main operational hub". :func:`antecedents` reads, for a sentence opening with
"The <noun>", the name the previous sentence gives with that noun.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .normalize import normalize

# On normalised text (آل -> ال, lower case).
_AR = re.compile(r"(?:^|\s)(\w+) بن (\w+) ال (\w+)")
_EN = re.compile(r"\b(\w+) bin (\w+) al[ -](\w+)")
# A title phrase just before a full name: an office, and the place or body it is of
# («امير قطر الشيخ تميم بن…», "emir of qatar, sheikh tamim bin…"); an honorific may follow.
_OFFICES = "امير|ملك|رئيس|ولي عهد|وزير|سفير|قائد"
_HONORIFIC = r"(?:الشيخ|الامير|الملك|الرئيس|السيد|sheikh|prince|king|president|mr) "
_AR_TITLE = re.compile(
    rf"(?:^|\s)((?:{_OFFICES}) (?:(?:ال)?\w+ ){{0,2}}?){_HONORIFIC}?(\w+) بن \w+ ال \w+"
)
_EN_TITLE = re.compile(
    r"\b((?:emir|king|president|crown prince|minister|secretary|ambassador|commander) of "
    rf"(?:the )?(?:\w+ ){{0,2}}?\w+),? {_HONORIFIC}?(\w+) bin \w+ al[ -]\w+"
)


@dataclass(frozen=True)
class Alias:
    """A person's given name (both scripts) and family name phrases ("ال ثاني", "al thani")."""

    given: frozenset[str]
    family: tuple[str, ...]
    # Title phrases the corpus puts before the full name, each as its words ("امير قطر").
    titles: tuple[tuple[str, ...], ...] = ()

    def named_in(self, norm: str) -> bool:
        """Does normalised text name the family?"""
        return any(re.search(rf"(?:^|\W){re.escape(f)}(?!\w)", norm) for f in self.family)

    def titled_in(self, norm: str) -> bool:
        """Does normalised text give one of the person's title phrases ("emir of qatar")?"""
        return any(re.search(rf"(?:^|\W){re.escape(' '.join(t))}(?!\w)", norm) for t in self.titles)


def aliases(texts: Iterable[tuple[str, str | None]]) -> tuple[Alias, ...]:
    """The people named in full in ``texts`` (each a passage's text and translation), one
    :class:`Alias` per family name that belongs to a single given name in each script."""
    given: dict[str, set[str]] = {}  # family phrase -> given names seen with it
    pairs: dict[tuple[str, str], set[str]] = {}  # (ar family, en family) -> given names
    titled: dict[tuple[str, ...], set[str]] = {}  # title phrase -> given names after it
    for text, translation in texts:
        both = f"{text} {translation or ''}"
        if " بن " not in both and " bin " not in both:
            continue  # no full name: most passages, not worth normalising
        ar = _AR.findall(normalize(text)) + _AR.findall(normalize(translation or ""))
        en = _EN.findall(normalize(text)) + _EN.findall(normalize(translation or ""))
        for norm in (normalize(text), normalize(translation or "")):
            for title, g in _AR_TITLE.findall(norm) + _EN_TITLE.findall(norm):
                titled.setdefault(tuple(title.split()), set()).add(g)
        for g, _, fam in ar:
            given.setdefault(f"ال {fam}", set()).add(g)
        for g, _, fam in en:
            given.setdefault(f"al {fam}", set()).add(g)
        # The n-th full name of the Arabic and of its translation are one person.
        for (g_ar, _, f_ar), (g_en, _, f_en) in zip(ar, en, strict=False):
            pairs.setdefault((f"ال {f_ar}", f"al {f_en}"), set()).update((g_ar, g_en))
    out = []
    for (f_ar, f_en), names in sorted(pairs.items()):
        if len(given.get(f_ar, ())) == 1 and len(given.get(f_en, ())) == 1:
            titles = tuple(t for t, gs in sorted(titled.items()) if len(gs) == 1 and gs <= names)
            out.append(Alias(frozenset(names), (f_ar, f_en), titles))
    return tuple(out)


# -- What "the base" is: a sentence opening with a definite noun the previous one names -----
# "The cornerstone … is Al Udeid Air Base, …" then "The base serves as a main operational hub":
# the second sentence's "the base" is the name the first gives with that noun. Read off the
# English (the text, or the aligned translation), where names are capitalised.
_OPENER = re.compile(r"^\W*The ((?:[a-z][\w-]* ){0,1}[a-z][\w-]*)")
_LATIN = re.compile(r"[A-Za-z]{2}")


def antecedents(passages: Iterable) -> dict[str, str]:
    """For each passage (``id``, ``doc_id``, ``n``, ``text``, ``translation``; a document's
    passages consecutive, as an index holds them) opening with "The <noun>" ("The base
    serves…"), the name its previous sentence gives with that noun ("Al Udeid Air Base");
    passages with none are left out. One pass, keeping only the previous passage."""
    out: dict[str, str] = {}
    previous: tuple[str, int, str] | None = None  # doc, n and English of the passage before
    for p in passages:
        eng = p.translation or (p.text if _LATIN.search(p.text) else "")
        m = _OPENER.match(eng) if eng else None
        if m and previous and previous[:2] == (p.doc_id, p.n - 1):
            for noun in m.group(1).split():
                # a capitalised name of one to four words ending in the noun: "Al Udeid Air Base"
                name = re.search(
                    rf"\b(?:[A-Z][\w-]* ){{1,4}}{re.escape(noun.capitalize())}\b", previous[2]
                )
                if name:
                    out[p.id] = name.group(0)
                    break
        previous = (p.doc_id, p.n, eng)
    return out
