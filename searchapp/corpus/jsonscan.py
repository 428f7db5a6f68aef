"""Find where records end without decoding them: a resumable bracket scanner for JSON values and
a line splitter for JSON Lines, both linear in the input and both bounded by a per-record cap.

Each character is looked at once, however many chunks a record spans: the scanner keeps its
state (depth, inside a string, pending escape) between chunks instead of rescanning from the
record start, and the splitter collects a long line's pieces in a list, joined once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

# A SaudiNewsNet article is at most ~100 KB of JSON (measured: largest record of 2015-07-22.zip,
# 2,050 records) and a long-form story a few hundred KB. 8 MiB is twenty times that: any bigger
# "record" is a broken file (a missing newline joining a whole export, a binary blob), and holding
# it would cost memory without giving an article anyone can read.
MAX_RECORD_BYTES = 8 << 20

_TOKEN = re.compile(r'[{}\[\]"]')
_SCALAR_END = re.compile(r'[,\]}\[{"]')  # not whitespace: a run of garbage is one bad value


def utf8_size(text: str) -> int:
    """Size of decoded text in UTF-8 bytes, so the cap means the same for every encoding."""
    return len(text.encode("utf-8", "surrogatepass"))


def size_label(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB" if n >= 1 << 20 else f"{n} bytes"


def cap_label(n: int) -> str:
    return f"{n / (1 << 20):g} MB" if n >= 1 << 20 else f"{n} bytes"


class ValueScanner:
    """Where the (possibly malformed) JSON value fed to it ends, by brackets and strings only.

    Feed the text from the value's first character, then each following chunk from 0; `feed`
    returns the end offset in the text just fed, or None when the value goes on. A bare scalar
    (number, literal) ends at the next `,]}[{"` or at end of input (`at_eof`); the decoder then
    finds its exact end, this only bounds it. Bracket
    kinds are not matched against each other: a malformed value still ends somewhere.
    """

    def __init__(self) -> None:
        self.mode = ""  # "" before the first character, then "scalar" or "nested"
        self.depth = 0
        self.in_string = False
        self.escape = False

    @property
    def at_eof(self) -> bool:
        """True when end of input also ends the value (a bare scalar)."""
        return self.mode == "scalar"

    def feed(self, text: str, i: int = 0) -> int | None:
        if not self.mode:
            if i >= len(text):
                return None
            ch = text[i]
            if ch in "{[":
                self.mode, self.depth = "nested", 1
                i += 1
            elif ch == '"':
                self.mode, self.in_string = "nested", True
                i += 1
            elif _SCALAR_END.match(text, i):  # a stray , } : consume it so reading goes on
                return i + 1
            else:
                self.mode = "scalar"
        if self.mode == "scalar":
            m = _SCALAR_END.search(text, i)
            return None if m is None else m.start()
        return self._nested(text, i)

    def _nested(self, text: str, i: int) -> int | None:
        while True:
            if self.in_string:
                end = self._string_end(text, i)
                if end is None:
                    return None
                i, self.in_string = end, False
                if self.depth == 0:
                    return i
                continue
            m = _TOKEN.search(text, i)
            if m is None:
                return None
            ch, i = m.group(), m.end()
            if ch == '"':
                self.in_string = True
            elif ch in "{[":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 0:
                    return i

    def _string_end(self, text: str, i: int) -> int | None:
        """Offset past the closing quote, or None (string goes on). Quotes are found with
        str.find, escapes judged by the parity of the backslashes before a quote: text full of
        escapes (`\\n`, `\\u0627`) is not walked escape by escape."""
        n = len(text)
        if self.escape:  # the previous chunk ended inside an escape
            if i >= n:
                return None
            i, self.escape = i + 1, False
        while (q := text.find('"', i)) >= 0:
            k = q
            while k > i and text[k - 1] == "\\":
                k -= 1
            if (q - k) % 2 == 0:
                return q + 1
            i = q + 1  # an escaped quote
        k = n
        while k > i and text[k - 1] == "\\":
            k -= 1
        self.escape = (n - k) % 2 == 1
        return None


class Oversize(NamedTuple):
    """Stands for a line longer than the cap, whose pieces were dropped as they arrived."""

    size: int


def split_lines(chunks: Iterable[str] | Iterable[bytes], cap: int = MAX_RECORD_BYTES
                ) -> Iterator[Any]:
    """Lines of a chunked stream (bytes or str), each joined once from its pieces; a line over
    `cap` bytes comes out as `Oversize` without ever being held whole."""
    pieces: list[Any] = []
    size = 0  # of the line in progress
    empty: Any = None
    for chunk in chunks:
        if empty is None:
            empty = chunk[:0]
        measure = len if isinstance(chunk, bytes) else utf8_size
        parts = chunk.split(b"\n" if isinstance(chunk, bytes) else "\n")
        for k, part in enumerate(parts):
            size += measure(part)
            if size > cap:
                pieces = []
            elif part:
                pieces.append(part)
            if k == len(parts) - 1:
                break  # the last part has no newline yet: the line goes on in the next chunk
            if size > cap:
                yield Oversize(size)
            else:
                yield pieces[0] if len(pieces) == 1 else empty.join(pieces)
            pieces, size = [], 0
    if size > cap:
        yield Oversize(size)
    elif pieces:
        yield empty.join(pieces)
