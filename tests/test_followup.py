"""Follow-up resolution: which questions take the earlier topic, and what it does to R@1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InputError
from bot.followup import (
    Conversation,
    Quotable,
    Quotables,
    Turn,
    cited_passage,
    content_words,
    evaluate_followups,
    passage_names,
    read_conversations,
    resolve,
)
from bot.referents import ordinal, shorten_names, thing_pronoun

DATA = Path(__file__).parent / "data" / "followups.jsonl"
ALLY = [
    Turn("user", "Who designated Qatar a major non-NATO ally?"),
    Turn("assistant", "President Joe Biden."),
]


@pytest.mark.parametrize(
    "text, words",
    [
        ("When was that?", ()),
        ("And the British one?", ("British",)),
        ("ولأي غرض؟", ("غرض",)),
        ("وماذا يتيح لها ذلك؟", ("يتيح",)),
        ("How many soldiers are there in 2024?", ("soldiers", "2024")),
    ],
)
def test_content_words_drop_function_words_and_proclitics(text, words):
    assert content_words(text) == words


def test_short_follow_up_takes_the_previous_user_topic_not_the_answer():
    res = resolve("When was that?", ALLY)
    assert res.resolved and res.query == "When was that? designated Qatar major non NATO ally"
    assert "Biden" not in res.query


@pytest.mark.parametrize(
    "question",
    ["Which US command uses it?", "Did the Emir study there?", "وهل توجد أسراب مشتركة أخرى؟"],
)
def test_question_with_its_own_topic_is_left_alone(question):
    res = resolve(question, ALLY)
    assert not res.resolved and res.query == question


def test_no_history_means_no_resolution():
    assert resolve("When was that?").query == "When was that?"


def test_a_chain_of_follow_ups_keeps_the_first_topic():
    history = [
        Turn("user", "ما هي قاعدة العديد؟"),
        Turn("assistant", "…"),
        Turn("user", "وما دورها؟"),
        Turn("assistant", "…"),
    ]
    res = resolve("ولماذا؟", history)
    assert res.resolved and "قاعدة" in res.query and "العديد" in res.query


def test_evaluate_counts_hits_with_and_without_resolution():
    items = [Conversation(tuple(ALLY), "When was that?", ("d:9",))]
    # A fake retriever: only the resolved query (which mentions NATO) finds d:9.
    report = evaluate_followups(items, lambda q, rq: "d:9" if "NATO" in rq else "d:2")
    assert (report["R@1_without"], report["R@1_with"], report["resolved"]) == (0.0, 1.0, 1)


def test_read_conversations_parses_the_dev_set_and_rejects_bad_lines(tmp_path):
    items = read_conversations(DATA)
    assert len(items) >= 60 and items[0].history[0].role == "user"
    assert {i.split for i in items} == {"tune", "heldout", "heldout-b", "tune-c", "heldout-c"}
    assert len(read_conversations(DATA, "heldout")) == sum(i.split == "heldout" for i in items)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:1"):
        read_conversations(bad)


EMIR_AR = "وقد تجلى ذلك عندما دعا الملك تشارلز الثالث أمير قطر الشيخ تميم بن حمد آل ثاني."
# A miniature corpus: the resolver needs ids, texts and aligned translations only.
CORPUS = [
    Quotable(
        "d:5",
        "ويتمثل حجر الزاوية … في قاعدة العديد الجوية، وهي أكبر منشأة عسكرية أميركية.",
        "The cornerstone of the defence relationship between the United States and Qatar "
        "is Al Udeid Air Base, the largest US military facility in the Middle East.",
    ),
    Quotable(
        "d:12",
        EMIR_AR,
        "This was evident when King Charles III invited the Emir of Qatar, Sheikh Tamim bin "
        "Hamad Al Thani, on a state visit to the United Kingdom.",
    ),
    Quotable(
        "d:4",
        "وتعتبر قطر شريكا دفاعيا استراتيجيا مهما للولايات المتحدة.",
        "Qatar is an important strategic defence partner of the United States.",
    ),
    Quotable(
        "d:11",
        "وتعد قطر أحد أقرب شركاء المملكة المتحدة في منطقة الخليج.",
        "Qatar is one of the United Kingdom's closest partners in the Gulf region.",
    ),
]
BASE_ANSWER = (
    'The article says: "The cornerstone of the defence relationship between the '
    "United States and Qatar is Al Udeid Air Base, the largest US military facility "
    'in the Middle East." [1]'
)
EMIR_ANSWER = f"جاء في المقال: «{EMIR_AR}» [1]"


@pytest.mark.parametrize(
    "answer, cited",
    [
        (BASE_ANSWER, "d:5"),
        (EMIR_ANSWER, "d:12"),  # the Arabic answer quotes the Arabic sentence
        ("Al Udeid Air Base.", None),  # not a quote: nothing is cited
        (
            "This is not in the article. The closest passages are listed, but none of them answers "
            "the question.",
            None,
        ),
    ],
)
def test_cited_passage_is_found_from_the_quote(answer, cited):
    found = cited_passage(answer, CORPUS)
    assert (found.id if found else None) == cited


@pytest.mark.parametrize(
    "pid, person, names",
    [
        ("d:5", None, ("Al Udeid Air Base", "US", "Middle East")),  # "US" is rare here
        ("d:12", True, ("King Charles III", "Emir of Qatar", "Sheikh Tamim bin Hamad Al Thani")),
        ("d:12", False, ()),  # "Qatar"/"United Kingdom" are in most passages: no names left
        ("d:4", None, ()),  # sentence-initial "Qatar" and the everywhere "United States"
    ],
)
def test_passage_names(pid, person, names):
    p = next(q for q in CORPUS if q.id == pid)
    assert passage_names(p, CORPUS, person) == names


@pytest.mark.parametrize(
    "history, question, expect_in, expect_out",
    [
        # a pronoun for the person: the one in apposition to what was asked, without the
        # previous topic words (they pull retrieval back to the previous answer)
        (
            [Turn("user", "من هو أمير قطر؟"), Turn("assistant", EMIR_ANSWER)],
            "Where did he study?",
            ["Al Thani"],  # the shortest spelling the corpus uses, not the full name
            ["Gulf", "King", "أمير", "Sheikh"],
        ),
        (
            [
                Turn("user", "Who invited the Emir of Qatar on a state visit?"),
                Turn("assistant", EMIR_ANSWER),
            ],
            "When did he do that?",
            ["King Charles III"],
            ["Sheikh"],
        ),
        # "he" after "Who is <name>?" is that person, not another name of the answer
        (
            [
                Turn("user", "Who is Sheikh Tamim bin Hamad Al Thani?"),
                Turn("assistant", EMIR_ANSWER),
            ],
            "When did he graduate?",
            ["Al Thani"],
            ["King", "Tamim"],
        ),
        # Arabic follow-up with an implied subject, after an English turn
        (
            [Turn("user", "Who is the Emir of Qatar?"), Turn("assistant", EMIR_ANSWER)],
            "ومن أين تخرج؟",
            ["آل ثاني"],  # in the question's script
            ["Sheikh", "تميم"],
        ),
    ],
)
def test_follow_up_takes_the_names_of_the_cited_passage(history, question, expect_in, expect_out):
    res = resolve(question, history, CORPUS)
    assert res.resolved and res.cited == "d:12"
    assert all(x in res.query for x in expect_in) and not any(x in res.query for x in expect_out)
    assert res.query.startswith(question)


@pytest.mark.parametrize(
    "asked, question, person, not_person",
    [
        # a follow-up with its own topic keeps its words and adds who "he" is, not the
        # earlier question's words
        (
            "Who did King Charles III invite on a state visit?",
            "Did he train at a British military academy?",
            "Al Thani",
            "King",
        ),
        ("Who invited the Emir of Qatar?", "Which academy is he a graduate of?", "King", "Thani"),
        # "he" the follow-up names itself is someone else: the Emir is not "he"
        ("Who invited the Emir of Qatar?", "What did he discuss with the Emir?", "King", "Thani"),
        # in the passive "he" is the one the question named (acted on), across languages
        (
            "من دعا أمير قطر لزيارة المملكة المتحدة؟",
            "What was he invited to discuss?",
            "Thani",
            "King",
        ),
        # after "Who is X?", X
        (
            "Who is Sheikh Tamim bin Hamad Al Thani?",
            "Which academy is he a graduate of?",
            "Thani",
            "King",
        ),
    ],
)
def test_he_is_the_person_of_the_quoted_sentence_added_to_the_follow_ups_own_words(
    asked, question, person, not_person
):
    res = resolve(question, [Turn("user", asked), Turn("assistant", EMIR_ANSWER)], CORPUS)
    assert res.resolved and res.query.startswith(question) and res.context == ()
    assert person in res.query and not_person not in res.query[len(question) :]
    assert res.names and person in res.names[0]
    assert "invite" not in res.query[len(question) :] and "state" not in res.query


@pytest.mark.parametrize(
    "question",
    [
        "How many US troops are stationed in Qatar?",
        "Which command uses it?",
        "Which academy is he a graduate of?",
    ],
)
def test_no_person_pronoun_keeps_the_question_or_topic_rule(question):
    history = [
        Turn("user", "What is the cornerstone of the US-Qatar defence relationship?"),
        Turn("assistant", BASE_ANSWER),
    ]
    res = resolve(question, history, CORPUS)
    assert res.cited == "d:5" and res.names == () and res.query == question


def test_without_passages_only_user_turns_are_used():
    history = [
        Turn("user", "What is the cornerstone of the US-Qatar defence relationship?"),
        Turn("assistant", BASE_ANSWER),
    ]
    res = resolve("Which command uses it?", history)
    assert res.cited is None and "Udeid" not in res.query


SQUADRONS_EN = (
    "The two sides signed several agreements, including cooperation through the joint "
    "UK-Qatar Typhoon and Hawk squadrons."
)
SQUADRONS = [
    *CORPUS,
    Quotable(
        "d:14",
        "ووقعا عدة اتفاقيات عبر أسراب الطائرات تايفون وهوك المشتركة بين المملكة المتحدة وقطر.",
        SQUADRONS_EN,
    ),
    Quotable(
        "d:15",
        "يُذكر أن سرب تايفون المشترك هو وحدة عملياتية فريدة.",
        "The joint Typhoon squadron is a unique operational unit.",
    ),
]
SQUADRONS_ASKED = Turn("user", "Which squadrons are shared between the UK and Qatar?")


@pytest.mark.parametrize(
    "question, name, not_name",
    [
        ("Who runs the first one?", "Typhoon", "Hawk"),
        ("And the second of them?", "Hawk", "Typhoon"),
        ("ومن يشارك في إدارة الأول منها؟", "تايفون", "هوك"),
        ("وما الذي يميز ثانيها؟", "هوك", "تايفون"),
    ],
)
def test_an_ordinal_is_the_nth_name_of_the_list_the_answer_gave(question, name, not_name):
    answer = f'The article says: "{SQUADRONS_EN}" [1]'
    res = resolve(question, [SQUADRONS_ASKED, Turn("assistant", answer)], SQUADRONS)
    assert res.cited == "d:14" and res.names == (name,)
    assert res.query == f"{question} {name}" and not_name not in res.query
    assert "shared" not in res.query  # the earlier topic is not carried besides the name


@pytest.mark.parametrize(
    "question, expected",
    [
        ("the first one?", 1),
        ("Who runs the second of them?", 2),
        ("ومتى بدأت العلاقات مع الأولى؟", 1),
        ("وما الذي يميز أولها؟", 1),
        ("Which country was among the first he visited?", None),  # "the first places"
        ("وماذا حدث في كانون الثاني؟", None),  # January, not "the second"
        ("When was that?", None),
    ],
)
def test_ordinal(question, expected):
    assert ordinal(question) == expected


@pytest.mark.parametrize(
    "question, kind",
    [
        ("What is it used for?", "thing"),
        ("وما دورها؟", "thing"),
        ("How many soldiers are there?", "place"),
        ("ومن التقى به هناك؟", "place"),
        ("ما هي القاعدة؟", None),  # "هي" here is the copula of "what is"
        ("Where did he study?", None),
        ("وعلام يدل ذلك؟", None),  # "that" is a fact, not a named thing
    ],
)
def test_thing_pronoun(question, kind):
    assert thing_pronoun(question) == kind


BASE_ASKED = Turn("user", "What is the cornerstone of the US-Qatar defence relationship?")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("What is it used for?", "What is it used for? base"),
        ("And what else does it support?", "And what else does it support? base"),
        ("How many soldiers are there?", "How many soldiers are there? base"),
        ("وما دورها؟", "وما دورها؟ القاعدة"),
        ("كم جندياً هناك؟", "كم جندياً هناك؟ القاعدة"),
    ],
)
def test_it_and_there_are_the_thing_the_answer_named_searched_by_its_kind(question, expected):
    # a short, hand-written answer (no quote) names the base as well as a quoted one does
    for answer in (BASE_ANSWER, "Al Udeid Air Base."):
        res = resolve(question, [BASE_ASKED, Turn("assistant", answer)], CORPUS)
        assert res.resolved and res.query == expected, answer
        assert "cornerstone" not in res.query


def test_it_without_a_distinctive_thing_keeps_the_topic_rule():
    # the answer names only Qatar and the US, which are everywhere in the corpus
    history = [Turn("user", "Who is Qatar a partner of?"), Turn("assistant", "The United States.")]
    res = resolve("Since when is it?", history, CORPUS)
    assert res.names == () and res.query == "Since when is it? Qatar partner"


@pytest.mark.parametrize(
    "asked, answer, question, expected",
    [
        (
            "Which partner does the US State Department call strategic?",
            'The article says: "Qatar is an important strategic defence partner of the United '
            'States." [1]',
            "How many of its troops are there?",
            "How many of its troops are there? Qatar",
        ),
        (
            "أي شريك تصفه وزارة الخارجية الأمريكية بالاستراتيجي؟",
            "قطر.",
            "وكم جندياً لها هناك؟",
            "وكم جندياً لها هناك؟ قطر",
        ),
    ],
)
def test_it_is_the_common_entity_the_answer_told_when_the_question_named_none_of_its_type(
    asked, answer, question, expected
):
    # Qatar is in every passage, but it is what the answer told: the question named only an
    # organisation, so "its" is Qatar, searched without the earlier question's words
    res = resolve(question, [Turn("user", asked), Turn("assistant", answer)], CORPUS)
    assert res.resolved and res.query == expected
    assert "strategic" not in res.query and "الاستراتيجي" not in res.query


def test_a_follow_up_naming_another_entity_replaces_the_one_of_its_type():
    history = [
        Turn("user", "كيف تصف وزارة الخارجية الأمريكية قطر؟"),
        Turn("assistant", "شريك دفاعي استراتيجي مهم للولايات المتحدة."),
    ]
    res = resolve("وبالنسبة لبريطانيا؟", history, CORPUS)
    assert res.query == "وبالنسبة لبريطانيا؟ تصف قطر"
    # English: "the US" (with the State Department around it) gives way to "the UK"
    history = [Turn("user", "How does the US State Department describe Qatar?")]
    history.append(Turn("assistant", "As an important strategic defence partner."))
    assert resolve("And the UK?", history, CORPUS).query == "And the UK? describe Qatar"


@pytest.mark.parametrize(
    "question, expected",
    [
        ("وأين تخرّج الشيخ تميم بن حمد آل ثاني؟", "وأين تخرّج آل ثاني؟"),
        ("Did Sheikh Tamim bin Hamad Al Thani study there?", "Did Al Thani study there?"),
        ("Who invited the Emir of Qatar?", "Who invited the Emir of Qatar?"),  # not a part
    ],
)
def test_a_person_named_in_full_is_searched_by_the_short_spelling(question, expected):
    quotables = Quotables(CORPUS)
    assert shorten_names(question, quotables, "en") == expected
    history = [Turn("user", "Who is the Emir of Qatar?"), Turn("assistant", EMIR_ANSWER)]
    assert resolve(question, history, quotables).query.startswith(expected)


def test_quotables_find_quoted_passages_by_text_in_order():
    quotables = Quotables(CORPUS)
    two = f'{BASE_ANSWER}\nIt adds: "{CORPUS[3].translation}" [2]'
    assert [p.id for p in quotables.cited(two)] == ["d:5", "d:11"]
    assert quotables.by_id["d:12"].text == EMIR_AR
    assert quotables.short_form("tamim", "en") == "Al Thani"
    assert quotables.short_form("tamim", "ar") == "آل ثاني"
    assert quotables.common("qatar") and not quotables.common("al_udeid")
    # a quoted sentence with quote marks of its own is still found; a bare mark is not a quote
    said = Quotable("d:7", "قال «نعم» للخطة في ذلك اليوم.", 'He said "yes" to the plan that day.')
    quotables = Quotables([*CORPUS, said])
    assert [p.id for p in quotables.cited(f'The article says: "{said.translation}" [1]')] == ["d:7"]
    assert [p.id for p in quotables.cited(f"جاء في المقال: «{said.text}» [1]")] == ["d:7"]
    assert quotables.cited('" [1]' * 50 + "» [2]") == []


def test_sanad_builds_quotables_once_per_index(tmp_path, fake_embedder):
    from conftest import make_settings

    from bot.service import Sanad

    sanad = Sanad.open(make_settings(tmp_path), embedder=fake_embedder)
    first = sanad.quotables
    assert sanad.quotables is first and len(first) == len(sanad.index.passages)
    assert first.by_id[sanad.index.passages[4].id].text == sanad.index.passages[4].text
    sanad.reload()  # a new index gets its own
    assert sanad.quotables is not first and len(sanad.quotables) == len(first)


@pytest.mark.model
def test_follow_up_r_at_1_on_the_heldout_split(real_sanad):
    items = read_conversations(DATA, "heldout")
    report = evaluate_followups(
        items,
        lambda q, rq: real_sanad.ask(q, retrieval_query=rq).citations[0].id,
        real_sanad.quotables,
    )
    assert report["n"] >= 30
    # Measured 0.824 (28 of 34; 0.647 without resolution, 0.765 before the previous answer's
    # things, places, lists and short names were read). The goal is 0.80.
    assert report["R@1_with"] >= 0.80, report["R@1_with"]
    assert report["R@1_with"] > report["R@1_without"] + 0.1
