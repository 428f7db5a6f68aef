"""Text hygiene at ingestion: control and bidi-override characters never reach an `Article`.

Every text field of every format passes through here (records.py for JSON and JSON Lines, each
line of a page dump in pagedump.py), before ids are derived from titles, so an id never depends
on an invisible character. The rules:

* NUL and the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are
  deleted. They never separate words, and an unbalanced override (U+202E) reverses the rest of
  the result page around the snippet: a spoofing vector, not text.
* Other C0 controls (tab and line breaks included), DEL and the C1 controls (U+0080-U+009F)
  become a space: paragraphs are split before cleaning, so no field keeps line structure, and a
  tab between two words must keep them apart. Ends are stripped; inner spacing is otherwise
  left as written (paragraphs collapse their whitespace in records.py, as before).
* Kept: LRM/RLM (U+200E/U+200F) and the Arabic letter mark ALM (U+061C). They are zero-width
  direction marks with no scope (nothing to leave unterminated), so they cannot flip text around
  them, and mixed Arabic/Latin headlines use them legitimately. ZWNJ/ZWJ (U+200C/U+200D) stay too:
  they shape Arabic-script letters.
* Ids lose the same characters (deleted, not turned into spaces) and are otherwise kept as
  given.
"""

from __future__ import annotations

import re

_DELETE = re.compile("[\x00\u202a-\u202e\u2066-\u2069]+")
_TO_SPACE = re.compile("[\x01-\x1f\x7f-\x9f]")  # C0 but NUL, DEL, C1
_ID_DELETE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


def clean_text(text: str) -> str:
    """One line of displayable text: controls removed as the module docstring says, ends
    stripped."""
    if text.isprintable():  # the common case, checked in C: no control, no format character
        return text.strip()
    return _TO_SPACE.sub(" ", _DELETE.sub("", text)).strip()


def clean_id(value: str) -> str:
    """An id without control or bidi-override characters, otherwise unchanged."""
    return _ID_DELETE.sub("", value)
