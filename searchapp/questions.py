"""Telling a reader's question from a headline lookup.

Readers type two kinds of queries: a few words of a headline they remember, and a whole
question (``متى بدأت معظم المشاريع الجديدة في دبي؟``). They want different rankings: the
headline lookup wants titles holding every word first, the question wants the passage that
answers it, whatever the titles around it say (see ``Ranking.question``). A query is a
question when it has a question mark, or when it starts with an interrogative (ما، ماذا، من،
متى، أين، كم، كيف، لماذا، هل، أي, with a glued ب/ل/و/ف, and the fused forms ماهو، ماهي) and has
at least ``MIN_WORDS`` words: a two-word query ``من نحن`` or ``كيف حالك`` is a lookup.
"""

from __future__ import annotations

import re

from searchapp import arabic

#: Words a question starts with, normalized (hamza and alef folded, as the analyzer does),
#: with common spellings (متي for متى, مادا for ماذا), fused forms (ماهو) and a glued
#: preposition or conjunction (بماذا, لمن, وكيف). Not لم or لكم: they start headlines
#: (لم يعد ..., لكم الكلمة) far more often than questions.
INTERROGATIVES: frozenset[str] = frozenset(arabic.normalize(w) for w in (
    "ما", "ماذا", "مادا", "من", "متى", "متي", "أين", "اين", "كم", "كيف", "لماذا", "لمادا",
    "هل", "أي", "اي", "ماهو", "ماهي", "ماهى", "ممن", "عمن", "عم",
    "بما", "بماذا", "بمادا", "بمن", "بكم", "بأي", "لمن", "لما", "لأي", "فيم", "إلام",
    *(c + w for c in ("و", "ف") for w in ("ما", "ماذا", "من", "متى", "أين", "كم", "كيف",
                                          "لماذا", "هل", "أي")),
))
#: Words a query needs to be a question without a question mark.
MIN_WORDS = 3
_MARK = re.compile(r"[؟?]")
_WORD = re.compile(r"[^\W\d_][\w\u064b-\u065f\u0670]*")


def is_question(text: str) -> bool:
    """Whether ``text`` reads as a natural-language question (see the module docstring)."""
    if _MARK.search(text):
        return True
    words = _WORD.findall(text)
    if len(words) < MIN_WORDS:
        return False
    return arabic.normalize(words[0]) in INTERROGATIVES
