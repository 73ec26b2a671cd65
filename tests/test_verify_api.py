"""POST /v1/verify through the real app: the contract, quotes, limits, and real-model verdicts."""

from __future__ import annotations

import time

import pytest
from test_api import assert_error

pytest_plugins = ["api_fixtures"]
DOC_ID = "qatar-defense-partnerships"

SPAN_KEYS = {"kind", "claim", "passage", "reason", "via"}


def _check_spans(body: dict, raw: str) -> None:
    """Every span points at the text it quotes (document offsets for the source)."""
    for e in body["evidence"]:
        assert raw[e["start"] : e["end"]] == e["text"]
        for m in e["supports"] + e["contradicts"]:
            assert set(m) == SPAN_KEYS
            c, p = m["claim"], m["passage"]
            assert body["claim"][c["start"] : c["end"]] == c["text"]
            assert (m["via"] == "translation") == (p["in"] == "translation")
            where = raw if p["in"] == "source" else e["translation"]
            assert where[p["start"] : p["end"]] == p["text"]
            if p["in"] == "source":
                assert e["start"] <= p["start"] < p["end"] <= e["end"]


def test_verify_contract_without_citations(client, hash_sanad):
    body = client.post("/v1/verify", json={"claim": "Al Udeid Air Base", "top_k": 2}).json()
    assert body["verdict"] in ("supported", "contradicted", "not_enough_info")
    assert {
        "claim",
        "verdict",
        "explanation",
        "evidence",
        "citations",
        "quotes",
        "thresholds",
    } <= set(body)
    assert len(body["evidence"]) >= 2
    e = body["evidence"][0]
    assert {
        "id",
        "doc_id",
        "text",
        "translation",
        "start",
        "end",
        "stance",
        "supports",
        "contradicts",
        "score",
    } <= set(e)
    _check_spans(body, hash_sanad.docs[DOC_ID].raw)


def test_verify_to_dict_is_the_response(client, hash_sanad):
    claim = "Qatar is the second-largest buyer of US defence systems."
    body = client.post("/v1/verify", json={"claim": claim, "top_k": 3}).json()
    assert body == hash_sanad.verify(claim, top_k=3).to_dict()


def test_verify_citations_and_unknown_ids(client):
    body = client.post(
        "/v1/verify",
        json={"claim": "Al Udeid", "citations": [f"{DOC_ID}:5"], "cite": [f"{DOC_ID}:99"]},
    ).json()
    first, missing = body["citations"]
    assert first["exists"] and first["stance"] in ("supports", "contradicts", "neutral")
    assert not missing["exists"] and missing["stance"] is None and "99" in missing["message"]
    assert f"{DOC_ID}:5" in [e["id"] for e in body["evidence"] if e["cited"]]


def test_verify_reports_and_relocates_quotes(client):
    p = client.get(f"/v1/passages/{DOC_ID}:2").json()
    p9 = client.get(f"/v1/passages/{DOC_ID}:9").json()
    with_diacritics = p["text"].replace("الدبلوماسية", "الدِّبلوماسية")
    quotes = [
        {"doc_id": DOC_ID, "start": p["start"], "end": p["end"], "quote": p["text"]},
        {"doc_id": DOC_ID, "start": p["start"], "end": p["end"], "quote": with_diacritics},
        {"doc_id": DOC_ID, "start": p["start"], "end": p["end"], "quote": p9["text"]},
        {"doc_id": DOC_ID, "start": 10**6, "end": 10**6 + 5, "quote": p9["text"]},
        {"doc_id": DOC_ID, "start": 0, "end": 40, "quote": p9["text"].replace("2022", "2020")},
        {"doc_id": DOC_ID, "start": 0, "end": 5, "quote": "نص لا يرد في المقالة إطلاقا بأي صورة"},
        {"doc_id": "nope", "start": 0, "end": 5, "quote": "x"},
    ]
    body = client.post(
        "/v1/verify", json={"claim": "relations began in 1972", "quotes": quotes}
    ).json()
    got = [(q["exists"], q["exact"], q["normalized"], q["found"]) for q in body["quotes"]]
    assert got == [
        (True, True, True, "at_offsets"),
        (True, False, True, "at_offsets"),
        (True, False, False, "elsewhere"),
        (False, False, False, "elsewhere"),
        (True, False, False, "approximate"),
        (True, False, False, "not_found"),
        (False, False, False, "not_found"),
    ]
    moved = body["quotes"][2]
    assert (moved["found_start"], moved["found_end"]) == (p9["start"], p9["end"])
    assert moved["passages"] == [f"{DOC_ID}:9"] and moved["source_text"] == p["text"]
    edited = body["quotes"][4]
    assert (edited["found_start"], edited["found_end"]) == (p9["start"], p9["end"])
    assert edited["differences"] == ["'0' -> '2'"]
    assert "nowhere" in body["quotes"][5]["message"] and body["quotes"][5]["found_start"] is None
    assert body["quotes"][0]["passages"] == [f"{DOC_ID}:2"]


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"claim": " "}, ["empty"]),
        ({"claim": "x", "citations": "a:1"}, ["citations"]),
        (
            {"claim": "x", "quotes": [{"doc_id": DOC_ID, "start": -1, "end": 3, "quote": "x"}]},
            ["quotes.0.start"],
        ),
        ({"claim": "x", "top_k": 50}, ["top_k"]),
        (
            {
                "claim": "x",
                "quotes": [{"doc_id": DOC_ID, "start": 0, "end": 3, "quote": "x" * 1001}],
            },
            ["1001", "1000"],
        ),
        ({"claim": "x" * 1001}, ["1001", "1000"]),
        (
            {
                "claim": "x",
                "quotes": [{"doc_id": DOC_ID, "start": 0, "end": 3, "quote": "x" * 900}] * 5,
            },
            ["4500", "4000"],
        ),
    ],
)
def test_verify_rejects_bad_input(client, payload, words):
    r = client.post("/v1/verify", json=payload)
    assert r.status_code in (400, 422)
    assert_error(r, r.status_code, r.json()["error"]["code"], *words)


