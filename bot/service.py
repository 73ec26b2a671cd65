"""Sanad as one object: the corpus, the model, a fresh index, and ``ask``.

The CLI and the HTTP API both go through :class:`Sanad`, so they return the same answer.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .answer import Citation, citations, quoted, render
from .answerability import Evidence, Rule, evidence, load_rule, with_focus
from .batching import BatchingEmbedder
from .choice import DEPTH, choose
from .corpus import Document, load_corpus
from .embed import Embedder, load_embedder
from .errors import InputError
from .focus import question_focus
from .followup import Quotable, Quotables
from .index import LoadedIndex, build_index, expected_manifest, passage_tokens, staleness
from .langrule import LANGUAGE_FILE, LanguageRules, language_rules
from .late import single_thread_blas
from .lru import LRU
from .names import aliases, antecedents
from .normalize import normalize, question_language
from .query import Query
from .retrieve import Ranking, Retriever
from .scope import DocumentScope
from .settings import MAX_CITES, MAX_QUOTES, MAX_TOP_K, Settings
from .verify import ClaimReport, QuoteRef, Verifier, as_quote

log = logging.getLogger("sanad")

#: For a model that was never calibrated (`bot calibrate`): abstain below this best cosine.
UNCALIBRATED_THRESHOLD = 0.8


@dataclass(frozen=True)
class Answer:
    """What ``ask`` returns; ``to_dict`` is the stable JSON schema of the CLI and API."""

    question: str
    language: str
    answer: str
    answerable: bool
    citations: list[Citation]
    model: str
    index: str
    evidence: Evidence  # what the abstention rule saw; not part of the public schema

    def to_dict(self) -> dict[str, Any]:
        """The public JSON object (the fields but ``evidence``; citations as plain dicts)."""
        # Field by field, not dataclasses.asdict: that deep-copies every value, evidence
        # included, and cost a request more than the JSON encoding of the answer.
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "evidence"}
        d["citations"] = [{f.name: getattr(c, f.name) for f in fields(c)} for c in self.citations]
        return d


def calibration_path(settings: Settings) -> Path:
    """Where ``bot calibrate --save`` writes: beside the index, outside the installed package."""
    return settings.index_dir / "calibration.json"


def check_question(question: str, limit: int, what: str = "question") -> str:
    """The question stripped, or :class:`InputError` saying what is wrong with it.

    ``what`` names the text in the message ("question", "claim"). A text with no letter or
    digit once normalised (only invisible characters, diacritics, tatweel, punctuation) is
    refused: retrieval would otherwise rank passages for nothing and answer confidently.
    """
    if not isinstance(question, str) or not question.strip():
        raise InputError(f"the {what} is empty: ask something about the article")
    if len(question) > limit:
        raise InputError(f"the {what} has {len(question)} characters; the limit is {limit}")
    if not any(c.isalnum() for c in normalize(question)):
        raise InputError(
            f"the {what} has no letters or digits (only spaces, punctuation, "
            "diacritics, tatweel or invisible characters): write it in words"
        )
    return question.strip()


#: All quotes of one verify request together (relocating a quote costs about its length
#: squared). The other limits of a request, MAX_CITES and MAX_QUOTES, are in settings.py.
MAX_QUOTES_CHARS = 4000


def check_claim(claim: str, limit: int) -> str:
    """The claim stripped, or :class:`InputError` saying what is wrong with it."""
    if not isinstance(claim, str) or not claim.strip():
        raise InputError("the claim is empty: state something about the article to check")
    claim = check_question(claim, limit, "claim")
    # A claim is analysed whole (every fact compared), so unlike a question it is not cut at the
    # token cap: its length counts after Unicode normalisation, where one ligature (U+FDFA)
    # becomes eighteen characters.
    folded = len(unicodedata.normalize("NFKC", claim))
    if folded > 2 * limit:
        raise InputError(
            f"the claim has {folded} characters once Unicode-normalised (NFKC: ligatures such "
            f"as \ufdfa expand); the limit is {2 * limit}: check one statement at a time"
        )
    return claim


def check_verify_limits(claim: str, cite: Sequence[str], quotes: Sequence[Any], top_k: int) -> None:
    """Raise :class:`InputError` when a verify request is beyond the documented bounds."""
    from .quotes import MAX_QUOTE_CHARS

    if len(cite) > MAX_CITES:
        raise InputError(f"{len(cite)} citations; at most {MAX_CITES} per claim")
    if len(quotes) > MAX_QUOTES:
        raise InputError(f"{len(quotes)} quotes; at most {MAX_QUOTES} per claim")
    total = 0
    for q in quotes:
        text = q.quote if isinstance(q, QuoteRef) else q["quote"]
        if len(text) > MAX_QUOTE_CHARS:
            raise InputError(f"a quote has {len(text)} characters; at most {MAX_QUOTE_CHARS}")
        total += len(text)
    if total > MAX_QUOTES_CHARS:
        raise InputError(
            f"the quotes have {total} characters together; at most "
            f"{MAX_QUOTES_CHARS} per request: send fewer or shorter quotes"
        )
    if not 1 <= top_k <= 20:
        raise InputError(f"top_k must be between 1 and 20, not {top_k}")


def check_options(lang: str | None, top_k: int | None) -> None:
    """Raise :class:`InputError` for an unknown language or an out-of-range ``top_k``."""
    if lang is not None and lang not in ("ar", "en"):
        raise InputError(f"lang must be 'ar' or 'en', not {lang!r}")
    if top_k is not None and not 1 <= top_k <= MAX_TOP_K:
        raise InputError(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k}")


def open_index(
    settings: Settings,
    docs: list[Document],
    embedder: Embedder,
    force: bool = False,
    progress=None,
    encode=None,
    total=None,
) -> tuple[LoadedIndex, int]:
    """Load the index, rebuilding it first (with a log line saying why) when it is stale;
    ``encode`` is the build's encoding step (default: this process; ray_build.py);
    ``total`` and ``progress`` are told the texts to encode and those done (build_index)."""
    from .milvus_store import vector_store

    store = vector_store(settings.vector_store, settings.milvus_uri, settings.ann_min_rows)
    expected = expected_manifest(docs, embedder, store.name, settings.ann_min_rows)
    reason = "forced" if force else staleness(settings.index_dir, expected)
    if reason:
        log.info("building the index in %s: %s", settings.index_dir, reason)
    return build_index(
        settings.index_dir,
        docs,
        embedder,
        force=force,
        progress=progress,
        encode=encode,
        store=store,
        total=total,
    )


class Sanad:
    """The question-answering core with everything it needs already loaded."""

    def __init__(
        self, settings: Settings, docs: list[Document], embedder: Embedder, index: LoadedIndex
    ):
        self.settings = settings
        self.docs = {d.id: d for d in docs}
        self.embedder = embedder
        single_thread_blas()  # MaxSim's products on BLAS, without threads (late.py)
        # Questions asked at the same time (API threads) share forward passes.
        self._batching = BatchingEmbedder(embedder, passes=settings.passes)
        self._lock = threading.Lock()
        self._answers: LRU[tuple, Answer] = LRU(settings.answer_cache)
        self._rule = self.rule
        self._rules = self.rules
        self._set_index(index)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> Sanad:
        """Load corpus and model, make sure the index is current, and return a ready Sanad."""
        docs = load_corpus(settings.corpus_dir, settings.max_document_chars)
        embedder = embedder or load_embedder(settings)
        index, _ = open_index(settings, docs, embedder)
        return cls(settings, docs, embedder, index)

    def _set_index(self, index: LoadedIndex) -> None:
        retriever = Retriever(index, self._batching, self.settings.retriever)
        # Follow-up resolution's view of the passages, indexed once per index (looked up by
        # quoted text and id, not scanned per request).
        self._quotables = Quotables([Quotable(p.id, p.text, p.translation) for p in index.passages])
        # People named by family name after their full name (names.py), read once per index.
        aka = aliases((p.text, p.translation) for p in index.passages)
        # What a sentence's opening "the <noun>" names (names.py), read once per index.
        ante = antecedents(index.passages)
        # Abstention reads the evidence within the answering document (scope.py).
        scope = DocumentScope(
            [p.doc_id for p in index.passages], lambda i: passage_tokens(index.passages[i])
        )
        # One assignment swaps them, so a request sees either the old or the new ones.
        self._state = (index, retriever, aka, ante, scope)
        self._answers.clear()
        # The verifier holds its own index and documents: it is swapped whole as well.
        self.verifier = Verifier(retriever, self.docs)

    def encode_query(self, text: str) -> Query:
        """``text`` (a question or claim) encoded once against the index in use: the vectors
        and lexical tokens that :meth:`rank` and verification read."""
        return self._state[1].encode_query(text)

    def rank(self, query: Query, k: int) -> Ranking:
        """The ``k`` best passages for an encoded question, with every passage's scores."""
        return self._state[1].rank(query, k)

    @property
    def index(self) -> LoadedIndex:
        """The index in use."""
        return self._state[0]

    @property
    def quotables(self) -> Quotables:
        """The indexed passages as follow-up resolution reads them, built once per index."""
        return self._quotables

    @property
    def rule(self) -> Rule:
        """The abstention rule in use: calibrated for the model (``bot calibrate --save``
        beside the index first, then the calibration shipped in the package), threshold
        overridable."""
        model = self.embedder.model_id
        rule = (
            load_rule(model, calibration_path(self.settings))
            or load_rule(model)
            or Rule(0.0, 0.0, UNCALIBRATED_THRESHOLD)
        )
        t = self.settings.abstain_threshold
        return rule if t is None else replace(rule, threshold=t)

    @property
    def rules(self) -> LanguageRules:
        """:attr:`rule`, and for questions in the languages calibrated apart (langrule.py)
        theirs (a ``calibration_langs.json`` beside the index first, then the package's);
        with the threshold overridden, :attr:`rule` for every question."""
        if self.settings.abstain_threshold is not None:
            return LanguageRules(self.rule)
        paths = (calibration_path(self.settings).with_name(LANGUAGE_FILE.name), LANGUAGE_FILE)
        return language_rules(self.embedder.model_id, self.rule, paths)

    def reload(self) -> str:
        """Re-read corpus and index (rebuilding if stale) and swap them in; return the id."""
        with self._lock:
            docs = load_corpus(self.settings.corpus_dir, self.settings.max_document_chars)
            index, _ = open_index(self.settings, docs, self.embedder)
            self.docs = {d.id: d for d in docs}
            self._set_index(index)
            return index.id

    def check_question(self, question: str, what: str = "question") -> str:
        """The question stripped, or :class:`InputError` saying what is wrong with it."""
        return check_question(question, self.settings.max_question_chars, what)

    def ask(
        self,
        question: str,
        lang: str | None = None,
        top_k: int | None = None,
        retrieval_query: str | None = None,
    ) -> Answer:
        """Answer ``question`` with cited passages.

        ``retrieval_query`` (from follow-up resolution) replaces the question for retrieval
        only; the answer language still follows ``question`` unless ``lang`` is given.
        """
        question = self.check_question(question)
        check_options(lang, top_k)
        k = self.settings.top_k if top_k is None else top_k
        language = lang or question_language(question)
        index, retriever, aka, ante, scope = self._state
        query = retrieval_query or question
        text = retriever.query_text(query)  # capped: no work below grows with the question
        key = (normalize(text), language, k, index.id)
        cached = self._answers.get(key)
        if cached is not None:
            return replace(cached, question=question)
        # At least the passages the answer may be chosen from, whatever ``k`` (choice.py).
        ranking = retriever.rank(retriever.encode_query(text, capped=True), max(k, DEPTH))
        # The retrieval text, not the question: answers are cached by it.
        focus = question_focus(text)
        chosen = choose(focus, ranking.hits, aliases=aka, antecedents=ante)
        hits = chosen.hits[:k]
        # A question in a language calibrated apart, answered from a passage in that
        # language, is judged by that language's threshold (langrule.py).
        doc = self.docs.get(hits[0].passage.doc_id) if hits else None
        rule = self._rules.for_question(text, doc.language if doc else None)
        # The main rule reads the question's words within the document that answers, not the
        # whole corpus (scope.py); the languages' own rules were fitted on the corpus's.
        idf = ranking.idf
        if hits and rule is self._rules.main:
            idf = scope.idf_for(hits[0].passage.doc_id, idf)
        ev = evidence(ranking.stats, list(ranking.query.lexical), idf)
        if hits:  # what the question asks for, against what the chosen passage offers
            best = hits[0].passage
            ev = with_focus(
                ev, text, best.text, best.translation, idf, focus, aka, ante.get(best.id)
            )
            ev = replace(ev, moved_from=chosen.moved_from)
        answerable = bool(hits) and rule.answerable(ev)
        cites = citations(hits, self.docs)
        text = render(language, answerable, quoted(cites, -1.0) if answerable else [])
        answer = Answer(
            question, language, text, answerable, cites, self.embedder.model_id, index.id, ev
        )
        self._answers.put(key, answer)
        return answer

    def verify(
        self,
        claim: str,
        cite: Sequence[str] = (),
        quotes: Sequence[QuoteRef | Mapping[str, Any]] = (),
        top_k: int = 3,
    ) -> ClaimReport:
        """Judge ``claim`` against the corpus: ``supported``, ``contradicted`` or
        ``not_enough_info``, with the deciding passages and the checks of the passage ids
        (``cite``) and quotes the client offered. The claim is encoded once."""
        claim = check_claim(claim, self.settings.max_question_chars)
        check_verify_limits(claim, cite, quotes, top_k)
        return self.verifier.verify(claim, cite, [as_quote(q) for q in quotes], top_k)
