"""Choosing the answer passage by the question's focus (bot/choice.py), and the dialect
question words and spelling variants the focus recogniser reads (bot/focus.py)."""

from __future__ import annotations

import pytest

from bot.choice import DEPTH, MARGIN, choose
from bot.corpus import Passage
from bot.focus import check_focus, question_focus
from bot.names import aliases
from bot.retrieve import Hit

GULF_WAR = (
    "During the Gulf War, Qatar hosted the forces of the international coalition, including US "
    "Army soldiers and aircraft that took part in the liberation of Kuwait."
)
TROOPS = (
    "In recent years, the number of US troops stationed at the various facilities in Qatar has "
    "ranged from about 8,000 to more than 10,000."
)
TROOPS_AR = (
    "وفي السنوات الأخيرة، تراوح عدد الجنود الأميركيين المتمركزين في المنشآت المختلفة في قطر "
    "بين نحو 8 آلاف وأكثر من 10 آلاف."
)
BASE = (
    "The cornerstone of the defence relationship between the United States and Qatar is Al "
    "Udeid Air Base, the largest US military facility in the Middle East."
)
GRADUATES = (
    "Every year Qatari students enrol at Sandhurst, and Al Thani himself is one of its graduates."
)


def hit(n: int, translation: str, score: float) -> Hit:
    passage = Passage(f"doc:{n}", "doc", n, 0, 1, "نص", None, translation)
    return Hit(passage, score, score, 0.0)


def ids(hits: list[Hit]) -> list[int]:
    return [h.passage.n for h in hits]


# --- dialect question words ------------------------------------------------------------


@pytest.mark.parametrize(
    "question, kind",
    [
        ("امتى قطر استقلت عن بريطانيا؟", "date"),  # Egyptian/Levantine "when"
        ("إمتى بدأت العلاقات؟", "date"),
        ("وقتيش زار جون هيلي قطر؟", "date"),  # Levantine
        ("قديش عدد العساكر الامريكان في قطر؟", "count"),  # Levantine "how many"
        ("كام جندي أمريكي في قطر؟", "count"),  # Egyptian
        ("شقد عدد الجنود؟", "count"),  # Iraqi
        ("منين تخرج الشيخ تميم؟", "place"),  # "from where"
        ("لوين بيروحوا الطلاب؟", "place"),  # "to where"
        ("فين القاعدة؟", "place"),
        ("شو اسم قائد القاعدة؟", "person"),  # شو/ايش اسم + a role asks for a person
        ("ايش اسم وزير الدفاع؟", "person"),
        ("قديش كلفت قاعدة العديد؟", "measure"),  # a cost, whatever the question word
        ("ليش قطر مهمة لأمريكا؟", None),  # why: no kind, the score decides
        ("شو اسم القاعدة؟", None),  # the name of a thing, not of a person
    ],
)
def test_dialect_question_words_give_the_kind(question, kind):
    assert question_focus(question).kind == kind


def test_dialect_question_words_are_not_topic_words():
    assert question_focus("امتى قطر استقلت عن بريطانيا؟").about == ("قطر", "استقلت", "بريطانيا")
    about = question_focus("كام جندي أمريكي موجودين في قطر؟").about
    assert "كام" not in about and "موجودين" not in about


def test_how_long_it_has_been_is_a_duration():
    f = question_focus("قديش صار لبريطانيا وقطر شغالين على شراكتهم الدفاعية؟")
    assert (f.kind, f.unit) == ("date", "duration")


def test_the_counted_noun_after_a_dialect_how_many():
    assert question_focus("كام جندي أمريكي في قطر؟").counted == "جندي"
    assert question_focus("قديش عدد العساكر في قطر؟").counted == "العساكر"


# --- spelling variants of the topic words ------------------------------------------------


def test_forces_are_the_troops_counted():
    # "the number of US troops" answers "how many US forces / كم عدد القوات"
    for q in ("كم عدد القوات الأمريكية المتمركزة في قطر؟", "How many US forces are in Qatar?"):
        assert check_focus(question_focus(q), TROOPS_AR, TROOPS).ok, q
    # … but a number of something else is still not a number of forces
    assert not check_focus(question_focus("How many US forces are in Qatar?"), "", BASE).ok


def test_based_and_stationed_and_graduate_forms():
    f = question_focus("How many American soldiers are based in Qatar?")
    assert check_focus(f, "", TROOPS).ok
    assert "متخرج" not in check_focus(question_focus("الطلاب متخرج من وين؟"), "", GRADUATES).missing


# --- the choice of the answer passage -----------------------------------------------------


def test_a_passage_offering_the_focus_just_below_the_best_is_moved_first():
    focus = question_focus("How many American soldiers are based in Qatar?")
    hits = [hit(3, GULF_WAR, 1.55), hit(7, TROOPS, 1.54), hit(5, BASE, 1.53)]
    choice = choose(focus, hits)
    assert ids(choice.hits) == [7, 3, 5]
    assert choice.moved_from == 2


