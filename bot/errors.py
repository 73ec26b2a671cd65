"""Sanad's own exceptions: each carries a message that says what to fix."""


class SanadError(Exception):
    """Base class; ``code`` is a stable machine-readable name for API clients."""

    code = "sanad_error"


class ModelUnavailable(SanadError):
    """The embedding model cannot be loaded or provisioned."""

    code = "model_unavailable"


class CorpusError(SanadError):
    """A corpus document or its metadata is malformed."""

    code = "corpus_error"


class IndexUnavailable(SanadError):
    """The on-disk index is missing, stale or unreadable."""

    code = "index_error"


class InputError(SanadError):
    """A question, claim or parameter is not acceptable."""

    code = "invalid_input"


class NotFound(SanadError):
    """A passage or document id does not exist."""

    code = "not_found"
