"""Why a hit matched: for each query word, the form that matched (exact, stem, synonym, prefix).

Readers who wonder why an article came up — and editors tuning their corpus — can see that
``الاتصالات`` matched exactly in the title but only by its stem ``اتصال`` in the body.
"""

from __future__ import annotations

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.querylang import ParsedQuery
from searchapp.schema import TEXT_FIELDS
from searchapp.synonyms import find_months, month_names


def explain_hit(parsed: ParsedQuery, hit) -> list[dict]:
    """Per positive query word: ``{"word", "form", "fields"}`` (form "none" if absent)."""
    matched: dict[str, set[str]] = {}
    for fieldname, term in hit.matched_terms():
        text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        matched.setdefault(text, set()).add(fieldname)
    out = []
    for clause in parsed.clauses:
        if clause.negated:
            continue
        for c in [clause, *clause.alternatives]:
            if c.kind == "prefix":
                prefix = arabic.normalize(c.text)
                fields = {f for t, fs in matched.items() if t.startswith(prefix) for f in fs}
                out.append(_entry(c.text + "*", "prefix" if fields else "none", fields))
                continue
            toks = tokens_with_offsets(c.text)
            months = {start: month for start, _, month in find_months([s for s, *_ in toks])}
            for i, (surface, stem, s, e) in enumerate(toks):
                if surface in matched and surface != stem:
                    form, fields = "exact", matched[surface]
                elif stem in matched:
                    form, fields = ("exact" if surface == stem else "stem"), matched[stem]
                else:
                    form, fields = "none", set()
                    if i in months:
                        syn = {form for name in month_names(months[i]) for w in name
                               for form in (w, arabic.light_stem(w))}
                        fields = {f for t in syn for f in matched.get(t, ())}
                        if fields:
                            form = "synonym"
                out.append(_entry(c.text[s:e], form, fields))
    return out


def _entry(word: str, form: str, fields: set[str]) -> dict:
    return {"word": word, "form": form, "fields": [f for f in TEXT_FIELDS if f in fields]}