def test_the_ranking_is_kept_when_the_best_passage_offers_the_focus():
    focus = question_focus("How many US troops are stationed in Qatar?")
    hits = [hit(7, TROOPS, 1.6), hit(3, GULF_WAR, 1.59)]
    assert choose(focus, hits).hits == hits and choose(focus, hits).moved_from == 1


def test_a_question_of_no_kind_keeps_the_ranking():
    focus = question_focus("What role does Al Udeid play?")
    hits = [hit(3, GULF_WAR, 1.6), hit(7, TROOPS, 1.59)]
    assert choose(focus, hits).moved_from == 1


def test_nothing_moves_beyond_the_margin_or_the_depth():
    focus = question_focus("How many American soldiers are based in Qatar?")
    far = [hit(3, GULF_WAR, 1.6), hit(7, TROOPS, 1.6 - MARGIN - 0.01)]
    assert choose(focus, far).moved_from == 1
    deep = [hit(i, GULF_WAR, 1.6) for i in range(DEPTH)] + [hit(7, TROOPS, 1.6)]
    assert choose(focus, deep).moved_from == 1


def test_a_near_miss_moves_nothing():
    # the article gives no number of British troops: no passage offers that focus
    focus = question_focus("How many British troops are stationed in Qatar?")
    hits = [hit(3, GULF_WAR, 1.6), hit(7, TROOPS, 1.59), hit(5, BASE, 1.58)]
    assert choose(focus, hits).moved_from == 1


# --- people named by family name ----------------------------------------------------------

FULL_AR = "دعا الملك أمير قطر الشيخ تميم بن حمد آل ثاني في زيارة دولة."
FULL_EN = "The King invited the Emir of Qatar, Sheikh Tamim bin Hamad Al Thani, on a state visit."
FAMILY_AR = "وينتسب الطلاب القطريون كل عام إلى ساندهرست، علما أن آل ثاني نفسه من خريجيها."


def test_full_names_give_the_family_alias():
    (alias,) = aliases([(FULL_AR, FULL_EN), ("نص", "Another sentence.")])
    assert alias.given == {"تميم", "tamim"}
    assert alias.family == ("ال ثاني", "al thani")


def test_a_family_shared_by_two_people_is_no_alias():
    other = (
        "زار الشيخ جاسم بن حمد آل ثاني لندن.",
        "Sheikh Jassim bin Hamad Al Thani visited London.",
    )
    assert aliases([(FULL_AR, FULL_EN), other]) == ()


def test_the_given_name_and_title_are_present_where_the_family_is_named():
    focus = question_focus("الشيخ تميم متخرج من وين؟")
    assert not check_focus(focus, FAMILY_AR, GRADUATES).ok  # "Sheikh Tamim" is not in it
    found = check_focus(focus, FAMILY_AR, GRADUATES, aliases([(FULL_AR, FULL_EN)]))
    assert found.ok, found
    # the father's name is no alias: "Hamad" alone is someone else
    hamad = check_focus(
        question_focus("Where did Hamad graduate?"), "", GRADUATES, aliases([(FULL_AR, FULL_EN)])
    )
    assert hamad.missing == ("hamad",)


def test_a_passage_within_the_margin_naming_the_family_is_chosen():
    focus = question_focus("Where did Sheikh Tamim graduate from?")
    hits = [hit(12, FULL_EN, 1.41), hit(18, GRADUATES, 1.41 - MARGIN + 0.01)]
    assert choose(focus, hits).moved_from == 1  # without the aliases: "Tamim" is not in it
    assert choose(focus, hits, aliases=aliases([(FULL_AR, FULL_EN)])).moved_from == 2


# --- the service ----------------------------------------------------------------------------


def test_the_service_reads_the_aliases_and_keeps_the_focus_weight(
    tmp_path, corpus_copy, fake_embedder
):
    from conftest import make_settings

    from bot.answerability import Rule, save_rule
    from bot.service import Sanad, calibration_path

    settings = make_settings(tmp_path, corpus_copy)
    sanad = Sanad.open(settings, fake_embedder)
    assert [a.given for a in sanad._state[2]] == [{"تميم", "tamim"}]
    # an overridden threshold replaces the threshold only, not the focus weight
    rule = Rule(0.04, 0.05, 1.09, 0.16)
    save_rule(fake_embedder.model_id, rule, {}, calibration_path(settings))
    assert sanad.rule == rule
    sanad.settings = settings.model_copy(update={"abstain_threshold": 0.5})
    assert sanad.rule == Rule(0.04, 0.05, 0.5, 0.16)
    # top_k=1 still chooses among the first DEPTH passages
    answer = sanad.ask("How many American soldiers are based in Qatar?", top_k=1)
    assert len(answer.citations) == 1


