"""Phrasings that change a fact's meaning (phrasing.py) and swapped roles (roles.py), as
compared in one language (compare.py); no model."""

from __future__ import annotations

import pytest

from bot.claims import clauses, facts
from bot.compare import Text, View, compare

P2_AR = (
    "وتجمع بين الولايات المتحدة وقطر شراكة تعود جذورها إلى عقود، علما أن العلاقات الدبلوماسية "
    "بين البلدين بدأت عام 1972 أي بعد سنة من استقلال قطر عن المملكة المتحدة."
)
P2_EN = (
    "The United States and Qatar share a partnership whose roots go back decades; diplomatic "
    "relations between the two countries began in 1972, a year after Qatar's independence from "
    "the United Kingdom."
)
P5_AR = "وهي أكبر منشأة عسكرية أميركية في الشرق الأوسط."
P5_EN = "Al Udeid Air Base, the largest US military facility in the Middle East."
P8_EN = "Qatar is the third-largest customer of US defence systems in the world."
P12_AR = (
    "وقد تجلى ذلك عندما دعا الملك تشارلز الثالث أمير قطر الشيخ تميم بن حمد آل ثاني في زيارة دولة."
)
P12_EN = (
    "This was evident when King Charles III invited the Emir of Qatar, Sheikh Tamim bin Hamad "
    "Al Thani, on a state visit to the United Kingdom."
)
P6_EN = "The base serves as a main operational hub for US Central Command."
P6_AR = "وتعتبر القاعدة بمثابة مركز عملياتي رئيسي للقيادة المركزية الأميركية."
P10_EN = "For more than a decade, the United Kingdom and Qatar have worked on their partnership."
P10_AR = "وعلى مدى أكثر من عقد من الزمن، عملت المملكة المتحدة وقطر على تنمية شراكتهما."
P13_EN = (
    "Qatar was also one of the first places visited by British Defence Secretary John Healey "
    "after his appointment in July, and in December he held talks with the Emir of Qatar."
)


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in facts(text) if f.kind in ("ordinal", "negation")]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("No country buys more US defence systems than Qatar.", [("ordinal", "1")]),
        ("لا توجد في الشرق الأوسط منشأة أميركية أكبر من قاعدة العديد.", [("ordinal", "1")]),
        # A number after "than"/من is a bound, and the negation stays.
        ("Qatar has not more than 10,000 troops.", [("negation", "not")]),
        ("لا يوجد في قطر أكثر من 10 آلاف جندي.", [("negation", "not")]),
        ("Qatar is not larger than Saudi Arabia.", [("negation", "not")]),  # no word between
        ("لم يتخرج أمير قطر من ساندهرست.", [("negation", "not")]),
        # Exceptives restrict, they do not negate.
        ("لم تبدأ العلاقات بين الدوحة وواشنطن إلا في عام 1985.", []),
        ("Relations did not begin until 1985.", []),
        ("Qatar is not only a US partner but also a British one.", []),
        ("لا تعد قطر شريكاً لأمريكا فحسب بل لبريطانيا أيضاً.", []),
        # Words that reverse the predicate are negations.
        ("Qatar refused to host coalition forces.", [("negation", "not")]),
        ("رفضت قطر استضافة قوات التحالف.", [("negation", "not")]),
        ("Relations between the two countries ended in 1972.", [("negation", "not")]),
        ("Biden removed Qatar from the list of allies.", [("negation", "not")]),
        ("Qatar is one of the UK's least important partners.", [("negation", "not")]),
        # Superlatives from the small end are ranks counted from the other end.
        ("the smallest US facility", [("ordinal", "-1")]),
        ("ثاني أصغر منشأة", [("ordinal", "-2")]),
        ("at least 8,000 troops", []),
    ],
)
def test_negated_comparatives_and_exceptives(text, expected):
    assert _kinds(text) == expected


@pytest.mark.parametrize(
    "text, years, second_clause",
    [
        (P2_EN, ["1972", "1971"], "a year after Qatar's independence from the United Kingdom."),
        (P2_AR, ["1972", "1971"], "أي بعد سنة من استقلال قطر عن المملكة المتحدة."),
        ("The base opened in 2003, two years before the agreement.", ["2003", "2005"], None),
    ],
)
def test_a_relative_year_dates_the_other_event_in_its_own_clause(text, years, second_clause):
    assert [f.value for f in facts(text) if f.slot == "year"] == years
    if second_clause:
        assert text[slice(*clauses(text)[-1])] == second_clause


@pytest.mark.parametrize(
    "text, expected",
    [
        # Duals carry the number two, a conjunction does not hide a number word.
        ("بين نحو ألفين وثلاثة آلاف جندي", [("count", "2000"), ("count", "3000")]),
        ("زار جون هيلي قطر مرتين", [("count", "2")]),
        ("أمضى عامين في ساندهرست", [("count", "2")]),
        ("وعقد الجانبان اجتماعا", []),  # "and held", not "and a decade"
        # Decades count years.
        ("for more than two decades", [("count", "20")]),
        ("منذ ثلاثة عقود", [("count", "30")]),
    ],
)
def test_arabic_duals_conjunctions_and_decades(text, expected):
    assert [(f.slot, f.value) for f in facts(text) if f.kind == "number"] == expected


def test_thousands_separators_do_not_split_clauses():
    text = "from about 8,000 to more than 10,000 troops"
    assert clauses(text) == [(0, len(text))]


