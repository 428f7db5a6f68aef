"""Deduplicate a stream of articles by id, reporting a repeated id whose content differs.

Precedence: the first article of an id wins, except that a full article replaces the teasers
of its id read before it (the indexer replaces documents by id, so the article must win). A
repeat with identical content is routine (the same story in two exports) and only logged at
debug level; a repeat of the same kind with different content means one version is silently
lost, so it is reported as a `CorpusError` (not partial: both records were read in full).
A teaser after its article is expected to differ (it is a summary) and is not reported.

Memory per id: a 64-bit digest, a flag, the line and a reference to a path string shared by all
articles of a file. The digest is Python's hash of a tuple of the fields `content_hash` covers:
str hashes are computed in C and cached on the strings, so it costs far less than serializing
(`canonical_json`, which the indexer does anyway) and is stable within the process, which is
all a stream needs. A collision (odds 2**-64) would only turn a report into a debug log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from .model import Article, CorpusError

log = logging.getLogger("searchapp.corpus")


def digest(art: Article) -> int:
    """A cheap in-process fingerprint of every field but `origin` (see the module docstring)."""
    return hash((art.id, art.kind, art.title, art.subtitle, tuple(art.paragraphs),
                 tuple(art.captions), art.section, art.author, art.location,
                 art.date.isoformat() if art.date is not None else None, art.url, art.source,
                 tuple(art.related)))


def _where(origin: str, paths: dict[str, str]) -> tuple[str, int | None]:
    path, sep, line = origin.rpartition(":")
    if not sep or not line.isdigit():
        return paths.setdefault(origin, origin), None
    return paths.setdefault(path, path), int(line)


def dedup(articles: Iterable[Article], on_error: Callable[[CorpusError], None]
          ) -> Iterator[Article]:
    seen: dict[str, tuple[bool, int, str, int | None]] = {}  # id -> (full, digest, path, line)
    paths: dict[str, str] = {}  # one shared string per file
    for art in articles:
        first = seen.get(art.id)
        full = art.kind == "article"
        if first is None or (full and not first[0]):
            seen[art.id] = (full, digest(art), *_where(art.origin, paths))
            yield art
            continue
        if first[0] != full or first[1] == digest(art):
            log.debug("%s: duplicate id %s (%s) dropped", art.origin, art.id, art.kind)
            continue
        path, line = _where(art.origin, paths)
        first_at = first[2] if first[3] is None else f"{first[2]}:{first[3]}"
        on_error(CorpusError(path, line, f"duplicate id {art.id} with different content "
                             f"(first seen at {first_at}): dropped"))
