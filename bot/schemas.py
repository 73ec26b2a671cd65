"""Request and response models of the HTTP API (pydantic lives only at this edge).

Limits that depend on settings (question length, history length) are checked by the
handlers against the live settings; the descriptions here give their defaults.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .corpus import Document, Passage
from .errors import NotFound
from .segment import Span
from .settings import MAX_CITES, MAX_QUOTES, MAX_TOP_K

Lang = Literal["ar", "en"]
#: A document's language (bot/language.py LANGUAGES): answers are in ``Lang``, documents in
#: any of these.
DocLang = Literal["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh", "und"]


def _encodable(text: str) -> str:
    # JSON may carry lone surrogates ("\\ud800"), which no UTF-8 response can echo back.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"invalid Unicode at character {exc.start} (a lone surrogate): "
            "send well-formed UTF-8 text"
        ) from None
    return text


#: A request string that is well-formed Unicode.
Text = Annotated[str, AfterValidator(_encodable)]


def _integral(value: object) -> object:
    # JSON Schema's "integer" includes 1.0; strict mode would refuse it, so convert it first
    # (1.5 and "1" are still refused).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: In the JSON Schema of questions and claims: not blank. (The server also wants a letter or
#: digit after normalisation, see service.check_question, which no pattern both JSON Schema
#: engines and Python read alike can say.) Validation is not by this pattern, so the error
#: message stays the one that says what to fix.
HAS_WORDS = {"pattern": "\\S"}

#: A request integer: JSON's 3 or 3.0, never "3" or 3.5.
Int = Annotated[int, BeforeValidator(_integral)]
#: A number of citations or passages (constraints before the validator, or the JSON Schema
#: would show pydantic's "ge"/"le" instead of "minimum"/"maximum").
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_integral)]


class _Request(BaseModel):
    # Strict: a number is not a string and "3" is not an int; unknown fields are mistakes.
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorDetail(BaseModel):
    """What went wrong, and what to do about it."""

    code: str = Field(description="Stable machine-readable name, e.g. invalid_input.")
    message: str = Field(description="Human-readable; says what to fix.")


class ErrorResponse(BaseModel):
    """The one shape of every 4xx and 5xx response."""

    error: ErrorDetail


class HistoryTurn(_Request):
    """One earlier message of the conversation."""

    role: Literal["user", "assistant"]
    content: Text = Field(max_length=20_000)


class ChatRequest(_Request):
    """A question, optionally with the conversation so far."""

    question: Text = Field(
        min_length=1,
        description="At least one letter or digit; at most "
        "SANAD_MAX_QUESTION_CHARS characters (default 1,000).",
        json_schema_extra=HAS_WORDS,
    )
    lang: Lang | None = Field(None, description="Answer language; default: the question's script.")
    top_k: TopK | None = Field(None, description=f"Number of citations (1-{MAX_TOP_K}).")
    history: list[HistoryTurn] = Field(
        default_factory=list,
        description="Earlier turns, oldest first; at most SANAD_MAX_HISTORY_TURNS (default 20).",
    )


class CitationOut(BaseModel):
    """A numbered citation: the verbatim sentence and where it is in its document."""

    n: int
    id: str
    doc_id: str
    text: str
    translation: str | None
    start: int
    end: int
    score: float
    section: str | None
    title: str | None = Field(None, description="The cited document's title.")
    date: str | None = Field(None, description="The cited document's date, when known.")
    url: str | None = Field(None, description="Link to the cited document, when known.")
    language: DocLang | None = Field(None, description="The cited document's language.")


class ChatResponse(BaseModel):
    """The ``bot ask --json`` object plus the retrieval query actually used."""

    model_config = ConfigDict(extra="allow")

    question: str
    language: Lang
    answer: str
    answerable: bool
    citations: list[CitationOut]
    model: str
    index: str
    resolved_query: str = Field(
        description="The query used for retrieval: the question, plus "
        "the earlier topic when the question is a short follow-up."
    )


class ChatMessage(BaseModel):
    """An OpenAI chat message (text content, or a list of text parts)."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Text | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI-compatible request; sampling parameters are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: Text | None = None
    messages: list[ChatMessage] = Field(
        min_length=1,
        description="The last message with role 'user' and some text is the "
        "question; earlier user and assistant messages are the history.",
        json_schema_extra={
            "contains": {
                "type": "object",
                "required": ["role", "content"],
                "properties": {
                    "role": {"const": "user"},
                    "content": {"type": "string", **HAS_WORDS},
                },
            }
        },
    )
    stream: bool = Field(False, strict=True)
    lang: Lang | None = None
    top_k: TopK | None = None
    sanad_sources: bool | None = Field(
        None,
        strict=True,
        description="Append the cited sources to the "
        "message text (default: SANAD_INLINE_SOURCES, on); "
        "false for clients that read `citations`.",
    )


