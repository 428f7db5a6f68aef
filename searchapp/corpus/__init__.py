"""Corpus ingestion: page dumps and JSON records become clean, deduplicated `Article`s.

    for article in read_many(["corpus/", "exports/2015.jsonl.gz"], on_error=report.append):
        index(article)

Readers never raise on bad input: each problem becomes a `CorpusError` (`path:line: reason`)
handed to `on_error`, and reading goes on with the next record or file, so one bad record never
costs the corpus. An error with `partial=True` says some of that path's content may not have
been read (see `CorpusError`). Files are dispatched by extension: `.txt` page dump, `.json` array
(or single object), `.jsonl`/`.ndjson` JSON Lines, `.gz` of any of these, `.zip` archives of them
(a zip that lost its central directory is read from its local headers, `ziprescue`). Only
regular files are opened: FIFOs, sockets and devices are skipped.

What was not read is said, per file: a file with an unknown extension, an empty file, a
non-regular file, or a directory holding no corpus file at all is handed to `on_skip` (a
`CorpusError` saying why; default: a WARNING log line), and `on_file` is called with the display
path of every file or archive member handed to a parser, so a caller can tell "read 0 files"
from "read 3 files that held nothing". Hidden files and directories (`.git`, `.DS_Store`) and
`__MACOSX/` members are ignored without a word, as version-control tools do: they are never
corpus files, and listing a `.git` directory would drown the report.
The site sections that page dumps recognize are `searchapp.corpus.pagedump.SECTIONS`.
"""

from __future__ import annotations

import gzip
import logging
import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import BinaryIO, NamedTuple

from . import encoding, ziprescue
from .clean import clean_text
from .dedup import dedup
from .jsonstream import decode_chunks, iter_json, iter_json_lines
from .model import Article, Caption, CorpusError
from .pagedump import parse_page
from .records import to_article

__all__ = ["Article", "Caption", "CorpusError", "read", "read_many"]

log = logging.getLogger("searchapp.corpus")
OnError = Callable[[CorpusError], None]
OnFile = Callable[[str], None]
PAGE_EXTS = (".txt",)
JSON_EXTS = (".json",)
LINES_EXTS = (".jsonl", ".ndjson")
_READ_CHUNK = 1 << 16
_IO_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, zipfile.LargeZipFile)
_MEMBER_ERRORS = (*_IO_ERRORS, RuntimeError, NotImplementedError)  # encrypted, bad method
# Opening never blocks (a FIFO with no writer) nor makes a terminal ours.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


def _log_error(err: CorpusError) -> None:
    log.error("%s", err)


def _log_skip(err: CorpusError) -> None:
    log.warning("%s", err)


class _Sink(NamedTuple):
    """Where one read's findings go, passed down the dispatch instead of four arguments."""

    on_error: OnError
    on_skip: OnError
    on_file: OnFile
    source: str | None

    def skip(self, path: str, reason: str) -> None:
        self.on_skip(CorpusError(path, None, reason))


def read(path: str | os.PathLike[str], *, on_error: OnError | None = None,
         source: str | None = None, on_skip: OnError | None = None,
         on_file: OnFile | None = None) -> Iterator[Article]:
    """Articles from a file or a directory (walked recursively in sorted order), deduplicated
    by id as in `read_many`, since one directory may hold the same story twice."""
    return read_many([path], on_error=on_error, source=source, on_skip=on_skip, on_file=on_file)


def read_many(paths: Iterable[str | os.PathLike[str]], *, on_error: OnError | None = None,
              source: str | None = None, on_skip: OnError | None = None,
              on_file: OnFile | None = None) -> Iterator[Article]:
    """`read` over several paths, deduplicated by id in a stream (rules in `dedup`): a repeated
    id is dropped, except a full article arriving after teasers of the same id; a repeat with
    different content is reported. `on_skip` and `on_file`: see the module docstring."""
    report = on_error or _log_error
    source = clean_text(source) if source else source
    sink = _Sink(report, on_skip or _log_skip, on_file or (lambda _path: None), source)
    articles = chain.from_iterable(_read_path(os.fspath(p), sink) for p in paths)
    return dedup(articles, report)


def _read_path(path: str, sink: _Sink) -> Iterator[Article]:
    if os.path.isdir(path):
        def unlisted(e: OSError) -> None:  # os.walk would skip an unreadable directory silently
            where = e.filename if e.filename is not None else path
            sink.on_error(CorpusError(os.fspath(where), None, f"cannot list directory: "
                                      f"{e.strerror or e}", partial=True))

        found = False
        for root, dirs, files in os.walk(path, onerror=unlisted):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    found = True
                    yield from _read_file(os.path.join(root, name), sink)
        if not found:
            sink.skip(path, "no corpus file found (expected " + ", ".join(
                (*PAGE_EXTS, *JSON_EXTS, *LINES_EXTS, ".gz", ".zip")) + " files)")
    elif os.path.exists(path):
        yield from _read_file(path, sink)
    else:
        sink.on_error(CorpusError(path, None, "no such file or directory", partial=True))


