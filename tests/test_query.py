"""The question path: the token cap, one encode per question, and the answer cache."""

from __future__ import annotations

import json

import pytest
from conftest import make_settings
from fakes import HashEmbedder

from bot.embed import MAX_QUERY_TOKENS
from bot.normalize import dense_text
from bot.service import Sanad
from bot.settings import ROOT

HOSTILE = {"ligature": "\ufdfa" * 1000, "emoji": "\U0001f600" * 1000, "ab": "a b " * 250}


class CountingEmbedder(HashEmbedder):
    """The fake, counting the texts it encodes as questions."""

    def __init__(self):
        super().__init__(tokens=True)
        self.query_texts: list[str] = []

    def encode(self, texts, kind, token_from=None):
        if kind == "query":
            self.query_texts.extend(texts)
        return super().encode(texts, kind, token_from)


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    emb = CountingEmbedder()
    return Sanad.open(make_settings(tmp_path_factory.mktemp("q")), embedder=emb), emb


def test_a_question_is_encoded_once_and_a_repeat_comes_from_the_cache(counted):
    sanad, emb = counted
    before = len(emb.query_texts)
    first = sanad.ask("Where is Al Udeid Air Base?")
    assert len(emb.query_texts) == before + 1
    again = sanad.ask("  where is al udeid air base?  ")  # the same once normalised
    assert len(emb.query_texts) == before + 1
    assert again.question == "where is al udeid air base?"
    assert again.to_dict() | {"question": first.question} == first.to_dict()
    assert sanad.ask("Where is Al Udeid Air Base?", top_k=5) != first  # another request
    assert len(emb.query_texts) == before + 2


def test_the_cache_is_emptied_on_reload(counted):
    sanad, emb = counted
    sanad.ask("Who built the base?")
    n = len(emb.query_texts)
    sanad.reload()
    sanad.ask("Who built the base?")
    assert len(emb.query_texts) == n + 1


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_questions_are_capped_for_every_signal(counted, name):
    sanad, _ = counted
    query = sanad.encode_query(HOSTILE[name])
    assert len(query.text.split()) <= MAX_QUERY_TOKENS
    assert len(query.lexical) <= 2 * MAX_QUERY_TOKENS  # at most two stems a word
    assert query.tokens is not None and len(query.tokens) <= MAX_QUERY_TOKENS


def _questions() -> list[str]:
    out = []
    for name in ("dev", "heldout"):
        rows = (ROOT / "tests" / "data" / f"{name}.jsonl").read_text(encoding="utf-8")
        out += [json.loads(r)["question"] for r in rows.splitlines() if r.strip()]
    return out


@pytest.mark.model
def test_real_cap_keeps_every_seed_question_whole_and_bounds_hostile_ones(real_embedder):
    for q in _questions():
        assert real_embedder.cap(dense_text(q)) == dense_text(q)
    for text in HOSTILE.values():
        capped = real_embedder.cap(dense_text(text))
        n = len(real_embedder.tokenizer.encode(capped, add_special_tokens=False).ids)
        assert 0 < n <= MAX_QUERY_TOKENS
