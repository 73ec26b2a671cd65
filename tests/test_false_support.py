"""False claims that once read as supported against the seed article: a city for its country
where the passage names another place, another service of the same country, "the first"
against "one of the first", "before" against "after" the same event (docs/quality.md, "Claim
verdicts"); compared in one language and across the aligned translation, no model."""

from __future__ import annotations

import pytest

from bot.compare import Text, View, compare

P3_AR = (
    "وخلال حرب الخليج، استضافت قطر قوات التحالف الدولي بما في ذلك جنود وطائرات الجيش الأميركي "
    "التي شاركت في تحرير الكويت."
)
P3_EN = (
    "During the Gulf War, Qatar hosted the forces of the international coalition, including US "
    "Army soldiers and aircraft that took part in the liberation of Kuwait."
)
P13_AR = (
    "وكانت قطر أيضاً واحدة من الأماكن الأولى التي زارها وزير الدفاع البريطاني جون هيلي بعد تعيينه "
    "في تموز/يوليو، كما أجرى في كانون الأول/ديسمبر مباحثات مع أمير قطر الشيخ تميم بن حمد آل ثاني "
    "بشأن الأمن في الأكاديمية العسكرية الملكية ساندهرست في إطار زيارة آل ثاني الرسمية إلى المملكة "
    "المتحدة."
)
P13_EN = (
    "Qatar was also one of the first places visited by British Defence Secretary John Healey "
    "after his appointment in July, and in December he held talks on security with the Emir of "
    "Qatar, Sheikh Tamim bin Hamad Al Thani, at the Royal Military Academy Sandhurst as part of "
    "Al Thani's state visit to the United Kingdom."
)
# Made up: a superlative shared with others.
PX_EN = "Qatar is one of the largest customers of US defence systems in the world."
PX_AR = "وتعد قطر أحد أكبر عملاء الأنظمة الدفاعية الأميركية في العالم."


def _views(ar: str, en: str) -> list[View]:
    return [View("source", 0, Text.of(ar, "ar")), View("translation", 0, Text.of(en, "en"))]


FALSE = [
    # a city in the slot where the passage names another place
    (
        "In December, John Healey held talks on security with the Emir of Qatar in Doha.",
        P13_AR,
        P13_EN,
    ),
    (
        "أجرى جون هيلي في كانون الأول/ديسمبر مباحثات مع أمير قطر بشأن الأمن في الدوحة.",
        P13_AR,
        P13_EN,
    ),
    # another service of the same country
    ("During the Gulf War, Qatar hosted US Navy soldiers and aircraft.", P3_AR, P3_EN),
    ("خلال حرب الخليج استضافت قطر جنود وطائرات البحرية الأميركية.", P3_AR, P3_EN),
    ("During the Gulf War, Qatar hosted US Air Force soldiers.", P3_AR, P3_EN),
    # uniqueness against membership
    ("Qatar was the first place visited by John Healey after his appointment.", P13_AR, P13_EN),
    ("كانت قطر أول مكان زاره جون هيلي بعد تعيينه.", P13_AR, P13_EN),
    ("Qatar is the largest customer of US defence systems in the world.", PX_AR, PX_EN),
    ("تعد قطر أكبر عميل للأنظمة الدفاعية الأميركية في العالم.", PX_AR, PX_EN),
    # the opposite temporal relation to the same event
    (
        "Qatar was one of the first places visited by John Healey before his appointment.",
        P13_AR,
        P13_EN,
    ),
    ("كانت قطر واحدة من الأماكن الأولى التي زارها جون هيلي قبل تعيينه.", P13_AR, P13_EN),
]

TRUE = [
    ("In December, John Healey held talks with the Emir of Qatar at Sandhurst.", P13_AR, P13_EN),
    ("أجرى جون هيلي مباحثات مع أمير قطر في ساندهرست.", P13_AR, P13_EN),
    ("John Healey visited Doha after his appointment in July.", P13_AR, P13_EN),
    ("During the Gulf War, Qatar hosted US Army soldiers.", P3_AR, P3_EN),
    ("خلال حرب الخليج استضافت قطر جنود الجيش الأميركي.", P3_AR, P3_EN),
    (
        "Qatar was one of the first places visited by John Healey after his appointment.",
        P13_AR,
        P13_EN,
    ),
    ("كانت قطر من أوائل الأماكن التي زارها جون هيلي بعد تعيينه.", P13_AR, P13_EN),
    ("Qatar is one of the largest customers of US defence systems.", PX_AR, PX_EN),
    ("تعد قطر من أكبر عملاء الأنظمة الدفاعية الأميركية.", PX_AR, PX_EN),
    ("قطر إحدى أكبر عملاء الأنظمة الدفاعية الأميركية.", PX_AR, PX_EN),
]


@pytest.mark.parametrize("claim, ar, en", FALSE)
def test_a_false_claim_is_contradicted(claim, ar, en):
    c = compare(Text.of(claim), _views(ar, en))
    assert c.contradicts, claim


@pytest.mark.parametrize("claim, ar, en", TRUE)
def test_the_true_claim_is_not_contradicted(claim, ar, en):
    c = compare(Text.of(claim), _views(ar, en))
    assert not c.contradicts, [m.reason for m in c.contradicts]


def test_a_branch_of_another_country_is_not_a_swap():
    # The passage's US Army does not deny a Qatari air force; it is not the same body either.
    c = compare(Text.of("شاركت القوات الجوية القطرية في تحرير الكويت."), _views(P3_AR, P3_EN))
    assert not [m for m in c.contradicts if "organisation" in m.reason]
    c = compare(
        Text.of("The Qatari Air Force took part in the liberation of Kuwait."), _views(P3_AR, P3_EN)
    )
    assert not [m for m in c.contradicts if "organisation" in m.reason]


PROBES = [
    "In December, John Healey held talks on security with the Emir of Qatar, Sheikh Tamim, "
    "in Doha.",
    "أجرى وزير الدفاع البريطاني جون هيلي في كانون الأول/ديسمبر مباحثات مع أمير قطر الشيخ تميم "
    "بشأن الأمن في الدوحة.",
    "During the Gulf War, Qatar hosted US Navy soldiers and aircraft that took part in the "
    "liberation of Kuwait.",
    "خلال حرب الخليج استضافت قطر جنود وطائرات البحرية الأميركية التي شاركت في تحرير الكويت.",
    "Qatar was the first place visited by British Defence Secretary John Healey after his "
    "appointment in July.",
    "كانت قطر أول مكان زاره وزير الدفاع البريطاني جون هيلي بعد تعيينه في تموز/يوليو.",
    "Qatar was one of the first places visited by John Healey before his appointment in July.",
    "كانت قطر واحدة من الأماكن الأولى التي زارها وزير الدفاع البريطاني جون هيلي قبل تعيينه في "
    "تموز/يوليو.",
]


@pytest.mark.model
def test_the_false_claims_are_contradicted_by_the_real_verifier(real_sanad):
    verdicts = {c: real_sanad.verify(c).verdict for c in PROBES}
    assert set(verdicts.values()) == {"contradicted"}, verdicts
    true = "Qatar was one of the first places visited by John Healey after his appointment in July."
    assert real_sanad.verify(true).verdict == "supported"
