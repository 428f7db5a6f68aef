"""Why a hit matched: for each query word, the form that matched (exact, stem, synonym, prefix).

Readers who wonder why an article came up — and editors tuning their corpus — can see that
``الاتصالات`` matched exactly in the title but only by its stem ``اتصال`` in the body.

The query side (words, stems, month synonyms) is analyzed once per request by
:class:`Explainer`; each hit then costs a few dictionary lookups per word, for at most
``MAX_EXPLAINED_WORDS`` words (the query language's clause limit: a quoted phrase may hold
hundreds of words, the page shows the first ones).
"""

from __future__ import annotations

from collections.abc import Iterable

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import MAX_CLAUSES, ParsedQuery
from searchapp.schema import BODY_FORMS, TEXT_FIELDS
from searchapp.synonyms import find_months, month_names

MAX_EXPLAINED_WORDS = MAX_CLAUSES


class Explainer:
    """Explanations for one parsed query; call it with a hit's matched (field, term) pairs."""

    def __init__(self, parsed: ParsedQuery) -> None:
        #: (shown word, prefix or None, surface, stem, synonym forms)
        self._words: list[tuple[str, str | None, str, str, frozenset[str]]] = []
        for clause in parsed.clauses:
            if clause.negated:
                continue
            for c in [clause, *clause.alternatives]:
                if c.kind == "prefix":
                    self._add(c.text + "*", arabic.normalize(c.text), "", "", frozenset())
                    continue
                toks = tokens_with_offsets(c.text)
                months = {} if parsed.question else {
                    start: m for start, _, m in find_months([s for s, *_ in toks])}
                for i, (surface, stem, s, e) in enumerate(toks):
                    syn = frozenset(f for name in month_names(months[i]) for w in name
                                    for f in (w, arabic.light_stem(w))) if i in months else \
                        frozenset()
                    self._add(c.text[s:e], None, surface, stem, syn)

    def _add(self, *word) -> None:
        if len(self._words) < MAX_EXPLAINED_WORDS:
            self._words.append(word)

    def __call__(self, matched_terms: Iterable[tuple[str, str | bytes]]) -> list[dict]:
        """Per positive query word: ``{"word", "form", "fields"}`` (form "none" if absent)."""
        matched: dict[str, set[str]] = {}
        for fieldname, term in matched_terms:
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
            matched.setdefault(text, set()).add(fieldname)
        out = []
        for shown, prefix, surface, stem, syn in self._words:
            if prefix is not None:
                fields = {f for t, fs in matched.items() if t.startswith(prefix) for f in fs}
                out.append(_entry(shown, "prefix" if fields else "none", fields))
            elif surface in matched and surface != stem:
                out.append(_entry(shown, "exact", matched[surface]))
            elif stem in matched:
                out.append(_entry(shown, "exact" if surface == stem else "stem", matched[stem]))
            else:
                fields = {f for t in syn for f in matched.get(t, ())}
                out.append(_entry(shown, "synonym" if fields else "none", fields))
        return out


def explain_hit(parsed: ParsedQuery, hit) -> list[dict]:
    """Per positive query word: ``{"word", "form", "fields"}`` for one Whoosh hit (its
    ``matched_terms()``); explaining a page, build one :class:`Explainer` instead."""
    return Explainer(parsed)(hit.matched_terms())


def _entry(word: str, form: str, fields: set[str]) -> dict:
    if BODY_FORMS in fields:  # the body's exact forms are the body, to a reader
        fields = fields | {"body"}
    return {"word": word, "form": form, "fields": [f for f in TEXT_FIELDS if f in fields]}
