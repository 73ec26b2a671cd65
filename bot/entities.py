"""Named entities Sanad can compare across Arabic and English: people, places, organisations.

Each entity has one id, one type and its spellings in both scripts, so "President Biden",
"بايدن" and "Joe Biden" are the same value and "Trump" in the slot where the article names
Biden is a *different* value of the same type (a person swap). The list holds the seed
article's entities and the alternatives a false claim is likely to put in their place
(other presidents, academies, bases, countries); English capitalised names outside the list
are still found by claims.py, as names of unknown type.

English spellings are matched case-sensitively on the original text ("US" is a country,
"us" a pronoun); Arabic spellings on the folded text (normalize.py's spelling: ا for أ/إ/آ,
ه for ة, ي for ى), after an optional clitic (و ف ب ك ل) and article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: Entity types; a swap is a claim entity absent from the passage where the passage names
#: another entity of the same type.
TYPES = (
    "person",
    "country",
    "region",
    "city",
    "academy",
    "base",
    "organisation",
    "aircraft",
    "event",
)


@dataclass(frozen=True)
class Entity:
    """One named thing and its spellings."""

    id: str
    type: str
    en: tuple[str, ...]  # regular expressions over the original text, case-sensitive
    ar: tuple[str, ...]  # regular expressions over the folded text (no article: added)


def _top_level(alternation: str) -> tuple[str, ...]:
    """Split a regular expression at the ``|`` outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in alternation:
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return tuple(p for p in [*parts, cur] if p)


def _e(id_: str, type_: str, en: str, ar: str) -> Entity:
    return Entity(id_, type_, _top_level(en), _top_level(ar))


