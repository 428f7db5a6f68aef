""""Did you mean": a corrected query when the reader's has few or no results.

Each query word the index barely knows is replaced by its best candidate at edit distance one
(:func:`searchapp.suggest.correct_word`), shown in the corpus's own spelling; the correction is
offered only if the corrected query finds more.

Bounded per request, since a query may hold 64 junk words of up to 1000 letters: at most
``MAX_CORRECTED_WORDS`` words are tried and at most ``MAX_LOOKUPS`` candidates looked up in
all (~35 us each: a stem and two index lookups, so ~0.1 s at worst). Candidates are stemmed
without the stemmer's memo cache: they are throwaway strings, not vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import ParsedQuery
from searchapp.suggest import MAX_CANDIDATES, correct_word, strip_marks

RARE_WORD_DF = 3  # a query word in fewer documents than this may be misspelled
MAX_CORRECTED_WORDS = 4  # rare words of one query given candidates (the first ones)
MAX_LOOKUPS = 3 * MAX_CANDIDATES  # candidate lookups per query, all words together
MAX_FORM_DOCS = 3  # documents read to find how the corpus writes a corrected word


def should_autocorrect(found: int, corrected: int) -> bool:
    return corrected >= max(1, 10 * found)


def did_you_mean(q: str, parsed: ParsedQuery, searcher, display: dict[str, str], total: int,
                 count: Callable[[str], int]) -> str | None:
    """The corrected query, or None. ``count(query)`` gives a query's result count."""
    reader = searcher.reader()
    stem = arabic.light_stem.uncached  # type: ignore[attr-defined]
    lookups = 0

    def df(term: str) -> int:
        nonlocal lookups
        lookups += 1
        # Titles index exact forms; the body only stems (see schema.py).
        return reader.doc_frequency("title", term) + reader.doc_frequency("body", stem(term))

    corrected, changed, tried = q, False, 0
    for c in parsed.clauses:
        if c.negated or c.kind != "word":
            continue
        if tried >= MAX_CORRECTED_WORDS or lookups >= MAX_LOOKUPS:
            break
        norm = arabic.normalize(c.text)
        if len(norm) < 3 or arabic.is_stop_word(norm):
            continue
        known = df(norm)
        if known >= RARE_WORD_DF:
            continue
        tried += 1
        fix = correct_word(norm, df, MAX_LOOKUPS - lookups)
        if fix is None or fix[1] < max(2, 3 * known):
            continue
        shown = " ".join(display.get(w) or written_form(searcher, w) for w in fix[0].split())
        corrected, changed = corrected.replace(c.text, shown, 1), True
    if not changed:
        return None
    return corrected if count(corrected) > total else None


def written_form(searcher, term: str) -> str:
    """How the corpus writes normalized ``term`` (ة not ه, hamza as written), read from the
    first few documents that hold it (any will do: no need to rank them)."""
    reader = searcher.reader()
    for field, t in (("title", term), ("body", arabic.light_stem(term))):
        if (field, t) not in reader:
            continue
        m = reader.postings(field, t)
        for _ in range(MAX_FORM_DOCS):
            if not m.is_active():
                break
            if not reader.is_deleted(m.id()):
                doc = json.loads(reader.stored_fields(m.id()).get("doc", "{}"))
                text = "\n".join([doc.get("title", ""), *doc.get("paragraphs", [])])
                for surface, _, s, e in tokens_with_offsets(text):
                    if surface == term:
                        return strip_marks(text[s:e])
            m.next()
    return term
