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
        # the passage counts US troops: "british" is not what it counts
        (
            "How many British troops are stationed in Qatar?",
            TROOPS_AR,
            TROOPS_EN,
            False,
            "counts something else",
        ),
        # it counts soldiers, but American ones: the question names the other country
        ("كم عدد الجنود البريطانيين في قطر؟", TROOPS_AR, TROOPS_EN, False, "another country"),
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
        # the role asked about (ambassador) is not in the passage
        ("Who is the British ambassador to Qatar?", "", HEALEY_EN, False, "no person"),
        ("How many Hawk aircraft has Qatar bought?", "", BASE_EN, False, "no number"),
    ],
)
def test_check_focus(question, text, translation, ok, reason):
    check = check_focus(question_focus(question), text, translation)
    assert (check.ok, check.reason) == (ok, reason), check


def test_no_kind_always_passes():
    assert check_focus(Focus(None), "", "").ok


COMMAND_EN = (
    "The base serves as a main operational hub for US Central Command and supports global "
    "counter-terrorism efforts."
)
TYPHOON_EN = (
    "The joint Typhoon squadron is a unique operational unit run jointly by British and "
    "Qatari forces."
)
RELATIONS_EN = (
    "The United States and Qatar share a partnership whose roots go back decades; diplomatic "
    "relations between the two countries began in 1972, a year after Qatar's independence "
    "from the United Kingdom."
)
STUDENTS_EN = (
    "Every year Qatari students enrol at Sandhurst, and Al Thani himself is one of its graduates."
)
AGREEMENTS_EN = (
    "The two sides discussed their shared commitment to cooperation and signed several agreements."
)
LONDON_EN = (
    "London's commitment to Qatar's defence readiness is also evident in the training of "
    "Qatari military personnel."
)
DECADE_EN = (
    "For more than a decade, the United Kingdom and Qatar have worked to develop their strong "
    "defence partnership."
)
NATO_EN = "In January 2022, President Joe Biden designated Qatar a major non-NATO ally."
LIBERATION_EN = (
    "During the Gulf War, Qatar hosted the forces of the international coalition, including US "
    "Army soldiers and aircraft that took part in the liberation of Kuwait."
)


@pytest.mark.parametrize(
    "question, translation, ok, reason",
    [
        # who: a title, body or name the question does not name; the role it asks about
        ("Who commands US Central Command?", COMMAND_EN, False, "no person"),
        ("Who runs the joint Typhoon squadron?", TYPHOON_EN, True, ""),  # forces
        ("Who trains Qatari military personnel?", LONDON_EN, True, ""),  # London's, possessive
        ("Who was the US president when relations began?", RELATIONS_EN, False, "no person"),
        ("What is the name of the current US ambassador to Qatar?", HEALEY_EN, False, "no person"),
        ("Who visited Qatar after being appointed Defence Secretary?", HEALEY_EN, True, ""),
        # where: a name the question does not name; nationalities and months are none
        ("Where is the joint Typhoon squadron based?", TYPHOON_EN, False, "no place"),
        ("Where did Healey hold security talks with the Emir?", HEALEY_EN, True, ""),
        ("Which country was liberated by the coalition forces?", LIBERATION_EN, True, ""),
        # how many: a number of the counted thing, not "one of", not "the two sides"
        ("How many Qatari students enrol at Sandhurst each year?", STUDENTS_EN, False, "no number"),
        ("How many agreements did the sides sign?", AGREEMENTS_EN, False, "counts something else"),
        ("How many countries are major non-NATO allies?", NATO_EN, False, "counts something else"),
        ("How many years after independence did relations begin?", RELATIONS_EN, True, ""),
        # how much: a unit of the asked class next to a number
        ("How much does Qatar pay to host US troops?", TROOPS_EN, False, "no unit"),
        ("How much military aid has the US given Qatar?", RELATIONS_EN, False, "no unit"),
        ("How much does the base cost?", "The base cost $1 billion to build.", True, ""),
        # since when: a duration answers it
        ("Since when have the UK and Qatar worked on their partnership?", DECADE_EN, True, ""),
        ("When did the UK and Qatar start their defence partnership?", DECADE_EN, False, "no date"),
    ],
)
def test_what_the_passage_offers(question, translation, ok, reason):
    check = check_focus(question_focus(question), "", translation)
    assert (check.ok, check.reason) == (ok, reason), check