ENTITIES: tuple[Entity, ...] = (
    # people
    _e("biden", "person", r"(?:Joe )?Biden", r"(?:جو )?بايدن"),
    _e("trump", "person", r"(?:Donald )?Trump", r"(?:دونالد )?ترامب"),
    _e("obama", "person", r"(?:Barack )?Obama", r"(?:باراك )?اوباما"),
    _e("bush", "person", r"(?:George (?:W\. )?)?Bush", r"(?:جورج )?بوش"),
    _e("clinton", "person", r"(?:Bill |Hillary )?Clinton", r"(?:بيل |هيلاري )?كلينتون"),
    _e(
        "charles",
        "person",
        r"(?:King )?Charles(?: III)?",
        r"ملك تشارلز(?: (?:ال)?ثالث)?|تشارلز(?: (?:ال)?ثالث)?",
    ),
    _e("elizabeth", "person", r"(?:Queen )?Elizabeth(?: II)?", r"(?:ملكه )?اليزابيث(?: الثانيه)?"),
    _e("william", "person", r"Prince William", r"(?:امير )?ويليام"),
    _e(
        "tamim",
        "person",
        r"(?:Sheikh )?Tamim(?: bin Hamad)?(?: Al[ -]Thani)?|Al[ -]Thani|Emir of Qatar|"
        r"Qatar's Emir|Qatari Emir",
        r"(?:شيخ )?تميم(?: بن حمد)?(?: ال ثاني)?|ال ثاني|امير (?:دوله )?قطر",
    ),
    _e(
        "hamad",
        "person",
        r"(?:Sheikh )?Hamad bin Khalifa(?: Al[ -]Thani)?",
        r"(?:شيخ )?حمد بن خليفه(?: ال ثاني)?",
    ),
    _e("healey", "person", r"(?:John )?Healey", r"(?:جون )?هيلي"),
    _e("wallace", "person", r"(?:Ben )?Wallace", r"(?:بن )?والاس"),
    _e("shapps", "person", r"(?:Grant )?Shapps", r"(?:غرانت )?شابس"),
    _e("austin", "person", r"(?:Lloyd )?Austin", r"(?:لويد )?اوستن"),
    _e("hegseth", "person", r"(?:Pete )?Hegseth", r"(?:بيت )?هيغسيث"),
    _e("blinken", "person", r"(?:Antony )?Blinken", r"(?:انتوني )?بلينكن"),
    _e("starmer", "person", r"(?:Keir )?Starmer", r"(?:كير )?ستارمر"),
    _e("sunak", "person", r"(?:Rishi )?Sunak", r"(?:ريشي )?سوناك"),
    # countries (and their adjectives; the capital stands for the country in this register)
    _e(
        "us",
        "country",
        r"United States(?: of America)?|U\.S\.A?\.?|USA|US|America|Americans?|"
        r"Washington",
        r"ولايات (?:ال)?متحده(?: (?:ال)?امريكيه)?|امريك\w*|اميرك\w*|واشنطن",
    ),
    _e(
        "uk",
        "country",
        r"United Kingdom|U\.K\.|UK|Britain|British|England|English|London",
        r"مملكه (?:ال)?متحده|بريطاني\w*|لندن|انجلتر\w*|انكلتر\w*",
    ),
    _e("qatar", "country", r"Qatar(?:is?)?|Doha", r"قطر\w{0,3}|دوحه"),
    _e("kuwait", "country", r"Kuwait(?:is?)?", r"كويت\w*"),
    _e("iraq", "country", r"Iraq(?:is?)?", r"عراق\w*"),
    _e("iran", "country", r"Iran(?:ians?)?", r"ايران\w*"),
    _e(
        "saudi",
        "country",
        r"Saudi Arabia|Saudis?|Riyadh",
        r"سعودي\w*|مملكه (?:ال)?عربيه (?:ال)?سعوديه|رياض",
    ),
    _e(
        "uae",
        "country",
        r"United Arab Emirates|UAE|Emirati|Abu Dhabi",
        r"امارات\w*|اماراتي\w*|ابوظبي|ابو ظبي",
    ),
    _e("bahrain", "country", r"Bahrain(?:is?)?", r"بحرين\w*"),
    _e("oman", "country", r"Oman(?:is?)?", r"عمان"),
    _e("egypt", "country", r"Egypt(?:ians?)?", r"مصر|مصري\w*"),
    _e("jordan", "country", r"Jordan(?:ians?)?", r"اردن\w*"),
    _e("turkey", "country", r"Turkey|Turkish|Türkiye|Ankara", r"تركي\w*|انقره"),
    _e("france", "country", r"France|French|Paris", r"فرنس\w*|باريس"),
    _e("germany", "country", r"Germany|German", r"المانيا|الماني\w*"),
    _e("italy", "country", r"Italy|Italian", r"ايطالي\w*"),
    _e("russia", "country", r"Russia(?:ns?)?|Moscow", r"روسي\w*|موسكو"),
    _e("china", "country", r"China|Chinese|Beijing", r"صين\w*|بكين"),
    _e("japan", "country", r"Japan(?:ese)?", r"يابان\w*"),
    _e("canada", "country", r"Canada|Canadian", r"كند\w*"),
    _e("australia", "country", r"Australia(?:ns?)?", r"استرالي\w*"),
    _e("india", "country", r"India(?:ns?)?", r"هند|هندي\w*"),
    _e("pakistan", "country", r"Pakistan(?:is?)?", r"باكستان\w*"),
    _e("israel", "country", r"Israel(?:is?)?", r"اسرائيل\w*"),
    _e("syria", "country", r"Syria(?:ns?)?", r"سوري\w*"),
    _e("afghanistan", "country", r"Afghanistan|Afghans?", r"افغان\w*"),
    # regions
    _e("gulf", "region", r"(?:Persian |Arabian )?Gulf", r"خليج(?: (?:ال)?عربي| (?:ال)?فارسي)?"),
    _e("middle_east", "region", r"Middle East", r"شرق (?:ال)?اوسط"),
    _e("europe", "region", r"Europe(?:an)?", r"اوروب\w*|اوروبا"),
    _e("asia", "region", r"Asia|Asian", r"اسيا"),
    _e("africa", "region", r"(?:North )?Africa(?:n)?", r"افريقي\w*|افريقيا"),
    _e("red_sea", "region", r"Red Sea", r"بحر (?:ال)?احمر"),
    _e("levant", "region", r"Levant", r"شام"),
    # academies
    _e(
        "sandhurst",
        "academy",
        r"(?:Royal Military Academy )?Sandhurst",
        r"(?:ال)?اكاديميه (?:ال)?عسكريه (?:ال)?ملكيه ساندهرست|ساندهرست",
    ),
    _e(
        "west_point",
        "academy",
        r"West Point|United States Military Academy",
        r"ويست بوينت|وست بوينت",
    ),
    _e("saint_cyr", "academy", r"Saint[- ]Cyr|St[.-] ?Cyr", r"سان سير"),
    _e("cranwell", "academy", r"(?:RAF )?Cranwell", r"كرانويل"),
    _e("dartmouth", "academy", r"(?:Britannia Royal Naval College )?Dartmouth", r"دارتموث"),
    _e("annapolis", "academy", r"Annapolis|(?:US |United States )?Naval Academy", r"انابوليس"),
    # bases
    _e("al_udeid", "base", r"Al[ -]Udeid(?: Air Base)?|Udeid", r"عديد"),
    _e("incirlik", "base", r"Incirlik(?: Air Base)?", r"انجرليك|انجيرليك"),
    _e("al_dhafra", "base", r"Al[ -]Dhafra(?: Air Base)?", r"ظفره"),
    _e("ramstein", "base", r"Ramstein(?: Air Base)?", r"رامشتاين"),
    _e("as_sayliyah", "base", r"(?:Camp )?As[ -]Sayliyah", r"سيليه"),
    _e("diego_garcia", "base", r"Diego Garcia", r"دييغو غارسيا"),
    # organisations
    _e(
        "nato",
        "organisation",
        r"NATO|North Atlantic Treaty Organi[sz]ation",
        r"(?:حلف )?شمال (?:ال)?اطلسي|حلف (?:ال)?اطلسي|ناتو",  # not the Atlantic Ocean
    ),
    _e(
        "centcom",
        "organisation",
        r"(?:US |U\.S\. )?Central Command|CENTCOM",
        r"قياده (?:ال)?مركزيه(?: (?:ال)?امريكيه| (?:ال)?اميركيه)?",
    ),
    _e("africom", "organisation", r"Africa Command|AFRICOM", r"قياده (?:ال)?افريقيه"),
    _e(
        "state_department",
        "organisation",
        r"(?:US |U\.S\. )?State Department|Department of State",
        r"وزاره (?:ال)?خارجيه(?: (?:ال)?امريكيه| (?:ال)?اميركيه)?",
    ),
    _e(
        "pentagon",
        "organisation",
        r"Pentagon|Department of Defen[cs]e|Defen[cs]e Department",
        r"بنتاغون|بنتاجون|وزاره (?:ال)?دفاع (?:ال)?امريكيه|وزاره (?:ال)?دفاع (?:ال)?اميركيه",
    ),
    _e("un", "organisation", r"United Nations|UN|U\.N\.", r"امم (?:ال)?متحده"),
    _e("eu", "organisation", r"European Union|EU", r"اتحاد (?:ال)?اوروبي"),
    _e(
        "gcc",
        "organisation",
        r"Gulf Cooperation Council|GCC",
        r"مجلس (?:ال)?تعاون(?: (?:ال)?خليجي)?",
    ),
    _e("arab_league", "organisation", r"Arab League", r"جامعه (?:ال)?دول (?:ال)?عربيه"),
    _e("fifth_fleet", "organisation", r"Fifth Fleet|5th Fleet", r"اسطول (?:ال)?خامس"),
    _e("raf", "organisation", r"Royal Air Force|RAF", r"سلاح (?:ال)?جو (?:ال)?ملكي"),
    _e("fifa", "organisation", r"FIFA", r"فيفا"),
    # aircraft
    _e("typhoon", "aircraft", r"(?:Eurofighter )?Typhoons?", r"تايفون|يوروفايتر"),
    _e("hawk", "aircraft", r"Hawks?", r"هوك"),
    _e("f35", "aircraft", r"F-?35s?", r"اف ?-? ?35"),
    _e("f15", "aircraft", r"F-?15(?:QA|EX)?s?", r"اف ?-? ?15"),
    _e("f16", "aircraft", r"F-?16s?", r"اف ?-? ?16"),
    _e("rafale", "aircraft", r"Rafales?", r"رافال"),
    _e("tornado", "aircraft", r"Tornados?", r"تورنادو"),
    _e("apache", "aircraft", r"Apaches?", r"اباتشي"),
    # events
    _e(
        "gulf_war",
        "event",
        r"(?:First |1991 )?Gulf War",
        r"حرب (?:ال)?خليج(?: (?:ال)?ثانيه| (?:ال)?اولى)?",
    ),
    _e("iraq_war", "event", r"Iraq War", r"حرب (?:ال)?عراق"),
    _e("world_cup", "event", r"(?:FIFA )?World Cup", r"كاس (?:ال)?عالم"),
)