# ---------------------------------------------------------------- the real model


@pytest.mark.model
@pytest.mark.parametrize(
    "claim, verdict, evidence, kind",
    [
        (
            "Qatar ranks third in the world as a customer of US defence systems.",
            "supported",
            8,
            None,
        ),
        ("Qatar is the largest customer of US defence systems.", "contradicted", 8, "ordinal"),
        (
            "In January 2022, President Trump designated Qatar a major non-NATO ally.",
            "contradicted",
            9,
            "name",
        ),
        (
            "صنف الرئيس بايدن قطر حليفا رئيسيا من خارج الناتو في آذار/مارس 2022.",
            "contradicted",
            9,
            "date",
        ),
        (
            "Qatar is not one of the United Kingdom's closest partners in the Gulf.",
            "contradicted",
            11,
            "negation",
        ),
        ("اشترت قطر 36 طائرة رافال من فرنسا.", "not_enough_info", None, None),
    ],
)
def test_real_model_verdicts(real_client, real_sanad, claim, verdict, evidence, kind):
    body = real_client.post("/v1/verify", json={"claim": claim}).json()
    assert body["verdict"] == verdict, body["explanation"]
    if evidence:
        first = body["evidence"][0]
        assert first["id"] == f"{DOC_ID}:{evidence}"
        assert first["stance"] == {"supported": "supports", "contradicted": "contradicts"}[verdict]
        if kind:
            assert kind in {m["kind"] for m in first["contradicts"]}
    _check_spans(body, real_sanad.docs[DOC_ID].raw)


@pytest.mark.model
def test_real_model_claim_is_encoded_once(real_sanad, monkeypatch):
    calls = []
    encode = real_sanad.embedder.encode
    monkeypatch.setattr(
        real_sanad.embedder,
        "encode",
        lambda texts, kind: calls.append(len(texts)) or encode(texts, kind),
    )
    p = real_sanad.index.passages[8]
    quotes = [{"doc_id": DOC_ID, "start": 0, "end": 10, "quote": p.text[:150]}] * 20  # 3,000
    real_sanad.verify(
        "President Biden designated Qatar a major non-NATO ally.", [p.id] * 20, quotes
    )
    assert calls == [1]


@pytest.mark.model
def test_real_model_worst_request_stays_within_a_few_plain_ones(real_sanad):
    claim = "President Biden designated Qatar a major non-NATO ally in January 2022."
    real_sanad.verify(claim)  # warm
    t0 = time.perf_counter()
    real_sanad.verify(claim)
    plain = time.perf_counter() - t0
    long_claim = (claim + " ") * 13
    quotes = [
        {
            "doc_id": DOC_ID,
            "start": 0,
            "end": 10,
            "quote": (q.text.replace("قطر", "قطرr") + " " + q.text)[:1000],
        }
        for q in real_sanad.index.passages[:4]
    ]  # 4,000 characters: the bound
    t0 = time.perf_counter()
    real_sanad.verify(long_claim[:1000], [q.id for q in real_sanad.index.passages][:20], quotes)
    worst = time.perf_counter() - t0
    assert worst < 12 * plain + 0.5, (worst, plain)
