"""Follow-up questions: carry the topic of earlier turns into retrieval, transparently.

A follow-up such as "When was that?", "And the British one?" or "ولأي غرض؟" has almost no
words of its own to retrieve with. The rule, with no language model:

* count the question's **content words**: words left after removing question words, pronouns,
  demonstratives, auxiliaries and other function words (Arabic proclitics و ف ب ل are peeled
  off first, so "ولأي" counts as "أي");
* a question with at most :data:`MAX_OWN_WORDS` content words is **under-specified**: its
  retrieval query becomes the question followed by the content words of the previous user
  turn's own retrieval query (which was itself resolved the same way, so a chain of
  follow-ups keeps its topic);
* any other question stands on its own: it has its own topic, and carrying the previous one
  would drag retrieval back to the previous answer.

* the previous **answer** counts too (referents.py): Sanad's answers quote the cited sentence
  verbatim, so the sentence is found again among the corpus passages (looked up by its text).
  A follow-up that refers to a person with "he/him/his" ("Where did he study?", "Did he
  train at a military academy?", with a topic of its own too), or an Arabic follow-up with an
  implied subject after a "who" question ("ومن أين تخرج؟"), is about the person that sentence
  named in answer (after "Who is X?", X; in the passive, "was he invited", the one the
  question named; never one the follow-up names itself), searched by the shortest spelling
  the corpus has for them ("Sheikh Tamim bin Hamad Al Thani" -> "Al Thani"); the query is the
  follow-up's own words and that name. An under-specified follow-up with
  "it"/"there"/هناك/دورها is about the first distinctive thing or place the previous answer
  named that its question did not (failing one, the article's common subject the answer told,
  "Qatar", when the question named nothing of its type); a base is searched as
  "base"/"القاعدة", the way the article refers back to it. "The first one"/"الأول منها" is
  the n-th of the names of one kind the answer listed. In each case the
  query is the question and that name, without the previous topic words, which would pull
  retrieval back to the previous answer.
* a follow-up that only names another entity ("وبالنسبة لبريطانيا؟") drops from the carried
  topic the entity of that type it replaces; a person named in full in a follow-up is searched
  by the corpus's short spelling.

Only the retrieval query changes; the question, and so the answer language, stay the user's.
Figures: docs/quality.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from .normalize import normalize, question_language
from .referents import (
    MAX_READ,
    Quotable,
    Quotables,
    answered,
    as_quotables,
    contrast,
    named,
    nth_referent,
    ordinal,
    short_name,
    shorten_names,
    thing_pronoun,
    thing_referent,
)

__all__ = ["Quotable", "Quotables", "Resolution", "Turn", "resolve"]

#: A question with at most this many content words of its own takes the previous topic.
MAX_OWN_WORDS = 1

_WORD = re.compile(r"\w+")
_FUNCTION_WORDS = frozenset(
    normalize(w)
    for w in """
what which who whom whose when where why how whats who's many much
is are was were be been being am do does did done has have had can could will would should may
the a an of in on at to for from by with about into as and or but so then else also too
it its itself this that these those there here he him his himself she her herself they them
their themselves one ones other another s
ما ماذا من متى اين أين كيف كم لماذا هل أي اي ايش شو وين
هو هي هم هن هما انت أنت نحن هذا هذه ذلك ذاك تلك هؤلاء اولئك أولئك هناك هنا التي الذي الذين
في على الى إلى عن مع منذ عند بين ثم او أو ام أم بل قد لقد كان كانت يكون تكون ليس لا لم لن ان أن
إن اذا إذا كل بعض غير اخر آخر أخرى اخرى ايضا أيضا بالنسبة نسبه له لها لهم به بها بهم منه منها
منهم فيه فيها فيهم عنه عنها عليه عليها ذلك اليه إليه اليها إليها
""".split()
)
# Arabic proclitics written onto the next word: "و" and, "ف" so, "ب" with, "ل" for.
_PROCLITIC = re.compile("^[وفبل]{1,2}(?=..)")


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Resolution:
    """The query actually used for retrieval, and why."""

    query: str
    resolved: bool  # True when context from earlier turns was added
    own_words: tuple[str, ...]  # the question's content words
    context: tuple[str, ...] = ()  # the words carried over from the previous turn
    cited: str | None = None  # id of the passage the previous answer quoted, when found
    names: tuple[str, ...] = ()  # the names carried over from that passage


def _is_function_word(word: str) -> bool:
    if word in _FUNCTION_WORDS:
        return True
    bare = _PROCLITIC.sub("", word)
    return bare in _FUNCTION_WORDS or (bare.startswith("ال") and bare[2:] in _FUNCTION_WORDS)


def content_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` that carry a topic (as written, in order, without repeats)."""
    out: list[str] = []
    seen: set[str] = set()
    for word in _WORD.findall(text):
        norm = normalize(word)
        if norm.isdigit() or not _is_function_word(norm):
            if norm not in seen:
                seen.add(norm)
                out.append(word)
    return tuple(out)