def test_a_title_makes_an_unknown_name_a_person():
    found = [(f.slot, f.value) for f in facts("French President Emmanuel Macron met him.")]
    assert ("person", "unknown:emmanuel macron") in found
    assert ("unknown", "unknown:emmanuel macron") in [
        (f.slot, f.value) for f in facts("He met Emmanuel Macron.")
    ]


def _views(ar: str, en: str) -> list[View]:
    return [View("source", 0, Text.of(ar, "ar")), View("translation", 0, Text.of(en, "en"))]


@pytest.mark.parametrize(
    "claim, views, supports, contradicts",
    [
        ("Qatar's independence from Britain came in 1971.", (P2_AR, P2_EN), {"date"}, set()),
        ("استقلت قطر عن بريطانيا عام 1971.", (P2_AR, P2_EN), {"date"}, set()),
        # The relative year belongs to the independence, not to the relations.
        (
            "Diplomatic relations between the two countries began in 1971.",
            (P2_AR, P2_EN),
            set(),
            {"date"},
        ),
        ("بدأت العلاقات الدبلوماسية بين البلدين عام 1971.", (P2_AR, P2_EN), set(), {"date"}),
        (
            "Qatar gained independence from the United Kingdom in 1968.",
            (P2_AR, P2_EN),
            set(),
            {"date"},
        ),
        (
            "لا توجد في الشرق الأوسط منشأة عسكرية أميركية أكبر من قاعدة العديد.",
            (P5_AR, P5_EN),
            {"ordinal"},
            set(),
        ),
        ("No country buys more US defence systems than Qatar.", (P5_AR, P8_EN), set(), {"ordinal"}),
        (
            "Diplomatic relations between the two countries began in the 1970s.",
            (P2_AR, P2_EN),
            {"date"},
            set(),
        ),
        (
            "Diplomatic relations between the two countries began in the 1980s.",
            (P2_AR, P2_EN),
            set(),
            {"date"},
        ),
        (
            "Al Udeid is the smallest US military facility in the Middle East.",
            (P5_AR, P5_EN),
            set(),
            {"ordinal"},
        ),
        # Bounds: the same number the other way round is another fact.
        ("They have worked on it for less than a decade.", (P10_AR, P10_EN), set(), {"number"}),
        ("عملت بريطانيا وقطر على شراكتهما لأقل من عقد.", (P10_AR, P10_EN), set(), {"number"}),
        ("They have worked on it for over ten years.", (P10_AR, P10_EN), {"number"}, set()),
        (
            "Qatar was one of the last places visited by John Healey.",
            (P12_AR, P13_EN),
            set(),
            {"ordinal"},
        ),
        # Opposite evaluations.
        ("The base is a minor hub for US Central Command.", (P6_AR, P6_EN), set(), {"antonym"}),
        (
            "تعتبر القاعدة مركزاً ثانوياً للقيادة المركزية الأميركية.",
            (P6_AR, P6_EN),
            set(),
            {"antonym"},
        ),
        ("The base is a key hub for US Central Command.", (P6_AR, P6_EN), set(), set()),
        # "two years" is no "two countries"; a label is compared whatever word follows it.
        ("Relations began two years after independence.", (P2_AR, P2_EN), set(), set()),
        (
            "يبرز السرب رقم 12 التزام بريطانيا.",
            (
                "ويسلط السرب رقم 12 الضوء على التزام المملكة المتحدة.",
                "No. 12 Squadron highlights the UK's commitment.",
            ),
            {"number"},
            set(),
        ),
        # Swapped roles, in both languages and word orders; the passive and the right order
        # are no swap.
        (
            "Sheikh Tamim invited King Charles III on a state visit.",
            (P12_AR, P12_EN),
            set(),
            {"role"},
        ),
        (
            "دعا أمير قطر الشيخ تميم الملك تشارلز الثالث إلى زيارة دولة.",
            (P12_AR, P12_EN),
            set(),
            {"role"},
        ),
        ("الشيخ تميم دعا الملك تشارلز إلى زيارة.", (P12_AR, P12_EN), set(), {"role"}),
        (
            "King Charles III invited Sheikh Tamim on a state visit.",
            (P12_AR, P12_EN),
            {"name"},
            set(),
        ),
        ("الملك تشارلز دعا الشيخ تميم إلى زيارة دولة.", (P12_AR, P12_EN), {"name"}, set()),
        ("Sheikh Tamim was invited by King Charles III.", (P12_AR, P12_EN), {"name"}, set()),
        ("Healey took office as Defence Secretary in March.", (P12_AR, P13_EN), set(), {"date"}),
    ],
)
def test_compare_reads_the_phrasings(claim, views, supports, contradicts):
    c = compare(Text.of(claim), _views(*views))
    assert supports <= {m.kind for m in c.supports}
    assert {m.kind for m in c.contradicts} == contradicts


def test_a_swap_names_both_parties():
    c = compare(
        Text.of("Sheikh Tamim invited King Charles III on a state visit."),
        _views(P12_AR, P12_EN),
    )
    (m,) = c.contradicts
    assert (m.claim[2], m.passage[2], m.passage[3]) == (
        "Sheikh Tamim",
        "King Charles III",
        "translation",
    )


def test_a_count_of_years_is_not_found_in_a_count_of_countries():
    c = compare(Text.of("Relations began two years after independence."), _views(P2_AR, P2_EN))
    assert "two" in [f.text for f in c.missing]