BY_ID = {e.id: e for e in ENTITIES}

#: The capitals above that stand for their country ("Doha" is Qatar): only a claim's verifier
#: reads them as places of their own, where a claim puts something *in* the city and the
#: passage puts it at another place (English on the original text, Arabic on the folded one).
CAPITALS = re.compile(
    r"(?<!\w)(?:Washington|London|Doha|Riyadh|Abu Dhabi|Ankara|Paris|Moscow|Beijing|"
    r"واشنطن|لندن|دوحه|رياض|ابو ?ظبي|انقره|باريس|موسكو|بكين)(?!\w)"
)

#: Clitics and article that may precede an Arabic name (folded spelling).
_AR_PREFIX = r"(?:[وفبك]?(?:ال|لل|ل)?|[وفبك])?"


@lru_cache(maxsize=1)
def patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """One compiled pattern per spelling, with its entity id. English patterns match the
    original text; Arabic ones (group 1 = the name without clitic) the folded text."""
    out = []
    for e in ENTITIES:
        out += [(e.id, re.compile(f"(?<!\\w)({s})(?!\\w)"), "en") for s in e.en]
        out += [(e.id, re.compile(f"(?<!\\w){_AR_PREFIX}({s})(?!\\w)"), "ar") for s in e.ar]
    return tuple(out)