_PRONOUN = re.compile(r"\b(?:he|him|his|himself|she|her|it|its|they|them|their|there)\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(?:he|him|his|himself|she|her|herself)\b", re.I)
_AR_PRONOUN = re.compile(
    r"(?:^|\s)(?:و|ف)?(?:هو|هي|هم|هناك|فيها|منها|فيه|منه|له|لها|به|بها|"
    r"عنه|عنها|اليه|اليها|عليه|عليها)(?!\w)"
)
# A capitalised run, with the lower-case links names use ("Tamim bin Hamad", "Emir of Qatar").
_NAME = re.compile(
    r"(?:No\. \d+ )?[A-Z][\w'-]*(?:(?: (?:bin|of|al|al-|the))* [A-Z][\w'-]*|"
    r" (?:III|II|\d+))*"
)
_TITLES = frozenset(
    "king president sheikh emir secretary minister prince general ambassador".split()
)
_IDENTITY = re.compile(r"\s*(?:who is|who's|who was|(?:و)?(?:من|مين) (?:هو|هي|كان))(?!\w)")
#: A name found in more than this share of the passages is everywhere, and says nothing.
COMMON_NAME_SHARE = 0.25


def cited_passage(answer: str, passages: Sequence[Quotable] | Quotables) -> Quotable | None:
    """The first passage an earlier answer quotes verbatim (its text or translation), if any:
    looked up by the quoted text, not by scanning the corpus."""
    cited = as_quotables(passages).cited(answer)
    return cited[0] if cited else None


def passage_names(
    p: Quotable, passages: Sequence[Quotable] | Quotables, person: bool | None = None
) -> tuple[str, ...]:
    """The distinctive names of a passage (from its English translation), in order.

    ``person`` True keeps names with a title (King, Sheikh, Secretary…) or that continue a
    titled one; False keeps the others; None keeps all.
    """
    passages = as_quotables(passages)
    text = p.translation or ""
    names: list[str] = []
    for m in _NAME.finditer(text):
        words = [w.removesuffix("'s") for w in m.group(0).split()]
        if m.start() == 0 and words[0] != "No.":  # "During the Gulf War", "Every year"
            words = words[1:]
        if not words:
            continue
        span = " ".join(words)
        titled = any(normalize(w) in _TITLES for w in words)
        if person is not None and titled != person:
            continue
        if passages.name_share(span) > COMMON_NAME_SHARE:
            continue
        if span not in names:
            names.append(span)
    return tuple(names)


def referent(p: Quotable, asked: str, passages: Sequence[Quotable]) -> str | None:
    """The person an earlier answer (quoting ``p``) gave for the question ``asked``.

    Of the passage's titled names, the words the question already used are dropped ("Who is
    the British defence secretary?" + "British Defence Secretary John Healey" -> "John
    Healey"); after "who is …?" a name in apposition wins ("Who is the Emir of Qatar?" ->
    "the Emir of Qatar, Sheikh Tamim bin Hamad Al Thani"), else the first name the question
    did not use ("Who invited the Emir?" -> "King Charles III").
    """
    used = {normalize(w) for w in _WORD.findall(asked)}
    names = passage_names(p, passages, person=True)
    rests = [" ".join(w for w in n.split() if normalize(w) not in used) for n in names]
    text = p.translation or ""
    identity = bool(_IDENTITY.match(normalize(asked)))
    for prev, (name, rest) in zip(names, list(zip(names, rests, strict=True))[1:], strict=False):
        if identity and f"{prev}, {name}" in text and rest:
            return rest  # apposition: the name the question asked about, then who it is
    if identity:  # "Who is Sheikh Tamim …?": "he" is the person the question named
        named = [n for n, r in zip(names, rests, strict=True) if not r]
        if named:
            return named[-1]
    return next((r for r in rests if r), None)


