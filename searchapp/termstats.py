"""The statistics a score depends on, and where they come from: one index, or all shards.

BM25F's idf needs a term's document frequency and the document count, its length
normalization the average field length; the query builder also reads document frequencies to
choose between readings of a word (``ranking.clitic_variant``), to tell generic words
(``ranking.is_informative``) and to pick a prefix's expansion (``ranking.prefix_terms``).
On one index all of these are the index's own (:class:`LocalStats`). A shard of a sharded
index must score with the *whole* index's values, or each shard ranks with its own idf and
the merged page is not the single index's page: Elasticsearch's ``dfs_query_then_fetch``.
The coordinator collects them from every shard and sends the sums with the query
(:class:`SharedStats`); a shard asked for a value the coordinator did not send records it and
the coordinator completes the round (see :mod:`searchapp.coordinator`).

Statistics are keyed by tuples that pickle and sum: ``("n",)`` documents (Whoosh's
``doc_count_all``), ``("live",)`` undeleted documents, ``("len", field)`` total field length,
``("df", field, text)`` document frequency, ``("prefix", field, form)`` the lexicon entries
starting with ``form`` and their document frequencies (a dict).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, Protocol

Key = tuple

#: Lexicon entries read per field, form and index segment for one prefix (a bound on the
#: work of a two-letter prefix; see ``ranking.prefix_terms``).
MAX_PREFIX_SCAN = 200


class TermStats(Protocol):
    """What scoring reads: ``n`` documents, document frequencies, average field lengths."""

    n: int

    def doc_frequency(self, field: str, text: str) -> int: ...

    def avg_length(self, field: str) -> float: ...


def average(total: int, n: int) -> float:
    """Average field length as Whoosh computes it (total over ``doc_count_all``; 1.0 for an
    empty index): one formula, so that shards and the single index divide the same integers."""
    return total / n if n else 1.0


class LocalStats:
    """One index's own statistics (a :class:`searchapp.fastscore.DocTable`'s)."""

    def __init__(self, table) -> None:
        self.t = table
        self.n = table.n

    def doc_frequency(self, field: str, text: str) -> int:
        return self.t.doc_frequency(field, text)

    def avg_length(self, field: str) -> float:
        return self.t.avg_length[field]


def prefix_scan(reader, field: str, form: str) -> dict[str, int]:
    """The first ``MAX_PREFIX_SCAN`` lexicon entries of ``field`` starting with ``form``, in
    lexicon order over the whole index, with their document frequencies.

    The whole index's first entries, not each segment's: then the answer does not depend
    on how the index happens to be cut into segments, or into shards (the first entries of
    the union are among each part's first entries, so :func:`add` merges shards' scans
    into exactly the single index's)."""
    out: dict[str, int] = {}
    for leaf, _ in reader.leaf_readers():
        if field not in leaf.schema:
            continue
        for t, info in itertools.islice(leaf.iter_prefix(field, form), MAX_PREFIX_SCAN):
            text = t.decode("utf-8") if isinstance(t, bytes) else t
            out[text] = out.get(text, 0) + info.doc_frequency()
    return _first(out)


def _first(scan: dict[str, int]) -> dict[str, int]:
    """The ``MAX_PREFIX_SCAN`` first terms of a scan, in lexicon (code point) order."""
    if len(scan) <= MAX_PREFIX_SCAN:
        return scan
    return {t: scan[t] for t in sorted(scan)[:MAX_PREFIX_SCAN]}


def local_value(key: Key, reader) -> Any:
    """The value of one statistic in this index (``reader``: a Whoosh reader)."""
    kind = key[0]
    if kind == "n":
        return reader.doc_count_all()
    if kind == "live":
        return reader.doc_count()
    if kind == "len":
        return reader.field_length(key[1]) if key[1] in reader.schema else 0
    if kind == "df":
        return reader.doc_frequency(key[1], key[2]) if key[1] in reader.schema else 0
    if kind == "prefix":
        return prefix_scan(reader, key[1], key[2])
    raise ValueError(f"unknown statistic {key!r}")


def add(values: dict[Key, Any], more: dict[Key, Any]) -> None:
    """Add one shard's values into ``values`` (counts sum; prefix scans sum per term)."""
    for key, v in more.items():
        if isinstance(v, dict):
            into = dict(values.get(key, {}))
            for t, n in v.items():
                into[t] = into.get(t, 0) + n
            values[key] = _first(into)
        else:
            values[key] = values.get(key, 0) + v


def total(parts: Iterable[dict[Key, Any]]) -> dict[Key, Any]:
    out: dict[Key, Any] = {}
    for p in parts:
        add(out, p)
    return out


class SharedStats:
    """Statistics of the whole sharded index (``values``, from the coordinator) for one
    shard's request. A value the coordinator did not send is answered from this shard and
    recorded in ``missed``: the answer is then not exact, and the coordinator, having
    collected the missed values from every shard, asks again (with ``values`` empty, this is
    the dfs phase: everything asked is recorded)."""

    def __init__(self, values: dict[Key, Any], reader) -> None:
        self.values = values
        self.reader = reader
        self.missed: dict[Key, Any] = {}

    def get(self, key: Key) -> Any:
        try:
            return self.values[key]
        except KeyError:
            pass
        v = self.missed.get(key)
        if v is None:
            v = self.missed[key] = local_value(key, self.reader)
        return v

    @property
    def n(self) -> int:
        return self.get(("n",))

    def doc_frequency(self, field: str, text: str) -> int:
        return self.get(("df", field, text))

    def avg_length(self, field: str) -> float:
        return average(self.get(("len", field)), self.n)


class StatsReader:
    """A Whoosh reader whose statistics are ``stats``' (everything else is the reader's own):
    what the query builder, spelling and more-like-this read through, unchanged."""

    def __init__(self, reader, stats) -> None:
        self._reader = reader
        self._stats = stats

    def doc_frequency(self, field: str, text: str | bytes) -> int:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return self._stats.get(("df", field, text))

    def doc_count_all(self) -> int:
        return self._stats.get(("n",))

    def doc_count(self) -> int:
        return self._stats.get(("live",))

    def field_length(self, field: str) -> int:
        return self._stats.get(("len", field))

    def prefix_frequencies(self, field: str, form: str) -> dict[str, int]:
        return self._stats.get(("prefix", field, form))

    def __contains__(self, key) -> bool:
        return key in self._reader

    def __getattr__(self, name: str):
        return getattr(self._reader, name)
