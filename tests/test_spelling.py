"""Near spellings decide as comparing every corpus word of the token's shape would."""

import random
from difflib import SequenceMatcher

from bot.spelling import NearSpellings

WORDS = (
    "ساندهرست العديد القاعده الاميركيه البريطانيه الدفاع التعاون العسكري الشراكه "
    "secretari defenc healey sandhurst academi command partnership qatar britain "
    "militari cooper strateg agreement"
).split()


def brute(token: str, vocabulary: list[str]) -> bool:
    if len(token) < 5 or token.isdigit():
        return False
    return any(
        SequenceMatcher(None, token, t).ratio() >= 0.85
        for t in vocabulary
        if t[:1] == token[:1] and abs(len(t) - len(token)) <= 1
    )


def edit(word: str, rng: random.Random) -> str:
    w = list(word)
    i = rng.randrange(len(w))
    op = rng.choice("sdit")
    if op == "s":
        w[i] = rng.choice(word)
    elif op == "d":
        del w[i]
    elif op == "i":
        w.insert(i, rng.choice(word))
    elif i + 1 < len(w):
        w[i], w[i + 1] = w[i + 1], w[i]
    return "".join(w)


def test_misspellings_found_and_others_not():
    near = NearSpellings(WORDS)
    assert near.close("ساندهيرست")  # one letter more
    assert near.close("secreteri")
    assert not near.close("sandwich")
    assert not near.close("qatra")  # five letters: one letter off is another word
    assert not near.close("12345")
    assert not near.close("abc")


def test_same_decisions_as_every_comparison():
    rng = random.Random(7)
    probes = [edit(edit(rng.choice(WORDS), rng), rng) for _ in range(600)]
    probes += [rng.choice(WORDS)[::-1] for _ in range(50)]
    near = NearSpellings(WORDS)
    decided = [near.close(p) for p in probes]
    assert decided == [brute(p, WORDS) for p in probes]
    assert 50 < sum(decided) < len(probes) - 50  # both answers are exercised
