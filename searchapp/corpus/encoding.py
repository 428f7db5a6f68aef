"""Decide how a file's bytes become text: UTF-8 (with or without BOM), UTF-16 with BOM, or
Windows-1256, the code page of many older Arabic corpora. Anything else is refused with a
`CorpusError` naming the file, because guessing wrong would index mojibake silently. Such a
refusal, and any damaged byte, is `partial`: the file's content was not (all) read.

Windows-1256 maps every byte to some character, so "it decodes" proves nothing; it is accepted
only when the non-ASCII text it yields is overwhelmingly Arabic. ISO-8859-6 or Latin-1 input
decoded as Windows-1256 gives accented Latin letters inside Arabic words and fails that test.
"""

from __future__ import annotations

import codecs
import re

from .model import CorpusError

SNIFF_BYTES = 64 * 1024
# Share of non-ASCII characters that must be Arabic (or typical Arabic-text punctuation) before
# bytes that are not UTF-8 are taken as Windows-1256.
ARABIC_SHARE = 0.9
_ARABIC_PUNCT = frozenset("«»×÷…–—‘’“”•€\u00a0\u200c\u200d\u200e\u200f")
MAX_BAD_UTF8 = 0.1  # corrupt bytes tolerated in UTF-8 text, per non-ASCII character
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes kept by the surrogateescape handler
_BINARY_CONTROL_SHARE = 0.01  # more control bytes than this in the head: not a text file
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\x1a")  # \x1a: DOS end-of-file mark, harmless


def _is_arabic(ch: str) -> bool:
    o = ord(ch)
    return 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFEFF


def looks_like_cp1256(data: bytes) -> bool:
    """True when `data` decoded as Windows-1256 reads as Arabic text, not as mojibake."""
    text = data.decode("cp1256", errors="replace")
    arabic = other = 0
    for ch in text:
        if ch < "\x80":
            continue
        if _is_arabic(ch):
            arabic += 1
        elif ch not in _ARABIC_PUNCT:
            other += 1
    return arabic > 0 and arabic >= ARABIC_SHARE * (arabic + other)


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in _TEXT_CONTROLS)
    return controls > _BINARY_CONTROL_SHARE * max(len(head), 1)


def sniff(head: bytes, path: str, *, complete: bool) -> str:
    """Name the codec for a file whose first bytes are `head`.

    `complete` says `head` is the whole file; otherwise a multibyte UTF-8 character cut at the
    end of `head` must not count against UTF-8. Raises CorpusError (binary or unknown encoding).
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise CorpusError(path, None, "unsupported text encoding UTF-32 (use UTF-8)",
                          partial=True)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _looks_binary(head):
        raise CorpusError(path, None, "binary file, not text: skipped", partial=True)
    if mostly_utf8(head, complete=complete):
        return "utf-8"
    if looks_like_cp1256(head):
        return "cp1256"
    raise CorpusError(
        path, None, "unknown text encoding (expected UTF-8, UTF-16 with BOM or Windows-1256)",
        partial=True,
    )


def mostly_utf8(data: bytes, *, complete: bool = True) -> bool:
    """Valid UTF-8, or UTF-8 with a few corrupt bytes (at most MAX_BAD_UTF8 of the non-ASCII
    characters): such a file is kept and only the damaged records are reported, whereas text in
    a single-byte code page fails on nearly every non-ASCII byte."""
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=complete)
    bad = text.count("\ufffd")
    if not bad:
        return True
    non_ascii = sum(1 for ch in text if ch >= "\x80")
    return bad <= MAX_BAD_UTF8 * non_ascii


def decode(data: bytes, path: str) -> tuple[str, list[CorpusError]]:
    """Decode a whole (small) file with the rules of `sniff`: (text, problems to report).

    Corrupt bytes in otherwise UTF-8 text become U+FFFD and each damaged line is reported, so
    the rest of the file is still usable. Raises CorpusError when the file is not text.
    """
    codec = sniff(data[:SNIFF_BYTES], path, complete=len(data) <= SNIFF_BYTES)
    if codec == "utf-8" and not mostly_utf8(data):
        if not looks_like_cp1256(data):
            raise CorpusError(path, None, "unknown text encoding (mostly not UTF-8)",
                              partial=True)
        codec = "cp1256"
    if codec.startswith("utf-8"):
        text = data.decode(codec, errors="surrogateescape")
        problems = [CorpusError(path, no, "invalid UTF-8 bytes replaced by U+FFFD", partial=True)
                    for no, line in enumerate(text.splitlines(), 1) if _ESCAPED.search(line)]
        return _ESCAPED.sub("\ufffd", text), problems
    try:
        return data.decode(codec), []
    except UnicodeDecodeError as e:
        raise CorpusError(path, None, f"invalid {codec} text: {e.reason}", partial=True) from e
