"""The one Whoosh schema.

Searchable text lives in four analyzed fields whose weights are applied at query time (so they
can be tuned without reindexing). Everything needed to render a hit or an article page is
stored: the short display fields individually, the rest (paragraphs, captions with credits,
related ids) as one JSON blob, because Whoosh stores pickles and one blob is cheaper to read.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections import defaultdict
from collections.abc import Iterator
from itertools import accumulate
from struct import Struct

from whoosh import columns
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, FieldType, Schema
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE, pack_uint, unpack_uint

from searchapp.analysis import WORD_PATTERN, ArabicAnalyzer, analyze_word

_WORDS = re.compile(WORD_PATTERN)
_H = Struct("=H").pack
_I = Struct("=I").pack

#: Bump when fields change; together with ANALYZER_VERSION it decides whether an index is usable.
SCHEMA_VERSION = 6  # 2: body stems only, packed positions; 3: one-term dates; 4: uint16 gaps;
#                    5: body_forms; 6: the id key column (ties, shards)

TEXT_FIELDS = ("title", "subtitle", "captions", "body")
#: The body's exact surface forms (where they differ from the stem), without positions.
BODY_FORMS = "body_forms"
#: Fields the scorers read postings and lengths of.
SCORED_FIELDS = (*TEXT_FIELDS, BODY_FORMS)


#: Flag in a packed value's count: the positions follow as uint16 gaps, not uint32 positions.
SHORT_GAPS = 1 << 31


def encode_positions(poslist: list[int]) -> bytes:
    """One posting's positions: a big-endian count, then either the gaps between positions
    as native uint16 (flag ``SHORT_GAPS`` in the count; every gap below 65,536, which is
    every field of a real article) or the positions as native uint32. Gaps halve the bytes
    and compress better (most are small): the body's positions are most of the index."""
    n = len(poslist)
    if n == 1:
        p = poslist[0]
        return pack_uint(1 | SHORT_GAPS) + _H(p) if p < 65536 else pack_uint(1) + _I(p)
    gaps = [poslist[0], *map(int.__sub__, poslist[1:], poslist)]
    if max(gaps) < 65536:
        return pack_uint(n | SHORT_GAPS) + array("H", gaps).tobytes()
    return pack_uint(n) + array("I", poslist).tobytes()


def decode_positions(valuestring: bytes) -> list[int]:
    head = unpack_uint(valuestring[:_INT_SIZE])[0]
    if head & SHORT_GAPS:
        return list(accumulate(array("H", valuestring[_INT_SIZE:])))
    return array("I", valuestring[_INT_SIZE:]).tolist()


class PackedPositions(Positions):
    """Positions packed by :func:`encode_positions` instead of a pickled delta list.

    Whoosh pickles a Python list per posting; packing is several times cheaper to write and
    to read (``searchapp.ranking`` decodes whole posting blocks with numpy).
    """

    def encode(self, poslist: list[int]) -> bytes:
        return encode_positions(poslist)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_frequency(self, valuestring: bytes) -> int:
        return unpack_uint(valuestring[:_INT_SIZE])[0] & ~SHORT_GAPS


class ArabicText(TEXT):
    """A TEXT field whose indexing skips Whoosh's per-token machinery.

    Indexing produces exactly the terms, positions and weights that ``ArabicAnalyzer`` would
    (a test compares the two), but with one C-level ``findall`` and one cached
    (surface, stem) lookup per word instead of a chain of generators passing Token objects:
    analysis is no longer what limits indexing speed. Queries and highlighting still go
    through the analyzer.
    """

    def __init__(self, keep_surface: bool = True, **kwargs) -> None:
        super().__init__(analyzer=ArabicAnalyzer(keep_surface=keep_surface), **kwargs)
        if isinstance(self.format, Positions):
            self.format = PackedPositions(field_boost=self.format.field_boost)
        self.keep_surface = keep_surface

    def index(self, value: str, **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        poses: defaultdict[str, list[int]] = defaultdict(list)
        keep_surface = self.keep_surface
        for pos, raw in enumerate(_WORDS.findall(value)):
            surface, stem = analyze_word(raw)
            if not surface:
                continue
            poses[stem].append(pos)
            if keep_surface and surface != stem:
                poses[surface].append(pos)
        boost = self.format.field_boost
        if isinstance(self.format, PackedPositions):
            for word, plist in poses.items():
                n = len(plist)
                yield word.encode("utf-8"), n, n * boost, encode_positions(plist)
        else:
            for word, plist in poses.items():
                n = len(plist)
                yield word.encode("utf-8"), n, n * boost, pack_uint(n)


class SurfaceForms(ArabicText):
    """The exact forms of a text's words, where they differ from the stem, with their counts
    and no positions: the body's exact-form evidence (``Ranking.body_exact``) at a fraction of
    the cost of positional surface terms (phrases and highlighting use the body's stems)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(keep_surface=True, phrase=False, **kwargs)

    def index(self, value: str, **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        counts: defaultdict[str, int] = defaultdict(int)
        for raw in _WORDS.findall(value):
            surface, stem = analyze_word(raw)
            if surface and surface != stem:
                counts[surface] += 1
        boost = self.format.field_boost
        for word, n in counts.items():
            yield word.encode("utf-8"), n, n * boost, pack_uint(n)


class Date(DATETIME):
    """A date indexed as one term, not Whoosh's eight precision tiers.

    The tiers only speed up range queries over the index terms; ranges, sorting and facets
    run on the date column (``searchapp.fastscore``), and eight extra postings per document
    were 3% of indexing time.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shift_step = 0


def id_key(article_id: str) -> int:
    """A stable 64-bit key of an article id: the order of documents whose scores (or dates)
    tie, and the shard an article lives in (``key % shards``).

    Why not the document number, Whoosh's own tie-break: it is the order articles happened to
    be written in, which a sharded index cannot reproduce (each shard numbers its own
    documents). A key computed from the id alone orders ties the same way in one index and
    in any number of shards, which is what makes a sharded search return exactly the single
    index's pages (:mod:`searchapp.coordinator`)."""
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8"), digest_size=8).digest(),
                          "big")


class IdKey(FieldType):
    """:func:`id_key` as a column only: no postings, nothing stored; read as one array per
    segment (``fastscore.DocTable``)."""

    indexed = False
    stored = False
    scorable = False
    unique = False

    def __init__(self) -> None:
        self.format = None
        self.vector = None
        self.analyzer = None
        self.column_type = columns.NumericColumn("Q", default=0)

    def to_column_value(self, value: int) -> int:
        return int(value)


#: The column holding :func:`id_key`.
ID_KEY = "id_key"


def build_schema() -> Schema:
    """Fresh schema instance (Whoosh mutates schemas while writing, so never share one)."""
    return Schema(
        id=ID(stored=True, unique=True),
        id_key=IdKey(),
        kind=STORED,
        title=ArabicText(stored=True, phrase=True),
        subtitle=ArabicText(phrase=True),
        captions=ArabicText(phrase=True),
        # Body words index their stem only: the exact-form bonus pays off in titles, subtitles
        # and captions (benchmarks/README.md), and the body holds most postings, so this is
        # what keeps indexing fast.
        body=ArabicText(phrase=True, keep_surface=False),
        # ... and their exact forms apart, without positions (see SurfaceForms).
        body_forms=SurfaceForms(),
        # Filters and facets: exact, case-sensitive values as written in the corpus.
        source=ID(stored=True),
        section=ID(stored=True),
        author=ID(stored=True),
        year=KEYWORD(stored=False),
        date=Date(stored=True, sortable=True),
        url=STORED,
        doc=STORED,
    )
