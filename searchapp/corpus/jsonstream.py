"""Stream JSON values out of large files with bounded memory, recovering from bad records.

A JSON array is decoded record by record with `json.JSONDecoder.raw_decode` over a sliding text
buffer (never `json.load` of the whole file); JSON Lines are decoded one line at a time. When a
record is malformed, a small bracket scanner finds where it ends so that the next records still
load: one bad record costs one record, not the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .model import CorpusError

CHUNK_CHARS = 1 << 16
MAX_RECORD_CHARS = 64 << 20  # a "record" larger than this is a broken file, not a record
_WS = re.compile(r"\s*")
_TOKEN = re.compile(r'[{}\[\],"]')
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"', re.S)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # undecodable bytes kept by surrogateescape
_decoder = json.JSONDecoder()

Record = tuple[int, Any]  # (line where the value starts, decoded value)
OnError = Callable[[CorpusError], None]


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


def _skip_value(buf: str, pos: int) -> int | None:
    """End of the (possibly malformed) value at `pos`, by bracket and string matching only;
    None when the buffer ends first."""
    depth = 0
    i = pos
    while (m := _TOKEN.search(buf, i)) is not None:
        ch, i = m.group(), m.end()
        if ch == '"':
            s = _STRING_REST.match(buf, i)
            if s is None:
                return None
            i = s.end()
            if depth == 0:
                return i
        elif ch in "{[":
            depth += 1
        elif depth == 0:  # , ] } at top level: the value ended just before it
            return m.start() if m.start() > pos else m.end()
        elif ch != ",":
            depth -= 1
            if depth == 0:
                return i
    return None


class _Buffer:
    """A window on the decoded text, with the line number of any position in it."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self.chunks, self.text, self.eof = chunks, "", False
        self.counted, self.line = 0, 1  # line number at offset `counted`

    def more(self) -> bool:
        chunk = next(self.chunks, None)
        if chunk is None:
            self.eof = True
            return False
        self.text += chunk
        return True

    def line_at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.counted, pos)
        self.counted = pos
        return self.line

    def skip_ws(self, pos: int) -> int:
        """Position of the next non-space character, reading more as needed (len at EOF)."""
        while True:
            pos = _WS.match(self.text, pos).end()
            if pos < len(self.text) or not self.more():
                return pos

    def drop_before(self, pos: int) -> int:
        """Forget text before `pos` once it is large; returns the new position of `pos`."""
        if pos < CHUNK_CHARS:
            return pos
        self.line_at(pos)
        self.text, self.counted = self.text[pos:], 0
        return 0


def iter_json(chunks: Iterator[str], path: str, on_error: OnError) -> Iterator[Record]:
    """Values of a JSON array, or of one or more whitespace-separated top-level values."""
    buf = _Buffer(chunks)
    pos = buf.skip_ws(0)
    in_array = buf.text.startswith("[", pos)
    if in_array:
        pos = buf.skip_ws(pos + 1)
    while pos < len(buf.text):
        if in_array and buf.text[pos] == "]":
            pos = buf.skip_ws(pos + 1)
            if pos < len(buf.text):
                on_error(CorpusError(path, buf.line_at(pos), "data after the end of the array: "
                                     "ignored"))
            return
        start_line = buf.line_at(pos)
        pos, value, ok = _decode_one(buf, pos, path, start_line, on_error)
        if pos is None:
            return
        if ok:
            yield start_line, value
        pos = buf.drop_before(buf.skip_ws(pos))
        if in_array and pos < len(buf.text):
            if buf.text[pos] == ",":
                pos = buf.skip_ws(pos + 1)
            elif buf.text[pos] != "]":
                on_error(CorpusError(path, buf.line_at(pos), "expected ',' between records"))
    if in_array:
        on_error(CorpusError(path, buf.line_at(pos), "unterminated JSON array (file truncated?)"))


def _decode_one(buf: _Buffer, pos: int, path: str, line: int, on_error: OnError
                ) -> tuple[int | None, Any, bool]:
    """(end, value, ok) of the value at `pos`; end None when nothing more can be read."""
    while True:
        try:
            value, end = _decoder.raw_decode(buf.text, pos)
            if end == len(buf.text) and not buf.eof and buf.more():
                continue  # a number may go on in the next chunk
            if _ESCAPED_BYTE.search(buf.text, pos, end):
                on_error(CorpusError(path, line, "record contains bytes that are not valid text "
                                     "in the file's encoding: rejected"))
                return end, None, False
            return end, value, True
        except (ValueError, RecursionError) as e:  # JSONDecodeError, huge int, deep nesting
            end = _skip_value(buf.text, pos)
            if end is None and len(buf.text) - pos < MAX_RECORD_CHARS and buf.more():
                continue
            msg = getattr(e, "msg", None) or str(e) or type(e).__name__
            err_pos = getattr(e, "pos", pos)
            where = f"line {buf.line_at(pos) + buf.text.count(chr(10), pos, err_pos)}"
            if end is None:
                on_error(CorpusError(path, line, f"unterminated JSON record ({msg} at {where})"
                                     "; rest of file skipped"))
                return None, None, False
            on_error(CorpusError(path, line, f"malformed JSON record: {msg} at {where}"))
            return end, None, False


def _split_lines(chunks: Iterable[str] | Iterable[bytes]) -> Iterator[Any]:
    """Lines of a chunked stream, without reading more than one line plus one chunk."""
    carry: Any = None
    for chunk in chunks:
        parts = (chunk if carry is None else carry + chunk).split(b"\n" if isinstance(chunk, bytes)
                                                                 else "\n")
        carry = parts.pop()
        yield from parts
    if carry:
        yield carry


def iter_json_lines(chunks: Iterable[bytes], codec: str, path: str, on_error: OnError
                    ) -> Iterator[Record]:
    """One value per line; a bad line is reported with its number and skipped."""
    if codec == "utf-16":  # "\n" is not a byte of its own in UTF-16: split decoded text
        lines: Iterator[Any] = _split_lines(decode_chunks(chunks, codec))
    else:
        lines = _split_lines(chunks)
    for no, raw in enumerate(lines, 1):
        try:
            line = raw if isinstance(raw, str) else raw.decode(
                "utf-8-sig" if no == 1 and codec.startswith("utf-8") else codec)
        except UnicodeDecodeError as e:
            on_error(CorpusError(path, no, f"invalid {codec} text: {e.reason}: record rejected"))
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, huge int, deep nesting
            reason = f"{e.msg} at column {e.colno}" if isinstance(e, json.JSONDecodeError) else e
            on_error(CorpusError(path, no, f"malformed JSON record: {reason}"))
            continue
        yield no, value
