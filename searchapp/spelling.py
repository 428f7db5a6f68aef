""""Did you mean": a corrected query when some of the reader's words are likely misspelt.

Each query word the index barely knows (in fewer than ``RARE_WORD_DF`` documents, by exact
form or stem) is replaced by its best candidate at edit distance one
(:func:`searchapp.suggest.correct_word`: Arabic-aware edit weights), shown in the corpus's own
spelling; every other word is kept as typed, so one slip among several words is corrected
(اسعار النفظ: اسعار النفط). Candidates are counted by their exact forms (title terms and the
body's exact forms), not by stem: بوتبن less its ب is وتبن, whose stem تبن is تبني's
(adoption), and a stem count made it beat بوتين. A word the index knows at all is replaced
only by a candidate ``KNOWN_WORD_RATIO`` times as frequent: a rare name spelt right must not
become a frequent word (false corrections are worse than none). The correction is offered only
if it finds more documents holding all its words than the reader's query does.

Bounded per request, since a query may hold 64 junk words of up to 1000 letters: at most
``MAX_CORRECTED_WORDS`` words are tried and at most ``MAX_LOOKUPS`` candidates looked up in
all (~35 us each: a stem and two index lookups, so ~0.1 s at worst). Candidates are stemmed
without the stemmer's memo cache: they are throwaway strings, not vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import ParsedQuery
from searchapp.schema import BODY_FORMS
from searchapp.suggest import MAX_CANDIDATES, corrections, strip_marks

RARE_WORD_DF = 3  # a query word in fewer documents than this may be misspelled
KNOWN_WORD_RATIO = 50  # a known word's correction must be in this many times more documents
MAX_CORRECTED_WORDS = 4  # rare words of one query given candidates (the first ones)
MAX_LOOKUPS = 3 * MAX_CANDIDATES  # candidate lookups per query, all words together
MAX_FORM_DOCS = 3  # documents read to find how the corpus writes a corrected word
#: ``autocorrect``: the correction is searched instead when the reader's query has no result
#: holding all its words, or the correction has this many times more.
AUTOCORRECT_RATIO = 20


def should_autocorrect(found: int, corrected: int) -> bool:
    """Whether to show the correction's results instead of the reader's (``found`` and
    ``corrected``: documents holding all the words of each). Only when the reader's words
    find nothing, or clearly less (``AUTOCORRECT_RATIO``): the page then says "results for
    X; search instead for Y", and a reader whose rare word was right loses one click."""
    return corrected > 0 and (found == 0 or corrected >= AUTOCORRECT_RATIO * found)


def _checked_words(parsed: ParsedQuery) -> list[tuple[int, str]]:
    """(clause index, normalized word) of the words :func:`did_you_mean` may correct."""
    out = []
    for i, c in enumerate(parsed.clauses):
        if c.negated or c.kind != "word":
            continue
        norm = arabic.normalize(c.text)
        if len(norm) >= 3 and not arabic.is_stop_word(norm):
            out.append((i, norm))
    return out


def known_lookups(parsed: ParsedQuery) -> list[tuple[str, str]]:
    """The (field, term) document frequencies :func:`did_you_mean` reads first, one pair per
    word it may correct. A sharded index collects them from its shards before running it:
    otherwise every word looks unknown in the first round and the candidates of every word
    (hundreds each) are asked of every shard, for words that turn out to be well known."""
    stem = arabic.light_stem.uncached  # type: ignore[attr-defined]
    return [pair for _, norm in _checked_words(parsed)
            for pair in (("title", norm), ("body", stem(norm)))]


