"""Comparable facts (claims.py) and claim-passage comparison (compare.py), in Arabic and English."""

from __future__ import annotations

import pytest

from bot.claims import clauses, facts, fold
from bot.compare import Text, View, compare


def _values(text: str, kind: str) -> list[tuple[str, str]]:
    return [(f.slot, f.value) for f in facts(text) if f.kind == kind]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("between about 8,000 and more than 10,000", [("count", "8000"), ("count", "10000")]),
        ("بين نحو 8 آلاف وأكثر من 10 آلاف", [("count", "8000"), ("count", "10000")]),
        ("٨ آلاف جندي", [("count", "8000")]),
        ("ثمانية آلاف جندي", [("count", "8000")]),
        ("three thousand troops", [("count", "3000")]),
        ("ثلاث اتفاقيات", [("count", "3")]),
        ("more than a decade", [("count", "10")]),
        ("أكثر من عقد من الزمن", [("count", "10")]),
        ("No. 12 Squadron", [("label", "12")]),
        ("السرب رقم 12", [("label", "12")]),
        ("20 billion dollars", [("money", "20000000000")]),
        ("3 آلاف و5 آلاف", [("count", "3000"), ("count", "5000")]),
        ("one of the first places", []),  # "one of" is not a count
    ],
)
def test_numbers_are_values(text, expected):
    assert _values(text, "number") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("in 1972", [("year", "1972")]),
        ("عام ١٩٧٢", [("year", "1972")]),
        ("في كانون الثاني/يناير 2022", [("month", "1"), ("year", "2022")]),
        ("In January 2022", [("month", "1"), ("year", "2022")]),
        ("في يناير", [("month", "1")]),
        ("بعد تعيينه في تموز/يوليو", [("month", "7")]),
        ("في كانون الأول/ديسمبر", [("month", "12")]),
        ("in the 1950s", [("decade", "1950")]),
        ("You may go", []),  # the verb, not the month
    ],
)
def test_dates_are_values(text, expected):
    assert _values(text, "date") == expected


@pytest.mark.parametrize(
    "text, rank",
    [
        ("the third-largest customer", "3"),
        ("ثالث أكبر عميل", "3"),
        ("the second largest buyer", "2"),
        ("ثاني أكبر مشتر", "2"),
        ("the largest US military facility", "1"),
        ("أكبر منشأة عسكرية", "1"),
        ("the 4th-largest", "4"),
    ],
)
def test_ordinals_are_ranks(text, rank):
    assert _values(text, "ordinal") == [("rank", rank)]


def test_comparative_akbar_min_is_not_a_rank():
    assert _values("عدد أكبر من الجنود", "ordinal") == []


def test_month_names_are_not_ordinals():
    assert _values("كانون الثاني", "ordinal") == [] and _values("كانون الثاني", "date")


@pytest.mark.parametrize(
    "text, names",
    [
        ("President Joe Biden", [("person", "biden")]),
        ("الرئيس جو بايدن", [("person", "biden")]),
        ("صنف الرئيس ترامب", [("person", "trump")]),
        ("the Emir of Qatar", [("person", "tamim")]),
        ("أمير قطر الشيخ تميم بن حمد آل ثاني", [("person", "tamim"), ("person", "tamim")]),
        ("the Royal Military Academy Sandhurst", [("academy", "sandhurst")]),
        ("أكاديمية ويست بوينت", [("academy", "west_point")]),
        ("للولايات المتحدة", [("country", "us")]),
        ("US troops", [("country", "us")]),
        ("a major non-NATO ally", [("organisation", "nato")]),
        ("حلف شمال الأطلسي", [("organisation", "nato")]),
        ("During the Gulf War", [("event", "gulf_war")]),
        ("the US Congress", [("country", "us"), ("unknown", "unknown:congress")]),
        ("More troops came", []),  # a sentence's first word is capitalised anyway
    ],
)
def test_names_are_entities(text, names):
    assert _values(text, "name") == names


@pytest.mark.parametrize(
    "text, negative",
    [
        ("Qatar did not host", True),
        ("Qatar didn't host", True),
        ("He never studied", True),
        ("لم تستضف قطر", True),
        ("ليست قطر", True),
        ("لا تعد", True),
        ("No. 12 Squadron", False),
        ("a major non-NATO ally", False),
        ("لا سيما", False),
        ("Qatar hosted", False),
    ],
)
def test_negation_cues(text, negative):
    assert bool(_values(text, "negation")) is negative


def test_fact_spans_are_original_offsets_despite_diacritics():
    text = "صَنَّفَ الرَّئِيسُ بايدن قطر عام ١٩٧٢"
    for f in facts(text):
        assert text[f.start : f.end] == f.text
    folded, idx = fold(text)
    assert len(idx) == len(folded) + 1


def test_clauses_split_at_commas():
    text = "after his appointment in July, and in December he held talks"
    assert [text[a:b] for a, b in clauses(text)] == [
        "after his appointment in July",
        "and in December he held talks",
    ]