# --- title phrases, one event for studying, Arabic names of English ones ----------------------


def test_the_title_phrase_before_a_full_name_is_read_in_both_scripts():
    (alias,) = aliases([(FULL_AR, FULL_EN)])
    assert set(alias.titles) == {("امير", "قطر"), ("emir", "of", "qatar")}
    # a title phrase the corpus gives to two people says nothing about either
    other = (
        "أمير قطر الشيخ حمد بن خليفة آل جاسم.",
        "The Emir of Qatar, Sheikh Hamad bin Khalifa Al Jassim.",
    )
    assert all(a.titles == () for a in aliases([(FULL_AR, FULL_EN), other]))


def test_a_question_naming_the_title_finds_the_person_and_the_reverse():
    aka = aliases([(FULL_AR, FULL_EN)])
    focus = question_focus("من أين تخرج أمير قطر؟")
    assert check_focus(focus, FAMILY_AR, GRADUATES).missing == ("امير",)
    assert check_focus(focus, FAMILY_AR, GRADUATES, aka).ok
    # the office must be asked: "قطر" alone does not name the Emir
    forces = question_focus("Where did Qatar's forces graduate?")
    assert "qatar" in check_focus(forces, "", "Al Thani is a graduate of Sandhurst.", aka).missing
    # the passage gives the title, the question the name
    visit = "In December he held talks with the Emir of Qatar at Sandhurst."
    who = question_focus("Where did John meet Sheikh Tamim?")
    assert set(check_focus(who, "", visit).missing) >= {"sheikh", "tamim"}
    assert "tamim" not in check_focus(who, "", visit, aka).missing


def test_studying_enrolling_and_graduating_are_one_event():
    aka = aliases([(FULL_AR, FULL_EN)])
    for q in ("Where did Sheikh Tamim study?", "أين درس الشيخ تميم؟", "Where did the Emir enrol?"):
        assert check_focus(question_focus(q), FAMILY_AR, GRADUATES, aka).ok, q
    # training is not studying: no such equivalence
    train = check_focus(question_focus("Where did Sheikh Tamim train?"), FAMILY_AR, GRADUATES, aka)
    assert train.missing == ("train",)


def test_locative_verbs_are_question_words():
    assert question_focus("أين تقع قاعدة العديد الجوية؟").about == ("قاعده", "العديد", "الجويه")
    assert "located" not in question_focus("Where is Al Udeid Air Base located?").about


def test_an_arabic_question_names_the_english_name_of_the_passage():
    squadron = (
        "The joint Typhoon squadron is a unique operational unit run jointly by British and "
        "Qatari forces."
    )
    # "Typhoon" is the question's own «تايفون»: the passage names no other place
    miss = check_focus(question_focus("في أي مدينة يقع مقر سرب تايفون المشترك؟"), "", squadron)
    assert miss.reason == "no place"
    # the Middle East, the United States: not the question's, and places, but no city
    where = check_focus(question_focus("أين تقع قاعدة العديد؟"), "", BASE)
    assert where.reason != "no place"
    city = check_focus(question_focus("في أي مدينة تقع قاعدة العديد؟"), "", BASE)
    assert city.reason == "no place"
    near = question_focus("Which city is Al Udeid Air Base near?")
    assert check_focus(near, "", BASE).reason == "no place"


def test_the_base_of_the_next_sentence_is_the_one_the_previous_names():
    from bot.names import antecedents

    hub = "The base serves as a main operational hub for US Central Command."
    passages = [
        Passage("d:5", "d", 5, 0, 1, "نص", None, BASE),
        Passage("d:6", "d", 6, 1, 2, "نص", None, hub),
        Passage("d:7", "d", 7, 2, 3, "نص", None, "The two sides met."),  # no "Sides" named
        Passage("e:1", "e", 1, 0, 1, "The base is new.", None, None),  # no previous sentence
    ]
    assert antecedents(passages) == {"d:6": "Al Udeid Air Base"}
    where = question_focus("Where is US Central Command's operational hub?")
    assert check_focus(where, "", hub).reason == "no place"
    assert check_focus(where, "", hub, antecedent="Al Udeid Air Base").ok
    # and it is moved first when a passage above it offers no place
    hits = [hit(6, hub, 1.2), hit(7, "The two sides met.", 1.25)]
    hits = [hits[1], hits[0]]
    chosen = choose(where, hits, antecedents={"doc:6": "Al Udeid Air Base"})
    assert chosen.moved_from == 2
    # a base's name is no person: "the commander of Al Udeid" is not US Central Command
    who = question_focus("What is the name of the commander of Al Udeid Air Base?")
    assert check_focus(who, "", hub, antecedent="Al Udeid Air Base").reason == "no person"