class AssistantMessage(BaseModel):
    """The assistant's reply."""

    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    """The one choice Sanad returns."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    """Word counts (Sanad has no tokens to bill; these keep clients that read usage happy)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """OpenAI-compatible response with Sanad's citations in extra fields."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[CitationOut]
    answerable: bool
    resolved_query: str


class ModelCard(BaseModel):
    """One model in the OpenAI ``/v1/models`` shape."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    """The models Sanad answers as (OpenAI ``/v1/models`` shape)."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class Neighbour(BaseModel):
    """The sentence before or after a passage."""

    id: str
    text: str
    start: int
    end: int
    translation: str | None

    @classmethod
    def of(cls, p: Passage | None) -> Neighbour | None:
        """From a core passage (None stays None)."""
        return (
            None
            if p is None
            else cls(id=p.id, text=p.text, start=p.start, end=p.end, translation=p.translation)
        )


class PassageOut(BaseModel):
    """A passage with its document and its neighbouring sentences."""

    id: str
    doc_id: str
    doc_title: str
    doc_title_en: str | None
    n: int
    start: int
    end: int
    text: str
    section: str | None
    translation: str | None
    previous: Neighbour | None
    next: Neighbour | None

    @classmethod
    def find(cls, docs: dict[str, Document], passage_id: str) -> PassageOut:
        """The passage ``passage_id`` of ``docs`` with its neighbours, or :class:`NotFound`."""
        doc = docs.get(passage_id.rsplit(":", 1)[0])
        p = next((p for p in doc.passages if p.id == passage_id), None) if doc else None
        if p is None:
            raise NotFound(
                f"no passage {passage_id!r}: ids look like '<doc-id>:<n>' "
                "(GET /v1/documents lists documents and their passages)"
            )
        near = {q.n: q for q in doc.passages}
        return cls(
            id=p.id,
            doc_id=doc.id,
            doc_title=doc.title,
            doc_title_en=doc.title_en,
            n=p.n,
            start=p.start,
            end=p.end,
            text=p.text,
            section=p.section,
            translation=p.translation,
            previous=Neighbour.of(near.get(p.n - 1)),
            next=Neighbour.of(near.get(p.n + 1)),
        )


class DocumentSummary(BaseModel):
    """Metadata of one corpus document."""

    id: str
    title: str
    title_en: str | None
    language: DocLang
    source: str | None
    sha256: str
    characters: int
    passages: int
    date: str | None = None
    url: str | None = None

    @classmethod
    def of(cls, d: Document) -> DocumentSummary:
        """From a core document."""
        return cls(
            id=d.id,
            title=d.title,
            title_en=d.title_en,
            language=d.language,
            source=d.meta.get("source"),
            sha256=d.sha256,
            characters=len(d.raw),
            passages=len(d.passages),
            date=d.date,
            url=d.url,
        )


class PassageSpan(BaseModel):
    """Where one passage is in the raw text."""

    id: str
    n: int
    start: int
    end: int
    section: str | None


class TextSpan(BaseModel):
    """A ``[start, end)`` range of the raw text and the text itself."""

    start: int
    end: int
    text: str

    @classmethod
    def of(cls, raw: str, s: Span | None) -> TextSpan | None:
        """From a core span."""
        return None if s is None else cls(start=s.start, end=s.end, text=raw[s.start : s.end])


class DocumentOut(DocumentSummary):
    """A document with its raw text and every span a client needs to highlight citations."""

    raw: str = Field(description="The text, verbatim; offsets are Unicode code points.")
    meta: dict[str, Any]
    passage_spans: list[PassageSpan]
    headings: list[TextSpan]
    excluded: TextSpan | None = Field(
        description="The trailing reader-comment section, never indexed or cited."
    )


class Quote(_Request):
    """A quotation the client claims is at ``[start, end)`` of a document."""

    doc_id: Text
    start: Int = Field(ge=0)
    end: Int = Field(ge=0)
    quote: Text


