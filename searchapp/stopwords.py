"""Arabic stop words, written in ordinary spelling (with hamza, ة, ى).

Why a stop list at all: natural-language questions (``ما هو ...``, ``من الذي ...``) are full of
function words that occur in almost every document; for *ranking* they only add noise.  The
analyzer still indexes them (phrase queries keep working); ranking code asks ``is_stop_word``.

Source and scope: the categories follow the Arabic stop list shipped with Lucene's
``ArabicAnalyzer`` (J. Savoy's list, the one Elasticsearch's ``arabic`` analyzer uses) and the
function-word classes of Larkey, Ballesteros & Connell, "Light Stemming for Arabic Information
Retrieval" (2007): prepositions, pronouns, demonstratives, relative pronouns, question words,
conjunctions, particles (قد لقد لم لن إن أن ...), كان and its sisters, and the most frequent
clitic-attached forms of these (وفي، ولا، فإن ...).  No content words (قال، أكد، عام ...): a
stop word is dropped from the score, so a content word here would silently hurt ranking.

``searchapp.arabic`` normalizes this list with ``normalize()`` at import time, so it can be
written readably here and still match normalized tokens (e.g. إلى and على become الي and علي;
note that علي is also the name Ali, an accepted loss for question ranking only).
"""

from __future__ import annotations

RAW_STOP_WORDS: tuple[str, ...] = (
    # prepositions and prepositional adverbs
    "في", "من", "إلى", "على", "عن", "مع", "حتى", "منذ", "مذ", "لدى", "لدي", "عند", "نحو",
    "بين", "خلال", "حول", "دون", "ضد", "عبر", "تحت", "فوق", "أمام", "خلف", "وراء", "قبل",
    "بعد", "لدن", "إزاء", "حيال", "عدا", "سوى", "غير", "مثل", "لأجل", "ضمن",
    # preposition + pronoun
    "به", "بها", "بهم", "بهما", "بهن", "له", "لها", "لهم", "لهما", "لهن", "لنا", "لك", "لكم",
    "لي", "فيه", "فيها", "فيهم", "فيهما", "منه", "منها", "منهم", "منهما", "عنه", "عنها",
    "عنهم", "عليه", "عليها", "عليهم", "إليه", "إليها", "إليهم", "معه", "معها", "معهم",
    "لديه", "لديها", "لديهم", "عنده", "عندها", "عندهم", "بينهم", "بينهما",
    # personal pronouns
    "أنا", "نحن", "أنت", "أنتم", "أنتما", "أنتن", "هو", "هي", "هما", "هم", "هن",
    "إياه", "إياها", "إياهم", "إياك", "إيانا",
    # demonstratives
    "هذا", "هذه", "هذان", "هذين", "هاتان", "هاتين", "هؤلاء", "ذلك", "تلك", "ذاك", "أولئك",
    "هنا", "هناك", "هنالك", "ثمة",
    # relative pronouns
    "الذي", "التي", "الذين", "اللذان", "اللذين", "اللتان", "اللتين", "اللاتي", "اللواتي",
    "اللائي",
    # question words
    "ما", "ماذا", "من", "متى", "أين", "كيف", "هل", "لماذا", "لم", "كم", "أي", "أية", "أيان",
    "أنى", "مما", "عما", "فيم", "بم", "ممن",
    # conjunctions
    "و", "ف", "ثم", "أو", "أم", "بل", "لكن", "لكنه", "لكنها", "ولكن", "حيث", "إذ", "إذا",
    "إذن", "لما", "كي", "لكي", "حين", "حينما", "بينما", "كلما", "عندما", "لأن", "كأن",
    "كما", "إما", "أما", "لو", "لولا", "إلا", "ألا", "حيثما", "أينما", "مهما", "كيفما",
    # particles
    "قد", "لقد", "لم", "لن", "إن", "أن", "إنه", "إنها", "أنه", "أنها", "إنهم", "أنهم", "لا",
    "لات", "ليس", "ليست", "نعم", "بلى", "كلا", "سوف", "يا", "أيها", "أيتها", "هلا", "ألا",
    "إنما", "أنما", "إنّ", "أنّ", "لعل", "ليت", "كأنما", "فقط", "أيضا", "أيضاً",
    "جدا", "جداً", "عدة", "بعض", "كل", "كلها", "كله", "جميع", "نفس", "إحدى", "ذات",
    "ذو", "ذي", "ذا",
    # كان and its sisters (frequent verb forms)
    "كان", "كانت", "كانوا", "يكون", "تكون", "يكن", "تكن", "أصبح", "أصبحت", "صار", "ظل",
    "مازال", "ما زال", "لايزال", "لا يزال", "مادام", "بات", "أضحى", "أمسى",
    # frequent clitic-attached function words (Lucene/Savoy list style)
    "وفي", "ومن", "وعلى", "وإلى", "وعن", "ومع", "وهو", "وهي", "وهم", "وهذا", "وهذه", "وذلك",
    "والتي", "والذي", "والذين", "ولا", "ولم", "ولن", "وقد", "ولقد", "وإن", "وأن", "وكان",
    "وكانت", "وما", "وكل", "وبعد", "وقبل", "وبين", "وحتى", "وأو", "فإن", "فقد", "فلا", "فلم",
    "فهو", "فهي", "فما", "فمن", "فيما", "بما", "بأن", "بان", "لأنه", "لأنها", "كذلك", "لذلك",
    "بذلك", "لهذا", "بهذا", "بهذه", "لهذه", "وكذلك", "عليه", "إذاً", "أيّ",
)

#: Stems ``light_stem`` must produce and never cut further (see ``searchapp.arabic.PROTECTED``):
#: proper names and words whose letters look like affixes (بحرين would become بحر, قانون قان,
#: وزير زير), chosen among the most frequent mangled stems in SaudiNewsNet.  These are *stems*:
#: وطن protects الوطني, وطنية, الوطن alike.  Ordinary spelling; normalized at import.
PROTECTED_WORDS: tuple[str, ...] = (
    # names of places and people frequent in news
    "بريطانيا", "روسيا", "سوريا", "تركيا", "أمريكا", "إسبانيا", "إيطاليا", "ألمانيا", "فرنسا",
    "لبنان", "بحرين", "فلسطين", "يابان", "واشنطن", "بوتين", "فلاديمير", "حسين", "ياسين",
    "بنيامين", "ياسمين", "فيينا", "عبدالله", "الله", "اللهم",
    # numbers: tens are not their units
    "عشرين", "ثلاثين", "أربعين", "خمسين", "ستين", "سبعين", "ثمانين", "تسعين",
    "عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون",
    "اثنين", "ملايين",
    # stems that start with a radical و (the conjunction rule would cut it)
    "وزير", "وزراء", "وزار", "وكال", "ولاي", "وطن", "وحد", "وجود", "وصول", "وفا", "وفيات",
    "ورق", "واقع", "واجب", "والد", "وسائل", "وثيق", "وثائق", "وظيف", "وظائف", "وسيل", "وقود",
    "وقوع", "وليد", "وائل", "ولي", "والي", "وادي", "واحد", "وكيل", "وضع", "وقت", "وفد",
    "وسط", "وجه", "وزن", "وعد", "وفق", "وقف",
    # endings that look like suffixes
    "قانون", "تفاهم",
    # keep sport (رياضة, رياضي) apart from Riyadh (الرياض), the most frequent city in the corpus
    "رياضة", "رياضي",
)
