"""The focus check: what a question asks for, about what, and whether a passage offers it."""

from __future__ import annotations

import pytest

from bot.focus import Focus, check_focus, question_focus

TROOPS_AR = (
    "وفي السنوات الأخيرة، تراوح عدد الجنود الأميركيين المتمركزين في المنشآت المختلفة في "
    "قطر بين نحو 8 آلاف وأكثر من 10 آلاف."
)
TROOPS_EN = (
    "In recent years, the number of US troops stationed at the various facilities in "
    "Qatar has ranged from about 8,000 to more than 10,000."
)
BASE_EN = (
    "The cornerstone of the defence relationship between the United States and Qatar is "
    "Al Udeid Air Base, the largest US military facility in the Middle East."
)
HEALEY_EN = (
    "Qatar was also one of the first places visited by British Defence Secretary John "
    "Healey after his appointment in July, and in December he held talks on security "
    "with the Emir of Qatar at the Royal Military Academy Sandhurst."
)
SQUADRON_EN = (
    "No. 12 Squadron highlights the United Kingdom's commitment to strengthening "
    "Qatar's air-defence capabilities while deepening military integration."
)


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many US troops are in Qatar?", "count"),
        ("كم عدد الجنود الأميركيين؟", "count"),
        ("How tall is the control tower at Al Udeid?", "measure"),
        ("ما نسبة الأسلحة الأميركية في ترسانة قطر؟", "measure"),
        ("كم عمر الملك تشارلز الثالث؟", "measure"),
        ("When was John Healey appointed?", "date"),
        ("في أي عام بدأت العلاقات؟", "date"),
        ("Who commands US Central Command?", "person"),
        ("ما اسم قائد قاعدة العديد الجوية؟", "person"),
        ("Where is the joint Typhoon squadron based?", "place"),
        ("ومن أين تخرج؟", "place"),
        # "when" inside a yes/no question, "where … rank", "بالنسبة": no kind
        ("Was trade on the agenda when the Emir visited Britain?", None),
        ("Where does Qatar rank among buyers of US weapons?", None),
        ("وبالنسبة لبريطانيا؟", None),
        ("What role did Qatar play during the Gulf War?", None),
    ],
)
def test_question_kind(question, kind):
    assert question_focus(question).kind == kind


def test_topic_words_leave_out_question_and_kind_words():
    assert question_focus("How many British troops are stationed in Qatar?").about == (
        "british",
        "troops",
        "stationed",
        "qatar",
    )
    assert question_focus("كم عدد الجنود البريطانيين في قطر؟").about == (
        "الجنود",
        "البريطانيين",
        "قطر",
    )


@pytest.mark.parametrize(
    "question, text, translation, ok, reason",
    [
        # answerable: the kind is offered and every topic word is there (either language)
        ("How many US troops are stationed in Qatar?", TROOPS_AR, TROOPS_EN, True, ""),
        ("كم عدد الجنود الأمريكيين في قطر؟", TROOPS_AR, TROOPS_EN, True, ""),
        ("how many US soldiers are statoined in qatar", TROOPS_AR, TROOPS_EN, True, ""),  # typo
        ("When was John Healey appointed?", "", HEALEY_EN, True, ""),
        # near misses
        (
            "How many British troops are stationed in Qatar?",
            TROOPS_AR,
            TROOPS_EN,
            False,
            "missing words",
        ),
        ("كم عدد الجنود البريطانيين في قطر؟", TROOPS_AR, TROOPS_EN, False, "missing words"),
        ("How tall is the control tower at Al Udeid Air Base?", "", BASE_EN, False, "no unit"),
        (
            "What is the area of Al Udeid Air Base in square kilometres?",
            "",
            BASE_EN,
            False,
            "no unit",
        ),
        ("When was Al Udeid Air Base built?", "", BASE_EN, False, "no date"),
        ("When was No. 12 Squadron formed?", "", SQUADRON_EN, False, "no date"),  # 12 is no year
        (
            "In what year was the Royal Military Academy Sandhurst founded?",
            "",
            HEALEY_EN,
            False,
            "missing words",
        ),
        ("Who is the British ambassador to Qatar?", "", HEALEY_EN, False, "missing words"),
        ("How many Hawk aircraft has Qatar bought?", "", BASE_EN, False, "no number"),
    ],
)
def test_check_focus(question, text, translation, ok, reason):
    check = check_focus(question_focus(question), text, translation)
    assert (check.ok, check.reason) == (ok, reason), check


def test_no_kind_always_passes():
    assert check_focus(Focus(None), "", "").ok