@pytest.mark.parametrize(
    "question, text",
    [
        ("كم عدد الجنود في قطر؟", "تراوح عدد الجنود المتمركزين لقطر 8 آلاف"),  # قطر / لقطر
        ("متى بدأت علاقاتها؟", "بدأت العلاقات عام 1972"),  # attached pronoun -ها
        ("when was jon healy apointed?", "John Healey after his appointment in July"),  # typos
        ("In which month did Healey hold talks?", "in December Healey held talks"),  # held
        ("In what year did Qatar gain independence?", "in 1971, Qatar's independence"),  # gain
    ],
)
def test_topic_words_found_across_spellings(question, text):
    check = check_focus(question_focus(question), text, None)
    assert check.ok, check


def test_a_person_named_with_no_english_is_not_judged():
    # Arabic passage, no aligned translation: names cannot be read, the gate stays open
    assert check_focus(question_focus("من يدير السرب؟"), "يدير السرب فريق مشترك", None).ok
    assert check_focus(question_focus("أين يقع السرب؟"), "يقع السرب في الدوحة", None).ok


DEFENCE_AR = (
    "وكانت قطر أيضاً واحدة من الأماكن الأولى التي زارها وزير الدفاع البريطاني جون هيلي بعد "
    "تعيينه في تموز/يوليو"
)


@pytest.mark.parametrize(
    "question, ok, reason",
    [
        # the role's country: the passage's defence minister is the British one
        ("مين وزير الدفاع القطري؟", False, "another country"),
        ("Who is the Qatari defence minister?", False, "another country"),
        ("مين وزير الدفاع البريطاني؟", True, ""),
        # a verb against its verbal noun: عُيّن / تعيينه
        ("متى عُيّن جون هيلي وزيراً للدفاع؟", True, ""),
    ],
)
def test_role_country_and_verbal_nouns(question, ok, reason):
    check = check_focus(question_focus(question), DEFENCE_AR, HEALEY_EN)
    assert (check.ok, check.reason) == (ok, reason)


@pytest.mark.parametrize(
    "question, kind, predicates",
    [
        ("جو بايدن زار قطر امتى؟", "date", ("زار",)),
        ("When did Biden visit Qatar?", "date", ("visit",)),
        ("When was John Healey appointed Defence Secretary?", "date", ("appointed",)),
        ("In which year did Qatar and the US establish relations?", "date", ("establish",)),
        # a country's name reads as a past (قطر) but names no event
        ("متى استقلت قطر عن بريطانيا؟", "date", ("استقلت",)),
        ("شو الدولة اللي تحررت بحرب الخليج؟", "place", ("تحررت",)),
        ("أي دولة تحررت من الغزو؟", "place", ("تحررت",)),
    ],
)
def test_kind_and_the_event_asked_about(question, kind, predicates):
    f = question_focus(question)
    assert (f.kind, f.predicates) == (kind, predicates)


def test_dialect_words_are_no_topic_words():
    assert question_focus("امتى صارت قطر حليف رئيسي من برا الناتو؟").about == (
        "قطر",
        "حليف",
        "رئيسي",
        "الناتو",
    )


def test_remembered_checks_agree_with_fresh_ones():
    """check_focus reads each passage once and remembers what it found there: the checks
    of every near-miss and kind question against every sentence of the seed article's
    translation, run warm in two orders, equal the checks run each on a fresh reading."""
    import json
    from pathlib import Path

    from bot import focus
    from bot.names import aliases

    root = Path(__file__).resolve().parent.parent
    rows = (root / "corpus/qatar-defense-partnerships/translation.en.jsonl").read_text("utf-8")
    texts = [json.loads(r)["text"] for r in rows.splitlines() if r.strip()]
    questions = [
        json.loads(r)["question"]
        for name in ("nearmiss", "kinds")
        for r in (root / f"tests/data/{name}.jsonl").read_text("utf-8").splitlines()
        if r.strip()
    ]
    foci = [f for f in map(question_focus, questions) if f.kind is not None]
    aka = aliases(("", t) for t in texts)
    pairs = [(f, t, a) for f in foci for t in texts for a in (None, "Al Udeid Air Base")]
    assert len(foci) > 50 and len(pairs) > 2000

    def run(order):
        return {id(p): check_focus(p[0], "", p[1], aka, p[2]) for p in order}

    def fresh(p):
        focus._passage.cache_clear()
        return check_focus(p[0], "", p[1], aka, p[2])

    expected = {id(p): fresh(p) for p in pairs}
    focus._passage.cache_clear()
    assert run(pairs) == expected
    assert run(reversed(pairs)) == expected
    assert sum(not c.ok for c in expected.values()) > 100  # the checks do refuse
