"""Answer templates: languages, markers, abstention, verbatim quotes, escaping."""

from __future__ import annotations

import pytest

from bot.answer import Citation, quoted, render, render_html, render_sources


def cite(n, text="نص عربي.", translation=None, score=0.9):
    return Citation(n, f"d:{n}", "d", text, translation, 0, len(text), score, None)


def test_english_quotes_the_aligned_translation_with_markers():
    out = render(
        "en",
        True,
        [cite(1, translation="Qatar's base is large."), cite(2, translation="It hosts troops.")],
    )
    assert out == (
        'The article says: "Qatar\'s base is large." [1]\nIt adds: "It hosts troops." [2]'
    )


def test_english_without_translation_says_the_source_is_arabic():
    assert (
        render("en", True, [cite(1, "القاعدة كبيرة.")])
        == "The source is in Arabic: «القاعدة كبيرة.» [1]"
    )


def test_english_document_is_quoted_directly_in_both_languages():
    from dataclasses import replace

    c = replace(cite(1, "The base is large."), language="en", title="Bases")
    assert render("en", True, [c]) == 'The article says: "The base is large." [1]'
    assert render("ar", True, [c]) == "جاء في المقال: «The base is large.» [1]"
    mixed = [
        replace(cite(1, "The base is large."), language="en"),
        replace(cite(2, "القاعدة كبيرة."), language="ar"),
    ]
    assert render("en", True, mixed) == (
        'The article says: "The base is large." [1]\nIt adds: «القاعدة كبيرة.» [2]'
    )


def test_arabic_quotes_the_original():
    assert (
        render("ar", True, [cite(1, "القاعدة كبيرة.", "The base is large.")])
        == "جاء في المقال: «القاعدة كبيرة.» [1]"
    )


@pytest.mark.parametrize(
    "lang, phrase", [("en", "This is not in the article."), ("ar", "لا يرد هذا في المقال.")]
)
def test_abstention_in_the_question_language(lang, phrase):
    assert render(lang, False, []).startswith(phrase)


def test_quotes_are_verbatim_in_text_and_escaped_in_html():
    nasty = 'A <script>alert("x")</script> & co.'
    c = cite(1, nasty, nasty)
    assert nasty in render("en", True, [c])
    html = render_html("en", True, [c])
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; co." in html


def test_second_passage_is_quoted_only_when_close():
    a, b = cite(1, score=0.95), cite(2, score=0.90)
    assert quoted([a, b], -1) == [a]
    close = cite(2, score=0.945)
    assert quoted([a, close], -1) == [a, close]
    assert quoted([], -1) == []


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        render("fr", True, [cite(1)])


# ------------------------------------------------------------------ sources under the answer


def test_sources_list_every_citation_with_title_quote_id_and_offsets():
    a = Citation(1, "d:5", "d", 'A <b>"quoted"</b> & more.', "In English.", 10, 35, 0.9, None)
    b = Citation(2, "d:6", "d", "ثانية.", None, 36, 42, 0.8, None)
    c = Citation(3, "e:1", "e", "ثالثة.", "Third.", 0, 6, 0.7, None)
    titles = {"d": "Doc D", "e": "Doc E"}
    assert render_sources("en", True, [a, b, c], titles.get) == (
        "Sources:\n"
        '- [1] Doc D: «A <b>"quoted"</b> & more.» ("In English.") (d:5, characters 10–35)\n'
        "- [2] «ثانية.» (d:6, characters 36–42)\n"  # same document: no repeated title
        '- [3] Doc E: «ثالثة.» ("Third.") (e:1, characters 0–6)'
    )


def test_arabic_sources_have_no_translation_and_say_closest_when_abstaining():
    a = Citation(1, "d:5", "d", "الأولى.", "First.", 10, 17, 0.9, None)
    assert (
        render_sources("ar", False, [a], {"d": "مستند"}.get)
        == "أقرب المقاطع:\n- [1] مستند: «الأولى.» (d:5، المحارف 10–17)"
    )
    assert render_sources("en", False, [a], {"d": "D"}.get).startswith("Closest passages:\n")


def test_sources_accept_the_json_citations_and_nothing_gives_nothing():
    a = Citation(1, "d:5", "d", "الأولى.", None, 10, 17, 0.9, None)
    from dataclasses import asdict

    assert render_sources("en", True, [asdict(a)], {"d": "D"}.get) == render_sources(
        "en", True, [a], {"d": "D"}.get
    )
    assert render_sources("en", True, [], {"d": "D"}.get) == ""
    with pytest.raises(ValueError):
        render_sources("fr", True, [a], {"d": "D"}.get)


def test_english_answer_names_the_language_of_a_source_in_another_language():
    from dataclasses import replace

    de = replace(cite(1, "Der Vertrag wurde 1972 unterzeichnet."), language="de")
    ru = cite(2, "Договор был подписан в 1972 году.")  # no document: named from its script
    und = replace(cite(1, "Le traité a été signé en 1972."), language="und")
    assert render("en", True, [de, ru]) == (
        "The source is in German: «Der Vertrag wurde 1972 unterzeichnet.» [1]\n"
        "It adds: «Договор был подписан в 1972 году.» [2]"
    )
    assert render("en", True, [ru]) == (
        "The source is in Russian: «Договор был подписан в 1972 году.» [2]"
    )
    assert render("en", True, [und]).startswith("The source is in another language: «Le traité")
    # the Arabic answer quotes any source as it is
    assert render("ar", True, [de]) == "جاء في المقال: «Der Vertrag wurde 1972 unterzeichnet.» [1]"
