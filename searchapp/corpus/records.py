"""Turn one decoded JSON record into an `Article`, tolerating the field names found in the wild.

Field aliases: body text from `body`, `content`, `text` or `paragraphs`; date from `date`,
`date_extracted` or `published`. A record without body text is a crawl failure, not an article,
and is rejected; a bad date keeps the record (date None) but is reported, so nothing is lost.
Every string that reaches the Article goes through `clean.clean_text` (ids: `clean_id`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .clean import clean_id, clean_text
from .model import KINDS, Article, Caption, CorpusError, make_id, split_credit

BODY_FIELDS = ("body", "content", "text", "paragraphs")
DATE_FIELDS = ("date", "date_extracted", "published")
TEXT_FIELDS = ("title", "subtitle", "section", "author", "location", "url", "source")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


class RecordError(ValueError):
    """A record that cannot become an article; the message is the reason given to the user."""


def split_paragraphs(text: str) -> list[str]:
    """Split on blank lines when the text has any, else on single newlines (SaudiNewsNet)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    parts = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return [p for p in map(_paragraph, parts) if p]


def _paragraph(text: str) -> str:
    # split/join collapses exactly the characters `\s` matches (str.isspace), several times
    # faster than a regex substitution on long paragraphs.
    return " ".join(clean_text(text).split())


def _text(rec: dict[str, Any], key: str, clean: Callable[[str], str] = clean_text) -> str:
    value = rec.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError(f"field {key!r} must be a string, not {type(value).__name__}")
    return clean(str(value)).strip()


def _paragraphs(rec: dict[str, Any]) -> list[str]:
    for key in BODY_FIELDS:
        value = rec.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return split_paragraphs(value)
        if isinstance(value, list) and all(isinstance(p, str) for p in value):
            return [p for p in map(_paragraph, value) if p]
        raise RecordError(f"field {key!r} must be a string or a list of strings")
    return []


def _captions(value: Any) -> list[Caption]:
    items = [value] if isinstance(value, str | dict) else value or []
    if not isinstance(items, list):
        raise RecordError("field 'captions' must be a list")
    out: list[Caption] = []
    for item in items:
        if isinstance(item, str):
            cap = split_credit(clean_text(item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            cap = Caption(clean_text(item["text"]), clean_text(str(item.get("credit") or "")))
        else:
            raise RecordError("each caption must be a string or an object with 'text'")
        if cap.text and cap not in out:
            out.append(cap)
    return out


def parse_date(value: Any) -> datetime:
    """ISO 8601 (with `Z` or an offset) or `YYYY-MM-DD hh:mm:ss`; raises ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"unreadable date {value!r}")
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"unreadable date {value!r} (expected ISO 8601)") from None


def to_article(rec: Any, path: str, line: int, *, source: str | None,
               on_error: Callable[[CorpusError], None], where: str = "") -> Article | None:
    """The Article for one record, or None (after reporting why) when it must be rejected.

    `where` locates the record on a line holding several (`record 12 (offset 3456)`); it prefixes
    each reason. These are content rejections of a record read in full: never `partial`.
    """
    def report(reason: str) -> None:
        on_error(CorpusError(path, line, f"{where}: {reason}" if where else reason))

    try:
        if not isinstance(rec, dict):
            raise RecordError(f"record is a JSON {type(rec).__name__}, not an object")
        fields = {key: _text(rec, key) for key in TEXT_FIELDS}
        paragraphs = _paragraphs(rec)
        if not paragraphs:
            raise RecordError("record without body text (crawl failure?): rejected")
        captions = _captions(rec.get("captions"))
        kind = _text(rec, "kind") or "article"
        if kind not in KINDS:
            raise RecordError(f"unknown kind {kind!r}")
        related = rec.get("related") or []
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            raise RecordError("field 'related' must be a list of ids")
        record_id = _text(rec, "id", clean_id)
    except RecordError as e:
        report(str(e))
        return None
    fields["source"] = fields["source"] or clean_text(source or "")
    date = None
    date_key = next((k for k in DATE_FIELDS if rec.get(k) not in (None, "")), None)
    if date_key is not None:
        try:
            date = parse_date(rec[date_key])
        except ValueError as e:
            report(f"{e}: record kept without a date")
    return Article(id=make_id(record_id, fields["url"], fields["title"], fields["source"]),
                   kind=kind, paragraphs=paragraphs, captions=captions, date=date,
                   related=[r for r in map(clean_id, related) if r], origin=f"{path}:{line}",
                   **fields)
