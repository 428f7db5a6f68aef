""""Did you mean": a corrected query when the reader's has few or no results.

Each query word the index barely knows is replaced by its best candidate at edit distance one
(:func:`searchapp.suggest.correct_word`), shown in the corpus's own spelling; the correction is
offered only if the corrected query finds more.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from whoosh import query as wq

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import ParsedQuery
from searchapp.suggest import correct_word, strip_marks

RARE_WORD_DF = 3  # a query word in fewer documents than this may be misspelled


def did_you_mean(q: str, parsed: ParsedQuery, searcher, display: dict[str, str], total: int,
                 count: Callable[[str], int]) -> str | None:
    """The corrected query, or None. ``count(query)`` gives a query's result count."""
    reader = searcher.reader()

    def df(term: str) -> int:
        # Titles index exact forms; the body only stems (see schema.py).
        return reader.doc_frequency("title", term) + reader.doc_frequency(
            "body", arabic.light_stem(term))

    corrected, changed = q, False
    for c in parsed.clauses:
        if c.negated or c.kind != "word":
            continue
        norm = arabic.normalize(c.text)
        known = df(norm)
        if len(norm) < 3 or arabic.is_stop_word(norm) or known >= RARE_WORD_DF:
            continue
        fix = correct_word(norm, df)
        if fix is None or fix[1] < max(2, 3 * known):
            continue
        shown = " ".join(display.get(w) or written_form(searcher, w) for w in fix[0].split())
        corrected, changed = corrected.replace(c.text, shown, 1), True
    if not changed:
        return None
    return corrected if count(corrected) > total else None


def written_form(searcher, term: str) -> str:
    """How the corpus writes normalized ``term`` (ة not ه, hamza as written)."""
    q = wq.Or([wq.Term("title", term), wq.Term("body", arabic.light_stem(term))])
    for hit in searcher.search(q, limit=1):
        doc = json.loads(hit.get("doc", "{}"))
        text = "\n".join([doc.get("title", ""), *doc.get("paragraphs", [])])
        for surface, _, s, e in tokens_with_offsets(text):
            if surface == term:
                return strip_marks(text[s:e])
    return term
