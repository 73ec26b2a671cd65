"""The focus check's word tables: question words, and one thing or event in different words.

Data only, read by bot/focus.py (the topic words of a question) and bot/answerability.py
(``coverage``: a word the corpus says otherwise is not a word it never uses). Every group of
:data:`VARIANTS` is justified where it is written; docs/quality.md lists them.
"""

from __future__ import annotations

from .normalize import normalize

# Question words and each kind's own words: they say what is asked, not about what.
ASKING = frozenset(
    normalize(w)
    for w in """
what which who whom whose when where why how many much is are was were be been do does did
the a an of in on at to for from by with about and or so but its it this that there their
his her he she they them one year month date name number tall high long far big large old
height length area square cost costs price pay paid spend spent budget worth percentage
percent proportion population age city country town place exactly currently current
gain gained get got have has had make made take took since
go goes went located situated lie lies
ما ماذا من متي اين وين فين كيف كم كام بكم هل اي ايش شو مين منو عدد اسم تاريخ عام سنه شهر
هو هي هم في على الي الى عن مع منذ التي الذي الذين ذلك هذا هذه هناك به بها له لها كان كانت
ارتفاع طول مساحه تكلفه تكلفت كلفت قيمه ميزانيه نسبه عمر سكان تعداد مدينه بلد دوله مكان تبلغ يبلغ
حاليا الحالي اللي الي ايه
امتي امتا ايمتي ايمتا وقتاش وقتيش قديش اديش شقد منين لوين ليش ليه لماذا شلون ازاي وش صار
موجود موجوده موجودين موجودون تقع يقع توجد يوجد رقم
صارت صاروا صاير صايره بقت بقي برا بره
""".split()
)

# Names the article spells one way and questions another: any member stands for its group.
VARIANTS = tuple(
    frozenset(normalize(w) for w in g.split())
    for g in (
        "britain british uk kingdom england english بريطانيا بريطاني البريطاني البريطانيه "
        "انجلترا الانجليز انجليز البريطانيين المملكه لندن london",
        "america american americans us usa امريكا اميركا امريكي اميركي الامريكي الاميركي "
        "الامريكيه الاميركيه الامريكيين الاميركيين الامريكان امريكان الامريكاني واشنطن washington "
        "الولايات",
        # troops are the forces counted: "the number of US forces" is the number of troops
        "soldiers soldier troops forces جنود الجنود جندي العساكر عساكر قوات القوات",
        # One event, studying at a school, in its three stages and both languages: enrolling,
        # studying, graduating (تخرج، متخرج، خريج، درس، ينتسب). Where someone studied is where
        # they enrolled and graduated; nothing else in a text says "studied at".
        "graduate graduates graduated graduating study studies studied studying "
        "enrol enrols enrolled enrolling enroll enrolls enrollment enrolment "
        "تخرج تخرجه تخرجت متخرج المتخرج خريج خريجي خريجين خريجيها "
        "درس يدرس تدرس يدرسون يدرسوا درسوا دراسه الدراسه ينتسب ينتسبون انتسب",
        # The article's own translation gives العلاقات as "relations" and as "ties".
        "relations relationship relationships ties علاقات العلاقات علاقه العلاقه",
        # A dialect verb and its standard one: شغّال (Levantine/Gulf/Egyptian "working").
        "work works worked working شغال شغالين شغاله يشتغل يشتغلوا اشتغل عمل عملت يعمل يعملون",
        "based stationed deployed متمركز المتمركز متمركزين المتمركزين متمركزه المتمركزه المتمركزون",
        "qatar qatari قطر قطري القطري القطريه القطريين القطريون الدوحه doha",
        # The article says حلف شمال الأطلسي, its translation NATO; questions say الناتو.
        "nato الناتو ناتو الاطلسي",
        # English verbs whose past tense no stemmer joins to the present
        "hold holds held",
        "run runs ran",
        "begin begins began begun",
        "buy buys bought",
        "become becomes became",
        "lead leads led",
        "meet meets met",
        "give gives gave given",
    )
)
