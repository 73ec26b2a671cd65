"""Segmentation: the seed article, splitting rules, comment sections, and the offsets invariant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.segment import Span, is_comment_marker, segment, split_line


def texts(raw: str, spans) -> list[str]:
    return [raw[s.start : s.end] for s in spans]


def test_seed_has_18_sentences_one_heading_and_no_comments(seed_raw):
    seg = segment(seed_raw)
    assert len(seg.sentences) == 18
    assert texts(seed_raw, seg.headings) == ["التعاون بين المملكة المتحدة وقطر"]
    assert seed_raw[seg.excluded.start :].startswith("لا تعليق بعد التقرير المدون أعلاه")
    assert seg.excluded.end == len(seed_raw)
    sentences = texts(seed_raw, seg.sentences)
    assert not any("رد" == s or s.startswith("ردقطر") or "تعليق" in s for s in sentences)
    assert all(s.end <= seg.excluded.start for s in seg.sentences)


def test_seed_sections_follow_the_heading(seed_raw):
    seg = segment(seed_raw)
    assert [s.section for s in seg.sentences[:9]] == [None] * 9
    assert {s.section for s in seg.sentences[9:]} == {"التعاون بين المملكة المتحدة وقطر"}


@pytest.mark.parametrize(
    "line_no, first, second",
    [
        (12, "وتعد قطر أحد أقرب شركاء المملكة المتحدة في منطقة الخليج.", "وقد تجلى ذلك"),
        (15, "يُذكر أن سرب تايفون المشترك", "ويسلط السرب رقم 12"),
        (16, "ويظهر التزام لندن", "وينتسب الطلاب القطريون"),
    ],
)
def test_seed_lines_with_two_sentences(seed_raw, line_no, first, second):
    lines = seed_raw.split("\n")
    start = sum(len(x) + 1 for x in lines[: line_no - 1])
    line = Span(start, start + len(lines[line_no - 1]))
    parts = texts(seed_raw, split_line(seed_raw, line))
    assert len(parts) == 2
    assert parts[0].startswith(first) and parts[1].startswith(second)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("قال، ثم مضى؛ وانتهى.", ["قال، ثم مضى؛ وانتهى."]),
        ("بلغ النمو 3.5 في المئة. ثم تراجع.", ["بلغ النمو 3.5 في المئة.", "ثم تراجع."]),
        ("هل جاء؟ نعم! جاء… ثم ذهب.", ["هل جاء؟", "نعم!", "جاء…", "ثم ذهب."]),
        ("The U.S. base grew. Dr. Smith left.", ["The U.S. base grew.", "Dr. Smith left."]),
        (
            "Version 2.0 shipped in 2022. Sales rose.",
            ["Version 2.0 shipped in 2022.", "Sales rose."],
        ),
        ('"Done." He left.', ['"Done."', "He left."]),
        ("عدد ١٢٫٥ ألف. انتهى", ["عدد ١٢٫٥ ألف.", "انتهى"]),
    ],
)
def test_split_rules(text, expected):
    assert texts(text, segment(text).sentences) == expected


@pytest.mark.parametrize(
    "line, marker",
    [
        ("لا تعليق بعد التقرير المدون أعلاه", True),
        ("لا توجد تعليقات", True),
        ("التعليقات", True),
        ("أضف تعليقك", True),
        ("رد", True),
        ("3 تعليقات", True),
        ("Leave a Reply", True),
        ("No comments yet", True),
        ("Comments", True),
        ("ردت الحكومة على الاتهامات بالنفي.", False),
        ("وقال إنه لا تعليق لديه على المسألة.", False),
        ("The comments section of the bill was debated at length in parliament today.", False),
    ],
)
def test_comment_markers(line, marker):
    assert is_comment_marker(line) is marker


def test_english_comment_section_is_excluded():
    raw = (
        "Title of the piece\nThe base opened in 1996. It grew.\nIt is large.\n"
        "Leave a Reply\nGreat article!\nReply"
    )
    seg = segment(raw)
    assert texts(raw, seg.sentences) == ["The base opened in 1996.", "It grew.", "It is large."]
    assert raw[seg.excluded.start :].startswith("Leave a Reply")
    assert texts(raw, seg.headings) == ["Title of the piece"]


def test_a_marker_on_the_first_line_is_kept():
    raw = "Comments on the budget were many.\nThey came fast."
    assert len(segment(raw).sentences) == 2
    assert segment(raw).excluded is None


_alphabet = st.sampled_from(list("قطرالمتحدةأإآىيءؤئ ً ُ ّ ـ،؛؟…!.? \n\r\t0123456789٠١٢٣abcXYZ\"'»)("))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=200) | st.text(max_size=120))
def test_offsets_invariant(raw):
    seg = segment(raw)
    previous_end = 0
    for s in seg.sentences + seg.headings:
        assert 0 <= s.start < s.end <= len(raw)
        piece = raw[s.start : s.end]
        assert piece == piece.strip() and piece
    for s in seg.sentences:
        assert s.start >= previous_end  # in order, no overlap
        previous_end = s.end
    if seg.excluded:
        assert all(s.end <= seg.excluded.start for s in seg.sentences)
    # Nothing outside sentences, headings and the excluded tail but whitespace and punctuation.
    covered = [False] * len(raw)
    for s in seg.sentences + seg.headings + ([seg.excluded] if seg.excluded else []):
        for i in range(s.start, s.end):
            covered[i] = True
    assert all(covered[i] or raw[i].isspace() for i in range(len(raw)))


# ------------------------------------------------------------------ other languages

_THAI_CLAUSE = "ทีมรับของแพนเธอร์สเสียคะแนนเพียงสามร้อยแปดแต้มและได้อันดับที่หกของลีก"  # 69 chars


@pytest.mark.parametrize(
    "text, language, expected",
    [
        (
            "黑豹队的防守只丢了308分。职业碗防守截锋以11分领先！真的吗？是的",
            None,
            ["黑豹队的防守只丢了308分。", "职业碗防守截锋以11分领先！", "真的吗？", "是的"],
        ),
        ("他说：“我们赢了。”然后离开了。", None, ["他说：“我们赢了。”", "然后离开了。"]),
        (
            "पैंथर्स ने 308 अंक दिए। शॉर्ट ने टीम का नेतृत्व किया॥ अंत",
            None,
            ["पैंथर्स ने 308 अंक दिए।", "शॉर्ट ने टीम का नेतृत्व किया॥", "अंत"],
        ),
        (
            "Πού βρίσκεται η Βαρσοβία; Στην Πολωνία.",
            None,
            ["Πού βρίσκεται η Βαρσοβία;", "Στην Πολωνία."],
        ),
        ("Ήταν ο Τζον Φ. Κένεντι; Ναι.", None, ["Ήταν ο Τζον Φ. Κένεντι;", "Ναι."]),
        # a Latin ";" stays a semicolon
        ("It rained; we stayed. Done.", None, ["It rained; we stayed.", "Done."]),
        (
            "Например, Э. И. Дюпон основал компанию в 1802 г. в Делавэре. Она росла.",
            None,
            ["Например, Э. И. Дюпон основал компанию в 1802 г. в Делавэре.", "Она росла."],
        ),
        # German and Turkish ordinals end no sentence; the year does
        (
            "Tesla starb am 7. Januar 1943. Er war 86.",
            "de",
            ["Tesla starb am 7. Januar 1943.", "Er war 86."],
        ),
        (
            "Takım 5. sırada bitirdi. Sonra kazandı.",
            "tr",
            ["Takım 5. sırada bitirdi.", "Sonra kazandı."],
        ),
        # in English a number before a full stop may end a sentence
        ("He finished in round 5. Then he won.", "en", ["He finished in round 5.", "Then he won."]),
    ],
)
def test_split_rules_of_other_languages(text, language, expected):
    assert texts(text, segment(text, language).sentences) == expected


def test_thai_splits_at_a_space_between_thai_words_past_the_minimum_length():
    raw = " ".join([_THAI_CLAUSE] * 8)  # 8 clauses of 69 characters, 7 spaces between them
    got = texts(raw, segment(raw, "th").sentences)
    # A sentence ends at the first Thai space at least 180 characters in: every third clause.
    assert got == [" ".join([_THAI_CLAUSE] * 3)] * 2 + [" ".join([_THAI_CLAUSE] * 2)]
    short = f"{_THAI_CLAUSE} {_THAI_CLAUSE}"
    assert texts(short, segment(short).sentences) == [short]  # one short sentence stays whole


def test_thai_without_thai_spaces_is_cut_at_any_space_past_the_cap():
    clause = _THAI_CLAUSE * 3  # 207 characters, no space
    raw = f"{clause} 1 {clause} 2 {clause}"  # spaces next to digits only
    got = texts(raw, segment(raw).sentences)
    # the first space at or past 400 characters (after the second clause) ends the sentence
    assert got == [f"{clause} 1 {clause}", f"2 {clause}"]


def test_a_chinese_paragraph_without_closing_punctuation_is_no_heading():
    raw = "黑豹队的防守只丢了308分，在联赛中排名第六，同时也以24次拦截领先国家橄榄球联盟\n职业碗。"
    seg = segment(raw)
    assert seg.headings == [] and len(seg.sentences) == 2
    titled = "黑豹队的防守\n职业碗防守截锋以11分领先。"
    assert texts(titled, segment(titled).headings) == ["黑豹队的防守"]


_many = st.sampled_from(list("ทีมรับของแพนเธอร์ส黑豹队的防守。！？पैंथर्स।॥Βαρσοβία;Дюпон. \n\t0123ab"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_many, max_size=600), st.sampled_from([None, "th", "de", "zh"]))
def test_offsets_invariant_in_other_scripts(raw, language):
    previous_end = 0
    for s in segment(raw, language).sentences:
        piece = raw[s.start : s.end]
        assert piece == piece.strip() and piece and s.start >= previous_end
        previous_end = s.end