class VerifyRequest(_Request):
    """A claim, and optionally the passage ids or quotes offered for it."""

    claim: Text = Field(
        min_length=1,
        description="At least one letter or digit; at most "
        "SANAD_MAX_QUESTION_CHARS characters (default 1,000).",
        json_schema_extra=HAS_WORDS,
    )
    citations: list[Text] = Field(
        default_factory=list, max_length=MAX_CITES, description="Passage ids offered as evidence."
    )
    cite: list[Text] = Field(
        default_factory=list,
        max_length=MAX_CITES,
        description="Same as citations (the CLI's name); the two are merged.",
    )
    quotes: list[Quote] = Field(
        default_factory=list,
        max_length=MAX_QUOTES,
        description=f"At most {MAX_QUOTES}, each at most 1,000 characters.",
    )
    top_k: Int = Field(
        3,
        ge=1,
        le=MAX_TOP_K,
        description="How many passages of evidence to "
        "show at least (the deciding ones are always shown).",
    )


class ClaimSpan(BaseModel):
    """A stretch of the claim."""

    start: int
    end: int
    text: str


class PassageSpanOut(BaseModel):
    """A stretch of the passage: document offsets when ``in`` is "source", offsets into the
    passage's ``translation`` when ``in`` is "translation"."""

    model_config = ConfigDict(populate_by_name=True)

    start: int
    end: int
    text: str
    in_: Literal["source", "translation"] = Field(alias="in")


class SpanOut(BaseModel):
    """One part of the claim compared with the passage."""

    kind: Literal["number", "date", "ordinal", "name", "negation", "term"]
    claim: ClaimSpan
    passage: PassageSpanOut
    reason: str
    via: Literal["text", "translation", "alignment"] = Field(
        description="How the passage span was found: in the passage's own text, in its aligned "
        "translation, or by the model's token alignment (a passage in another language "
        "with no translation)."
    )


class MissingOut(BaseModel):
    """A fact of the claim that the passage neither states nor contradicts."""

    kind: Literal["number", "date", "ordinal", "name", "negation"]
    claim: ClaimSpan


class EvidenceOut(BaseModel):
    """One passage and what it says about the claim."""

    id: str
    doc_id: str
    text: str
    translation: str | None
    start: int
    end: int
    stance: Literal["supports", "contradicts", "neutral"]
    supports: list[SpanOut]
    contradicts: list[SpanOut]
    missing: list[MissingOut]
    score: float = Field(
        description="Relatedness: dense + 0.08 * coverage (+ aligned_shift when compared "
        "through the token alignment, where aligned_related replaces related)."
    )
    dense: float
    coverage: float
    cited: bool = Field(description="The client cited or quoted this passage.")


class CitationCheck(BaseModel):
    """One cited passage id: does it exist, and its stance on the claim."""

    id: str
    exists: bool
    stance: Literal["supports", "contradicts", "neutral"] | None
    message: str


class QuoteResult(BaseModel):
    """One quote: is it at the offsets given, and if not, where it really is."""

    doc_id: str
    start: int
    end: int
    quote: str
    exists: bool = Field(description="The document exists and the offsets lie inside it.")
    exact: bool
    normalized: bool
    source_text: str | None = Field(description="What the document says at [start, end).")
    message: str
    found: Literal["at_offsets", "elsewhere", "elsewhere_normalized", "approximate", "not_found"]
    found_start: int | None
    found_end: int | None
    found_text: str | None
    differences: list[str] = Field(
        description="quote stretch -> document stretch, per "
        "difference between the quote and the found text."
    )
    passages: list[str] = Field(description="Ids of the passages at the found (or given) place.")


class VerifyResponse(BaseModel):
    """The verdict on the claim, the deciding evidence, and the checks of cites and quotes."""

    claim: str
    verdict: Literal["supported", "contradicted", "not_enough_info"]
    explanation: str
    evidence: list[EvidenceOut]
    citations: list[CitationCheck]
    quotes: list[QuoteResult]
    thresholds: dict[str, float]


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "ready"]
    index: str | None = None
    passages: int | None = None


class Info(BaseModel):
    """What is loaded: model, index manifest, documents, version, limits."""

    version: str
    model: str
    index: dict[str, Any]
    documents: list[DocumentSummary]
    limits: dict[str, int]


class Reloaded(BaseModel):
    """The index now in use after a reload."""

    index: str
    previous: str