def resolve(
    question: str,
    history: Sequence[Turn] = (),
    passages: Sequence[Quotable] | Quotables = (),
) -> Resolution:
    """The retrieval query for ``question`` asked after ``history`` (oldest turn first).

    ``passages`` (the corpus, best as :class:`Quotables` built once) lets the previous
    answer's quoted sentence be found; the previous answer's names are read from its text.
    """
    quotables = as_quotables(passages)
    topic: tuple[str, ...] = ()
    cited: Quotable | None = None
    asked = answer = ""
    for turn in history:  # replay the user turns so a chain of follow-ups keeps its topic
        if turn.role == "user" and turn.content.strip():
            topic = _step(turn.content, topic).context_words
            cited, asked, answer = None, turn.content, ""
        elif turn.role == "assistant":
            answer = turn.content
            if len(quotables):
                cited = cited_passage(turn.content, quotables) or cited
    res = _step(question, topic).resolution
    if res.resolved and len(res.own_words) <= MAX_OWN_WORDS:
        kept = contrast(question, res.context)
        if kept != res.context:
            query = " ".join([question.strip(), *kept])
            res = replace(res, query=query, context=kept, resolved=bool(kept))
    if cited is not None:
        res = replace(res, cited=cited.id)
    if not asked or not answer.strip():
        return res
    language = question_language(question)
    # A person named in full is searched by the corpus's short spelling of them.
    short = shorten_names(question.strip(), quotables, language)
    if short != question.strip():
        res = replace(res, query=short + res.query.strip()[len(question.strip()) :])
        question = short
    # "the second one": the n-th of the names of one kind the previous answer listed.
    n = ordinal(question)
    if n is not None:
        name = nth_referent(n, answered(asked, answer), quotables, language)
        if name:
            return _with(question, res, name)
    own_topic = len(res.own_words) > MAX_OWN_WORDS
    # "he"/"him" (or an Arabic follow-up of one topic word after a "who" question, whose
    # subject is implied: "ومن أين تخرج؟") stands for the person the previous answer named,
    # also in a follow-up with a topic of its own ("Did he train at a military academy?"):
    # the name is added to the follow-up's own words, never the earlier question's.
    from .focus import question_focus

    implied = (
        not own_topic
        and res.resolved
        and question_focus(asked).kind == "person"
        and not _PRONOUN.search(question)
    )
    if cited is not None and (_PERSON_PRONOUN.search(question) or implied):
        person = _person(question, asked, cited, quotables)
        if person:
            return _with(question, res, short_name(person, quotables, language))
        return res
    # Only an under-specified follow-up takes a thing as its referent: one with a topic of its
    # own is pulled back to the quoted sentence by the thing's name.
    if own_topic:
        return res
    # "it"/"there" stands for the thing or place the previous answer named.
    kind = thing_pronoun(question)
    if kind:
        name = thing_referent(
            kind, answered(asked, answer), quotables, language, named(asked[:MAX_READ])
        )
        if name:
            return _with(question, res, name)
    return res


# "was he invited", "is she called": the person is the one acted on, not the one acting.
_PASSIVE = re.compile(
    r"\b(?:is|was|are|were|been|being)\s+(?:he|she)\s+(?:\w+\s+)?\w+(?:ed|en)\b", re.I
)


