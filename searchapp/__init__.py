"""searchapp: full-text search for Arabic news.

The public API is three names::

    from searchapp import SearchEngine, reindex
    report = reindex(["corpus/"], "index")
    results = SearchEngine("index").search("اطلاق النار")
"""

from __future__ import annotations

import warnings

# pyarabic and tashaphyne contain regexes written as non-raw strings; Python warns about them
# (DeprecationWarning on 3.11, SyntaxWarning from 3.12) the first time they are compiled.
# Silence exactly those, for exactly those packages.
for _category in (DeprecationWarning, SyntaxWarning):
    warnings.filterwarnings(
        "ignore",
        message=r"invalid escape sequence",
        category=_category,
        module=r".*(pyarabic|tashaphyne)",
    )

from searchapp.engine import Hit, SearchEngine, SearchResults  # noqa: E402
from searchapp.indexer import ReindexReport, reindex  # noqa: E402

__all__ = ["Hit", "ReindexReport", "SearchEngine", "SearchResults", "reindex"]
__version__ = "0.1.0"
