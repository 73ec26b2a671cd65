"""Quality floor of claim verdicts on the held-out split, with the real model.

The held-out splits of tests/data/claims.jsonl (heldout, heldout-c) were not used to fit
verify.py's thresholds (they come from the tune splits; see docs/quality.md, "Claim
verdicts"). Measured: held-out accuracy 0.949 (74/78), held-out-c 0.967 (29/30), no
contradicted claim judged supported on any split.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.claim_eval import figures, read_claims

CLAIMS = Path(__file__).parent / "data" / "claims.jsonl"


def test_claims_set_is_balanced_and_split():
    rows = read_claims(CLAIMS)
    assert len(rows) >= 150
    for label in ("supported", "contradicted", "not_enough_info"):
        for split in ("tune", "heldout"):
            for lang in ("ar", "en"):
                assert (
                    sum(
                        r["verdict"] == label and r["split"] == split and r["lang"] == lang
                        for r in rows
                    )
                    >= 10
                )
    types = {r["type"] for r in rows if r["verdict"] == "contradicted"}
    assert {"number", "ordinal", "date", "person", "place", "organisation", "negation"} <= types


@pytest.mark.model
def test_heldout_verdict_accuracy_and_no_false_claim_supported(real_sanad):
    for split, floor in (("heldout", 0.85), ("tune", 0.80), ("heldout-c", 0.85), ("tune-c", 0.85)):
        rows = read_claims(CLAIMS, split)
        verdicts = [real_sanad.verify(r["claim"]).verdict for r in rows]
        fig = figures(rows, verdicts)
        assert fig["contradicted_judged_supported"] == 0, (split, fig["confusion"])
        assert fig["accuracy"] >= floor, (split, fig)