def _read_file(path: str, sink: _Sink) -> Iterator[Article]:
    """Read one regular file (a symlink to one is fine). FIFOs, sockets and devices are skipped
    before opening (opening a FIFO blocks until a writer comes); the check is repeated on the
    open descriptor, in case the path was swapped in between."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            sink.skip(path, "not a regular file, skipped")
            return
        fd = os.open(path, _OPEN_FLAGS)
        with open(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                sink.skip(path, "not a regular file, skipped")
                return
            if _NONBLOCK:
                os.set_blocking(fd, True)
            yield from _read_stream(path, path, stream, sink)
    except _IO_ERRORS as e:
        sink.on_error(CorpusError(path, None, f"cannot read: {e}", partial=True))


def _kind(name: str) -> str | None:
    lower = name.lower()
    for kind, exts in (("page", PAGE_EXTS), ("json", JSON_EXTS), ("lines", LINES_EXTS),
                       ("gz", (".gz",)), ("zip", (".zip",))):
        if lower.endswith(exts):
            return kind
    return None


def _read_stream(name: str, display: str, stream: BinaryIO, sink: _Sink) -> Iterator[Article]:
    """Dispatch one file or archive member on the extension of `name`."""
    kind = _kind(name)
    if kind is None:
        sink.skip(display, "unknown extension, skipped")
    elif kind == "gz":
        with gzip.GzipFile(fileobj=stream, mode="rb") as inner:
            unzipped: BinaryIO = inner  # type: ignore[assignment]
            yield from _read_stream(name[:-3], display, unzipped, sink)
    elif kind == "zip":
        yield from _read_zip(display, stream, sink)
    else:
        yield from _read_text(kind, display, stream, sink)


def _skipped_member(name: str) -> bool:
    base = os.path.basename(name.rstrip("/"))
    return name.endswith("/") or base.startswith(".") or name.startswith("__MACOSX/")


def _read_zip(display: str, stream: BinaryIO, sink: _Sink) -> Iterator[Article]:
    try:
        archive = zipfile.ZipFile(stream)  # type: ignore[arg-type]
    except zipfile.BadZipFile as e:
        yield from _rescue_zip(display, stream, e, sink)
        return
    with archive:
        for info in archive.infolist():
            if _skipped_member(info.filename):
                continue
            member = f"{display}!{info.filename}"
            try:
                with archive.open(info) as inner:  # streamed, never read whole
                    yield from _read_stream(info.filename, member, inner, sink)
            except _MEMBER_ERRORS as e:
                sink.on_error(CorpusError(member, None, f"cannot read: {e}", partial=True))


def _rescue_zip(display: str, stream: BinaryIO, cause: Exception, sink: _Sink
                ) -> Iterator[Article]:
    """Members of a zip without its central directory, up to the first damage."""
    found = False
    try:
        for name, inner in ziprescue.iter_members(stream):  # type: ignore[arg-type]
            if not found:
                sink.on_error(CorpusError(display, None, f"cannot read: {cause}; members read "
                                          "from their local headers up to the damage",
                                          partial=True))
                found = True
            if _skipped_member(name):
                continue
            member = f"{display}!{name}"
            try:
                yield from _read_stream(name, member, inner, sink)
            except _MEMBER_ERRORS as e:
                sink.on_error(CorpusError(member, None, f"cannot read: {e}", partial=True))
                return  # the data after a damaged member cannot be found
    except _MEMBER_ERRORS as e:
        reason = f"damaged after the members above: {e}" if found else f"cannot read: {cause}"
        sink.on_error(CorpusError(display, None, reason, partial=True))
        return
    if not found:
        sink.on_error(CorpusError(display, None, f"cannot read: {cause}", partial=True))


def _chunks(head: bytes, stream: BinaryIO) -> Iterator[bytes]:
    yield head
    while chunk := stream.read(_READ_CHUNK):
        yield chunk


def _read_text(kind: str, display: str, stream: BinaryIO, sink: _Sink
               ) -> Iterator[Article]:
    on_error, source = sink.on_error, sink.source
    head = stream.read(encoding.SNIFF_BYTES)
    try:
        complete = len(head) < encoding.SNIFF_BYTES
        codec = encoding.sniff(head, display, complete=complete)
        if complete and not head.decode(codec, errors="replace").strip():
            sink.skip(display, "empty file, skipped")
            return
        sink.on_file(display)
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
        for rec in records:
            if (art := to_article(rec.value, display, rec.line, source=source,
                                  on_error=on_error, where=rec.where)):
                yield art
    except UnicodeDecodeError as e:
        on_error(CorpusError(display, None, f"invalid {codec} text ({e.reason}): rest skipped",
                             partial=True))
