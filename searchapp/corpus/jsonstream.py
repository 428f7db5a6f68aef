"""Stream JSON values out of large files with bounded memory, recovering from bad records.

A JSON array is decoded record by record with `json.JSONDecoder.raw_decode` over a sliding text
window (never `json.load` of the whole file); JSON Lines are decoded one line at a time. Work is
linear in the file: consumed text and whitespace are dropped as reading goes, and a record that
spans chunks is delimited first by `jsonscan.ValueScanner` (state kept across chunks) and then
decoded once. When a record is malformed the scanner's end lets the next records still load: one
bad record costs one record, not the file. A record over `MAX_RECORD_BYTES` is skipped without
being held whole.

On a line holding several records (a one-line array) an error also names the record: its index
among the file's top-level values and its offset in characters of decoded text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .jsonscan import (
    MAX_RECORD_BYTES,
    Oversize,
    ValueScanner,
    cap_label,
    size_label,
    split_lines,
    utf8_size,
)
from .model import CorpusError

__all__ = ["MAX_RECORD_BYTES", "Record", "decode_chunks", "iter_json", "iter_json_lines"]

CHUNK_CHARS = 1 << 16
_WS = re.compile(r"\s*")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # undecodable bytes kept by surrogateescape
_decoder = json.JSONDecoder()
OnError = Callable[[CorpusError], None]


class Record(NamedTuple):
    line: int  # where the value starts
    value: Any
    where: str = ""  # "record N (offset M)" when its line holds other records too


def decode_chunks(chunks: Iterable[bytes], codec: str) -> Iterator[str]:
    """Incrementally decode byte chunks; bad UTF-8 bytes survive as lone surrogates so that the
    record containing them, and only it, can be rejected."""
    errors = "strict" if codec == "utf-16" else "surrogateescape"
    dec = codecs.getincrementaldecoder(codec)(errors=errors)
    for chunk in chunks:
        if text := dec.decode(chunk):
            yield text
    if text := dec.decode(b"", final=True):
        yield text


class _Buffer:
    """A window `text` on the decoded stream; knows the line and offset of any position in it."""

    def __init__(self, chunks: Iterable[str]) -> None:
        self.chunks, self.text, self.eof = iter(chunks), "", False
        self.counted, self.line = 0, 1  # line number at position `counted`
        self.offset = 0  # stream offset of text[0]

    def pull(self) -> str | None:
        """The next chunk (not added to the window), or None at the end."""
        chunk = next(self.chunks, None)
        self.eof = chunk is None
        return chunk

    def line_at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.counted, pos)
        self.counted = pos
        return self.line

    def drop(self, pos: int) -> None:
        """Forget the text before `pos` (its newlines stay counted)."""
        self.line_at(pos)
        self.text, self.counted, self.offset = self.text[pos:], 0, self.offset + pos

    def replace(self, text: str) -> None:
        """Forget the whole window and continue with `text`."""
        self.drop(len(self.text))
        self.text = text

    def skip_ws(self, pos: int) -> int:
        """Position of the next non-space character (len at EOF). A window of nothing but
        whitespace is dropped before the next chunk comes in, so a run costs its length once."""
        while True:
            pos = _WS.match(self.text, pos).end()
            if pos < len(self.text):
                return pos
            chunk = self.pull()
            if chunk is None:
                return pos
            self.replace(chunk)
            pos = 0

    def drop_before(self, pos: int) -> int:
        """Forget consumed text once it is large; returns the new position of `pos`."""
        if pos < CHUNK_CHARS:
            return pos
        self.drop(pos)
        return 0


def iter_json(chunks: Iterable[str], path: str, on_error: OnError,
              max_record: int = MAX_RECORD_BYTES) -> Iterator[Record]:
    """Values of a JSON array, or of one or more whitespace-separated top-level values."""
    buf = _Buffer(chunks)
    pos = buf.skip_ws(0)
    in_array = buf.text.startswith("[", pos)
    last_line, index = 0, 0  # line of the last token before the next value; value index
    if in_array:
        last_line = buf.line_at(pos)
        pos = buf.skip_ws(pos + 1)
    while pos < len(buf.text):
        if in_array and buf.text[pos] == "]":
            pos = buf.skip_ws(pos + 1)
            if pos < len(buf.text):
                on_error(CorpusError(path, buf.line_at(pos), "data after the end of the array: "
                                     "ignored", partial=True))
            return
        line = buf.line_at(pos)
        where = f"record {index} (offset {buf.offset + pos})" if line == last_line else ""
        pos, value, ok = _decode_one(buf, pos, _Where(path, line, where, on_error), max_record)
        if pos is None:
            return
        if ok:
            yield Record(line, value, where)
        index += 1
        last_line = buf.line_at(pos)
        pos = buf.drop_before(buf.skip_ws(pos))
        if in_array and pos < len(buf.text):
            if buf.text[pos] == ",":
                last_line = buf.line_at(pos)
                pos = buf.skip_ws(pos + 1)
            elif buf.text[pos] != "]":
                on_error(CorpusError(path, buf.line_at(pos), "expected ',' between records"))
    if in_array:
        on_error(CorpusError(path, buf.line_at(pos), "unterminated JSON array (file truncated?)",
                             partial=True))


class _Where(NamedTuple):
    path: str
    line: int
    where: str
    on_error: OnError

    def report(self, reason: str, *, partial: bool = True) -> None:
        text = f"{self.where}: {reason}" if self.where else reason
        self.on_error(CorpusError(self.path, self.line, text, partial=partial))


def _decode_one(buf: _Buffer, pos: int, at: _Where, cap: int) -> tuple[int | None, Any, bool]:
    """(end, value, ok) of the value at `pos`, positions in `buf.text` as it is on return; end
    None when nothing more can be read."""
    try:
        value, end = _decoder.raw_decode(buf.text, pos)
    except (ValueError, RecursionError):  # JSONDecodeError, huge int, deep nesting
        end = -1
    complete = end >= 0 and (end < len(buf.text) or buf.eof or buf.text[pos] in '{["')
    if not complete:  # cut by the window's end, or malformed: delimit it, then decode once
        found = _gather(buf, pos, cap, at)
        if found is None:
            return None, None, False
        pos, scan_end, kept = found
        if not kept:
            return scan_end, None, False
        try:
            value, end = _decoder.raw_decode(buf.text, pos)
        except (ValueError, RecursionError) as e:
            at.report(f"malformed JSON record: {_describe(e, buf, pos)}")
            return scan_end, None, False
    if end - pos > cap // 4 and (size := utf8_size(buf.text[pos:end])) > cap:
        at.report(f"record too large ({size_label(size)} > {cap_label(cap)}): skipped")
        return end, None, False
    if _ESCAPED_BYTE.search(buf.text, pos, end):
        at.report("record contains bytes that are not valid text in the file's encoding: "
                  "rejected")
        return end, None, False
    return end, value, True


def _gather(buf: _Buffer, pos: int, cap: int, at: _Where) -> tuple[int, int, bool] | None:
    """Bring the whole value at `pos` into the window, each chunk scanned once and joined once.

    Returns (start, end, kept) in the new window. Past `cap` the pieces are dropped as they
    come (kept False: reported, the window resumes after the value); None (after reporting)
    when the file ends inside the value.
    """
    scan = ValueScanner()
    end = scan.feed(buf.text, pos)
    if end is not None:
        return pos, end, True
    buf.drop(pos)
    pieces, size = [buf.text], utf8_size(buf.text)
    while end is None:
        chunk = buf.pull()
        if chunk is None:
            if scan.at_eof:  # a bare number ending the file
                break
            at.report(f"unterminated JSON record ({_cut_reason(buf, pieces, cap)}); "
                      "rest of file skipped")
            return None
        end = scan.feed(chunk)
        size += utf8_size(chunk if end is None else chunk[:end])
        if size > cap:  # drop what is held; the window keeps only newlines counted
            for piece in pieces[1:]:
                buf.replace(piece)
            pieces = []
            buf.replace(chunk)
        else:
            pieces.append(chunk)
    if not pieces:
        at.report(f"record too large ({size_label(size)} > {cap_label(cap)}): skipped")
        return 0, len(buf.text) if end is None else end, False
    last = len(pieces[-1])
    buf.text = "".join(pieces)  # the window starts at the value: `counted` is still 0
    return 0, len(buf.text) - last + (last if end is None else end), True


def _cut_reason(buf: _Buffer, pieces: list[str], cap: int) -> str:
    if not pieces:
        return f"over {cap_label(cap)}"
    buf.text = "".join(pieces)
    try:
        _decoder.raw_decode(buf.text, 0)
    except (ValueError, RecursionError) as e:
        return _describe(e, buf, 0)
    return "value cut at end of file"


def _describe(e: BaseException, buf: _Buffer, pos: int) -> str:
    msg = getattr(e, "msg", None) or str(e) or type(e).__name__
    err_pos = getattr(e, "pos", pos)
    return f"{msg} at line {buf.line_at(pos) + buf.text.count(chr(10), pos, err_pos)}"


def iter_json_lines(chunks: Iterable[bytes], codec: str, path: str, on_error: OnError,
                    max_record: int = MAX_RECORD_BYTES) -> Iterator[Record]:
    """One value per line; a bad or oversize line is reported with its number and skipped."""
    if codec == "utf-16":  # "\n" is not a byte of its own in UTF-16: split decoded text
        lines: Iterator[Any] = split_lines(decode_chunks(chunks, codec), max_record)
    else:
        lines = split_lines(chunks, max_record)
    for no, raw in enumerate(lines, 1):
        if isinstance(raw, Oversize):
            on_error(CorpusError(path, no, f"record too large ({size_label(raw.size)} > "
                                 f"{cap_label(max_record)}): skipped", partial=True))
            continue
        try:
            line = raw if isinstance(raw, str) else raw.decode(
                "utf-8-sig" if no == 1 and codec.startswith("utf-8") else codec)
        except UnicodeDecodeError as e:
            on_error(CorpusError(path, no, f"invalid {codec} text: {e.reason}: record rejected",
                                 partial=True))
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, huge int, deep nesting
            reason = f"{e.msg} at column {e.colno}" if isinstance(e, json.JSONDecodeError) else e
            on_error(CorpusError(path, no, f"malformed JSON record: {reason}", partial=True))
            continue
        yield Record(no, value)
