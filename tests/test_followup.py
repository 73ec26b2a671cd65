"""Follow-up resolution: which questions take the earlier topic, and what it does to R@1."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import InputError
from bot.followup import (
    Conversation,
    Quotable,
    Turn,
    cited_passage,
    content_words,
    evaluate_followups,
    passage_names,
    read_conversations,
    resolve,
)

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
    assert {i.split for i in items} == {"tune", "heldout", "heldout-b"}
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
            ["Al Thani"],
            ["Sheikh"],
        ),
    ],
)
def test_follow_up_takes_the_names_of_the_cited_passage(history, question, expect_in, expect_out):
    res = resolve(question, history, CORPUS)
    assert res.resolved and res.cited == "d:12"
    assert all(x in res.query for x in expect_in) and not any(x in res.query for x in expect_out)
    assert res.query.startswith(question)


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


@pytest.mark.model
def test_follow_up_r_at_1_on_the_heldout_split(real_sanad):
    items = read_conversations(DATA, "heldout")
    report = evaluate_followups(
        items,
        lambda q, rq: real_sanad.ask(q, retrieval_query=rq).citations[0].id,
        real_sanad.quotables,
    )
    assert report["n"] >= 30
    # Measured 0.765 (26 of 34; 0.647 without resolution). The goal is 0.80: not met yet.
    assert report["R@1_with"] >= 0.76, report["R@1_with"]
    assert report["R@1_with"] > report["R@1_without"] + 0.1
