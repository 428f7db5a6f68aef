"""The one Whoosh schema.

Searchable text lives in four analyzed fields whose weights are applied at query time (so they
can be tuned without reindexing). Everything needed to render a hit or an article page is
stored: the short display fields individually, the rest (paragraphs, captions with credits,
related ids) as one JSON blob, because Whoosh stores pickles and one blob is cheaper to read.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from searchapp.analysis import ArabicAnalyzer

#: Bump when fields change; together with ANALYZER_VERSION it decides whether an index is usable.
SCHEMA_VERSION = 1

TEXT_FIELDS = ("title", "subtitle", "captions", "body")


def build_schema() -> Schema:
    """Fresh schema instance (Whoosh mutates schemas while writing, so never share one)."""
    analyzer = ArabicAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        subtitle=TEXT(analyzer=analyzer, phrase=True),
        captions=TEXT(analyzer=analyzer, phrase=True),
        body=TEXT(analyzer=analyzer, phrase=True),
        # Filters and facets: exact, case-sensitive values as written in the corpus.
        source=ID(stored=True),
        section=ID(stored=True),
        author=ID(stored=True),
        year=KEYWORD(stored=False),
        date=DATETIME(stored=True, sortable=True),
        url=STORED,
        doc=STORED,
        content_hash=ID(stored=True),
    )
