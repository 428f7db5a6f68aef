"""Corpus ingestion: page dumps and JSON records become clean, deduplicated `Article`s.

    for article in read_many(["corpus/", "exports/2015.jsonl.gz"], on_error=report.append):
        index(article)

Readers never raise on bad input: each problem becomes a `CorpusError` (`path:line: reason`)
handed to `on_error`, and reading goes on with the next record or file, so one bad record never
costs the corpus. Files are dispatched by extension: `.txt` page dump, `.json` array (or single
object), `.jsonl`/`.ndjson` JSON Lines, `.gz` of any of these, `.zip` archives of them.
The site sections that page dumps recognize are `searchapp.corpus.pagedump.SECTIONS`.
"""

from __future__ import annotations

import gzip
import logging
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import BinaryIO

from . import encoding
from .jsonstream import decode_chunks, iter_json, iter_json_lines
from .model import Article, Caption, CorpusError
from .pagedump import parse_page
from .records import to_article

__all__ = ["Article", "Caption", "CorpusError", "read", "read_many"]

log = logging.getLogger("searchapp.corpus")
OnError = Callable[[CorpusError], None]
PAGE_EXTS = (".txt",)
JSON_EXTS = (".json",)
LINES_EXTS = (".jsonl", ".ndjson")
_READ_CHUNK = 1 << 16
_IO_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile)


def _log_error(err: CorpusError) -> None:
    log.error("%s", err)


def read(path: str | os.PathLike[str], *, on_error: OnError | None = None,
         source: str | None = None) -> Iterator[Article]:
    """Articles from a file or a directory (walked recursively in sorted order), deduplicated
    by id as in `read_many`, since one directory may hold the same story twice."""
    return read_many([path], on_error=on_error, source=source)


def read_many(paths: Iterable[str | os.PathLike[str]], *, on_error: OnError | None = None,
              source: str | None = None) -> Iterator[Article]:
    """`read` over several paths, deduplicated by id in a stream.

    A repeated id is dropped, except a full article arriving after teasers of the same id: the
    indexer replaces documents by id, so the article must win. Only ids are kept in memory.
    """
    report = on_error or _log_error
    articles = chain.from_iterable(_read_path(os.fspath(p), report, source) for p in paths)
    return _dedup(articles)


def _dedup(articles: Iterable[Article]) -> Iterator[Article]:
    full: dict[str, bool] = {}  # id -> a full article was yielded for it
    for art in articles:
        seen = full.get(art.id)
        if seen is None or (not seen and art.kind == "article"):
            full[art.id] = art.kind == "article"
            yield art
        else:
            log.info("%s: duplicate id %s (%s) dropped", art.origin, art.id, art.kind)


def _read_path(path: str, on_error: OnError, source: str | None) -> Iterator[Article]:
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield from _read_file(os.path.join(root, name), on_error, source)
    elif os.path.exists(path):
        yield from _read_file(path, on_error, source)
    else:
        on_error(CorpusError(path, None, "no such file or directory"))


def _read_file(path: str, on_error: OnError, source: str | None) -> Iterator[Article]:
    try:
        with open(path, "rb") as stream:
            yield from _read_stream(path, path, stream, on_error, source)
    except _IO_ERRORS as e:
        on_error(CorpusError(path, None, f"cannot read: {e}"))


def _kind(name: str) -> str | None:
    lower = name.lower()
    for kind, exts in (("page", PAGE_EXTS), ("json", JSON_EXTS), ("lines", LINES_EXTS),
                       ("gz", (".gz",)), ("zip", (".zip",))):
        if lower.endswith(exts):
            return kind
    return None


def _read_stream(name: str, display: str, stream: BinaryIO, on_error: OnError,
                 source: str | None) -> Iterator[Article]:
    """Dispatch one file or archive member on the extension of `name`."""
    kind = _kind(name)
    if kind is None:
        log.warning("%s: unknown extension, skipped", display)
    elif kind == "gz":
        with gzip.GzipFile(fileobj=stream, mode="rb") as inner:
            unzipped: BinaryIO = inner  # type: ignore[assignment]
            yield from _read_stream(name[:-3], display, unzipped, on_error, source)
    elif kind == "zip":
        yield from _read_zip(display, stream, on_error, source)
    else:
        yield from _read_text(kind, display, stream, on_error, source)


def _read_zip(display: str, stream: BinaryIO, on_error: OnError,
              source: str | None) -> Iterator[Article]:
    with zipfile.ZipFile(stream) as archive:  # type: ignore[arg-type]
        for info in archive.infolist():
            base = os.path.basename(info.filename.rstrip("/"))
            if info.is_dir() or base.startswith(".") or info.filename.startswith("__MACOSX/"):
                continue
            member = f"{display}!{info.filename}"
            try:
                with archive.open(info) as inner:  # streamed, never read whole
                    yield from _read_stream(info.filename, member, inner, on_error, source)
            except (*_IO_ERRORS, RuntimeError, NotImplementedError) as e:  # encrypted, bad method
                on_error(CorpusError(member, None, f"cannot read: {e}"))


def _chunks(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    yield head
    while chunk := stream.read(_READ_CHUNK):
        yield chunk


def _read_text(kind: str, display: str, stream: BinaryIO, on_error: OnError,
               source: str | None) -> Iterator[Article]:
    head = stream.read(encoding.SNIFF_BYTES)
    try:
        complete = len(head) < encoding.SNIFF_BYTES
        codec = encoding.sniff(head, display, complete=complete)
        if complete and not head.decode(codec, errors="replace").strip():
            log.warning("%s: empty file", display)
            return
        if kind == "page":  # pages are small: decode whole, the parser needs every line
            text, problems = encoding.decode(head + stream.read(), display)
    except CorpusError as e:
        on_error(e)
        return
    if kind == "page":
        for problem in problems:
            on_error(problem)
        yield from parse_page(text, display, source=source or "", on_error=on_error)
        return
    chunks = _chunks(head, stream)
    if kind == "json":
        records = iter_json(decode_chunks(chunks, codec), display, on_error)
    else:
        records = iter_json_lines(chunks, codec, display, on_error)
    try:
        for line, rec in records:
            if (art := to_article(rec, display, line, source=source, on_error=on_error)):
                yield art
    except UnicodeDecodeError as e:
        on_error(CorpusError(display, None, f"invalid {codec} text ({e.reason}): rest skipped"))