def did_you_mean(q: str, parsed: ParsedQuery, searcher, display: dict[str, str], total: int,
                 count: Callable[[str], int], phrases: dict[str, int] | None = None,
                 written: Callable[[str], str] | None = None) -> str | None:
    """The corrected query, or None. ``total``: documents holding all the query's words;
    ``count(query)``: the same for another query; ``phrases``: titles per normalized title
    phrase (:class:`searchapp.suggest.Suggester`), to prefer the candidate that forms a
    headline phrase with a neighbouring query word (ولي العحد: ولي العهد, not ولي الأحد).
    ``written(term)``: how the corpus writes a normalized term (:func:`written_form`; a
    sharded index asks its shards; None: as normalized)."""
    reader = searcher.reader()
    stem = arabic.light_stem.uncached  # type: ignore[attr-defined]
    lookups = 0

    def known(term: str) -> int:  # any form: the title's exact form or the body's stem
        return reader.doc_frequency("title", term) + reader.doc_frequency("body", stem(term))

    def df(term: str) -> int:  # this very form: titles and the body's exact forms
        nonlocal lookups
        lookups += 1
        st = stem(term)
        body = (reader.doc_frequency("body", term) if st == term
                else reader.doc_frequency(BODY_FORMS, term))
        return reader.doc_frequency("title", term) + body

    corrected, changed, tried = q, False, 0
    plain = [arabic.normalize(c.text) if not c.negated and c.kind == "word" else ""
             for c in parsed.clauses]
    for i, norm in _checked_words(parsed):
        c = parsed.clauses[i]
        if tried >= MAX_CORRECTED_WORDS or lookups >= MAX_LOOKUPS:
            break
        lookups += 1
        seen = known(norm)
        if seen >= RARE_WORD_DF:
            continue
        tried += 1
        found = [(w, n) for w, _, n in corrections(norm, df, MAX_LOOKUPS - lookups,
                                                   known=seen > 0)
                 if n >= (KNOWN_WORD_RATIO * seen if seen else 2)]
        if not found:
            continue
        fix = _in_context(found, plain[i - 1] if i else "",
                          plain[i + 1] if i + 1 < len(plain) else "", phrases or {})
        shown = " ".join(display.get(w) or (written(w) if written else w)
                         for w in fix.split())
        corrected, changed = corrected.replace(c.text, shown, 1), True
    if not changed:
        return None
    return corrected if count(corrected) > total else None


def _in_context(found: list[tuple[str, int]], before: str, after: str,
                phrases: dict[str, int]) -> str:
    """The candidate forming the most frequent title phrase with the query word before or
    after it, else the best-scored one (``found`` is best first)."""
    def together(cand: str) -> int:
        return (phrases.get(f"{before} {cand}", 0) if before else 0) + (
            phrases.get(f"{cand} {after}", 0) if after else 0)

    best = max(found, key=lambda f: together(f[0]))
    return best[0] if together(best[0]) else found[0][0]


#: (id key, the form a document writes the term in, or None), per field looked in.
FormCandidates = list[list[tuple[int, str | None]]]


def form_candidates(searcher, keys, term: str) -> FormCandidates:
    """For each field :func:`written_form` looks in (the title's exact form, then the body's
    stem), the ``MAX_FORM_DOCS`` live documents holding ``term`` with the smallest id keys
    (``keys``: :attr:`searchapp.fastscore.DocTable.keys`) and how each writes it. By id key,
    not document number: the documents read are then the same however the archive is
    segmented or sharded, so one index and its shards show a correction alike."""
    reader = searcher.reader()
    out: FormCandidates = []
    for field, t in (("title", term), ("body", arabic.light_stem(term))):
        found: list[tuple[int, str | None]] = []
        if (field, t) in reader:
            ids = np.fromiter(reader.postings(field, t).all_ids(), dtype=np.int64)
            for d in ids[np.argsort(keys[ids], kind="stable")]:
                if len(found) == MAX_FORM_DOCS:
                    break
                if not reader.is_deleted(int(d)):
                    found.append((int(keys[d]), _form_in(reader, int(d), term)))
        out.append(found)
    return out


def _form_in(reader, docnum: int, term: str) -> str | None:
    doc = json.loads(reader.stored_fields(docnum).get("doc", "{}"))
    text = "\n".join([doc.get("title", ""), *doc.get("paragraphs", [])])
    for surface, _, s, e in tokens_with_offsets(text):
        if surface == term:
            return strip_marks(text[s:e])
    return None


def pick_form(parts: list[FormCandidates], term: str) -> str:
    """The written form from the candidates of one index or of every shard: per field, the
    ``MAX_FORM_DOCS`` smallest id keys overall, the first that writes the term."""
    for field in range(max((len(p) for p in parts), default=0)):
        merged = sorted(c for p in parts if field < len(p) for c in p[field])
        for _, form in merged[:MAX_FORM_DOCS]:
            if form:
                return form
    return term


def written_form(searcher, keys, term: str) -> str:
    """How the corpus writes normalized ``term`` (ة not ه, hamza as written), read from a
    few documents that hold it (:func:`form_candidates`)."""
    return pick_form([form_candidates(searcher, keys, term)], term)