def _person(question: str, asked: str, cited: Quotable, quotables: Quotables) -> str | None:
    """Who "he"/"she" in ``question`` is, after ``asked`` was answered by quoting ``cited``.

    Read from the people the quoted sentence names (entities.py, in either script): after
    "Who is X?" X; after "Who invited the Emir?" the first one the question did not name (the
    answer); in the passive ("What was he invited to discuss?") the one the question named
    (acted on, not acting). Never a person the follow-up names itself ("Where did he hold
    talks with the Emir?" is not about the Emir). Searched by the corpus's short spelling.
    Without a known person in the sentence, the titled names of its translation
    (:func:`referent`).
    """
    text = f"{cited.translation or ''}\n{cited.text}"
    people = [n for n in named(text) if n.type == "person"]
    if not people:
        return referent(cited, asked, quotables)
    said = {n.id for n in named(question)}
    in_asked = {n.id for n in named(asked[:MAX_READ]) if n.type == "person"}
    acted_on = bool(_IDENTITY.match(normalize(asked))) or bool(_PASSIVE.search(question))
    asked_about = [p for p in people if p.id in in_asked and p.id not in said]
    answer = [p for p in people if p.id not in in_asked and p.id not in said]
    first = (asked_about + answer) if acted_on else answer
    if not first:
        return None
    return quotables.short_form(first[0].id, question_language(question)) or first[0].text


def _with(question: str, res: Resolution, name: str) -> Resolution:
    """The question searched with ``name`` instead of the earlier topic words (which would
    pull retrieval back to the previous answer); unchanged when it already says the name."""
    said = {normalize(w) for w in _WORD.findall(question)}
    if all(normalize(w) in said for w in _WORD.findall(name)):
        return res
    return Resolution(f"{question.strip()} {name}", True, res.own_words, (), res.cited, (name,))


@dataclass(frozen=True)
class _Step:
    resolution: Resolution
    context_words: tuple[str, ...]  # the topic this turn hands to the next one


def _step(question: str, topic: tuple[str, ...]) -> _Step:
    own = content_words(question)
    if len(own) > MAX_OWN_WORDS or not topic:
        return _Step(Resolution(question, False, own), own)
    seen = {normalize(w) for w in own}
    carried = tuple(w for w in topic if normalize(w) not in seen)
    if not carried:
        return _Step(Resolution(question, False, own), own)
    query = f"{question.strip()} {' '.join(carried)}"
    return _Step(Resolution(query, True, own, carried), own + carried)


@dataclass(frozen=True)
class Conversation:
    """One item of a follow-up evaluation set."""

    history: tuple[Turn, ...]
    question: str
    gold_ids: tuple[str, ...]
    split: str | None = None


def evaluate_followups(
    items: Iterable[Conversation],
    top_id: Callable[[str, str], str],
    passages: Sequence[Quotable] = (),
) -> dict:
    """R@1 without and with resolution; ``top_id(question, retrieval_query)`` retrieves."""
    rows = []
    for item in items:
        res = resolve(item.question, item.history, passages)
        plain = top_id(item.question, item.question)
        resolved = top_id(item.question, res.query)
        rows.append(
            {
                "question": item.question,
                "resolved_query": res.query,
                "resolved": res.resolved,
                "gold_ids": list(item.gold_ids),
                "plain_top": plain,
                "resolved_top": resolved,
                "plain_hit": plain in item.gold_ids,
                "resolved_hit": resolved in item.gold_ids,
            }
        )
    n = len(rows)
    return {
        "n": n,
        "R@1_without": round(sum(r["plain_hit"] for r in rows) / n, 4) if n else None,
        "R@1_with": round(sum(r["resolved_hit"] for r in rows) / n, 4) if n else None,
        "resolved": sum(r["resolved"] for r in rows),
        "items": rows,
    }


def read_conversations(path, split: str | None = None) -> list[Conversation]:
    """Parse a follow-up set: JSONL of ``{"history", "question", "gold_ids", "split"?}``."""
    import json
    from pathlib import Path

    from .errors import InputError

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            history = tuple(Turn(t["role"], t["content"]) for t in row.get("history", []))
            item = Conversation(history, row["question"], tuple(row["gold_ids"]), row.get("split"))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f'{path}:{n}: expected {{"history": [{{"role", "content"}}], '
                '"question", "gold_ids"}'
            ) from exc
        if split is None or item.split in (None, split):
            items.append(item)
    if not items:
        raise InputError(f"{path} holds no conversations")
    return items
