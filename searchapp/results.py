"""The plain values a search returns: no open index files, ready for JSON or templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from searchapp.sources import BUILTIN_SOURCE_NAMES, source_name


@dataclass(frozen=True)
class Hit:
    """One search result, ready to render (``snippet`` and ``title_html`` are HTML-safe)."""

    id: str
    title: str
    score: float
    snippet: str = ""
    title_html: str = ""
    url: str = ""
    source: str = ""
    section: str = ""
    author: str = ""
    date: datetime | None = None
    kind: str = "article"
    #: With ``explain=True``: per query word, how it matched — ``{"word", "form", "fields"}``,
    #: form one of exact, stem, synonym, prefix, none.
    explain: list[dict] | None = None
    #: With ``collapse=True``: ids of the near-duplicates (syndicated copies of this story)
    #: folded under this hit, best first; the page shows "n similar articles".
    similar: tuple[str, ...] = ()


@dataclass
class SearchResults:
    """A page of hits plus what describes the whole result set.

    ``total`` counts the matching articles (the documents holding all the query's words, or
    some when none holds them all), also with ``collapse=True``: copies folded into a hit's
    ``similar`` still count, so ``pages`` may promise more pages than there are stories (a
    page past the last story is empty)."""

    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    #: Set when the engine searched its spelling correction instead of the reader's words
    #: (``autocorrect=True`` and the correction has clearly more results): the reader's
    #: original query; ``query`` is then the corrected one ("results for X; search instead
    #: for Y").
    corrected_from: str | None = None
    seconds: float = 0.0
    #: A sharded index (:mod:`searchapp.coordinator`): the shards no replica answered for.
    #: When not empty the result is partial: ``total``, facets and hits count the other
    #: shards' articles only.
    missing_shards: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_dict(self, source_names: Mapping[str, str] | None = None) -> dict:
        """The JSON shape of ``/api/search`` and ``searchapp search --json``.

        Keys in field order, plus ``source_name`` on each hit (after ``source``) and ``name``
        on each facet value: the text to show, from ``source_names`` (slug → newspaper name,
        :mod:`searchapp.sources`; the built-in table when None). ``source`` keeps the slug,
        which is what the ``source`` filter takes.
        """
        names = BUILTIN_SOURCE_NAMES if source_names is None else source_names
        d = asdict(self)
        hits = []
        for h in d["hits"]:
            hit: dict = {}
            for k, v in h.items():  # source_name right after source: related keys together
                hit[k] = v
                if k == "source":
                    hit["source_name"] = source_name(v, names)
            hit["date"] = h["date"].isoformat() if h["date"] else None
            hit["similar"] = list(h["similar"])
            hits.append(hit)
        d["hits"] = hits
        d["facets"] = {
            k: [{"value": v, "count": c, "name": source_name(v, names) if k == "source" else v}
                for v, c in vs] for k, vs in self.facets.items()
        }
        return d


@dataclass(frozen=True)
class FilterSpec:
    """Field filters (any of the values) and a [date_from, date_to) range."""

    fields: dict[str, list[str]]
    date_from: datetime | None
    date_to: datetime | None

    @property
    def active(self) -> bool:
        return bool(self.fields or self.date_from or self.date_to)