P13_AR = (
    "وكانت قطر أيضاً واحدة من الأماكن الأولى التي زارها وزير الدفاع البريطاني جون هيلي بعد "
    "تعيينه في تموز/يوليو، كما أجرى في كانون الأول/ديسمبر مباحثات مع أمير قطر الشيخ تميم "
    "بن حمد آل ثاني بشأن الأمن في الأكاديمية العسكرية الملكية ساندهرست."
)
P13_EN = (
    "Qatar was also one of the first places visited by British Defence Secretary John Healey "
    "after his appointment in July, and in December he held talks on security with the "
    "Emir of Qatar, Sheikh Tamim bin Hamad Al Thani, at the Royal Military Academy "
    "Sandhurst."
)
P8_AR = "وتمثل قطر ثالث أكبر عميل للأنظمة الدفاعية الأميركية على مستوى العالم."
P8_EN = "Qatar is the third-largest customer of US defence systems in the world."
P7_AR = (
    "وفي السنوات الأخيرة، تراوح عدد الجنود الأميركيين المتمركزين في قطر بين نحو 8 آلاف "
    "وأكثر من 10 آلاف."
)
P7_EN = (
    "In recent years, the number of US troops stationed in Qatar has ranged from about 8,000 "
    "to more than 10,000."
)


def _views(ar: str, en: str) -> list[View]:
    return [View("source", 100, Text.of(ar, "ar")), View("translation", 0, Text.of(en, "en"))]


@pytest.mark.parametrize(
    "claim, views, supports, contradicts",
    [
        (
            "Qatar is the third-largest customer of US defence systems.",
            (P8_AR, P8_EN),
            {"ordinal"},
            set(),
        ),
        (
            "Qatar is the second-largest buyer of US defence systems.",
            (P8_AR, P8_EN),
            set(),
            {"ordinal"},
        ),
        ("قطر هي أكبر مشتر للأنظمة الدفاعية الأمريكية.", (P8_AR, P8_EN), set(), {"ordinal"}),
        ("تمثل قطر ثالث أكبر عميل للأنظمة الدفاعية الأميركية", (P8_AR, P8_EN), {"ordinal"}, set()),
        (
            "John Healey held talks with the Emir of Qatar at Sandhurst in July.",
            (P13_AR, P13_EN),
            set(),
            {"date"},
        ),
        (
            "In December, John Healey and the Emir of Qatar discussed security at Sandhurst.",
            (P13_AR, P13_EN),
            {"date", "name"},
            set(),
        ),
        (
            "أجرى جون هيلي مباحثات مع أمير قطر في أكاديمية ويست بوينت.",
            (P13_AR, P13_EN),
            set(),
            {"name"},
        ),
        (
            "Ben Wallace held security talks with the Emir of Qatar at Sandhurst.",
            (P13_AR, P13_EN),
            set(),
            {"name"},
        ),
        (
            "US troops in Qatar have numbered between 8,000 and 10,000.",
            (P7_AR, P7_EN),
            {"number"},
            set(),
        ),
        (
            "تراوح عدد الجنود الأمريكيين في قطر بين 3 آلاف و5 آلاف.",
            (P7_AR, P7_EN),
            set(),
            {"number"},
        ),
        ("Qatar has not hosted US troops in recent years.", (P7_AR, P7_EN), set(), {"negation"}),
        ("لم يتمركز جنود أميركيون في قطر.", (P7_AR, P7_EN), set(), {"negation"}),
    ],
)
def test_compare_supports_and_contradicts(claim, views, supports, contradicts):
    c = compare(Text.of(claim), _views(*views))
    assert supports <= {m.kind for m in c.supports}
    assert {m.kind for m in c.contradicts} == contradicts


def test_compare_reports_a_fact_the_passage_does_not_give_as_missing():
    c = compare(Text.of("Al Udeid hosts 100 US aircraft in Qatar."), _views(P8_AR, P8_EN))
    assert [f.text for f in c.missing] == ["Al Udeid", "100"] and not c.contradicts


def test_compare_spans_point_at_the_views():
    views = _views(P13_AR, P13_EN)
    claim = "John Healey held talks with the Emir of Qatar at Sandhurst in July."
    c = compare(Text.of(claim), views)
    for m in c.supports + c.contradicts:
        assert claim[m.claim[0] : m.claim[1]] == m.claim[2]
        text, shift = (P13_AR, 100) if m.passage[3] == "source" else (P13_EN, 0)
        assert text[m.passage[0] - shift : m.passage[1] - shift] == m.passage[2]


def test_counts_of_different_things_are_not_compared():
    c = compare(
        Text.of("Qatar and Britain signed three agreements."),
        [View("translation", 0, Text.of("It reflects the two countries' ties.", "en"))],
    )
    assert not c.contradicts and "three" in [f.text for f in c.missing]
