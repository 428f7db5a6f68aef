"""The values that ingestion produces: `Article`, `Caption`, `CorpusError`, and stable ids.

Everything downstream (indexer, engine, web) sees only these plain dataclasses, never a parser,
so each input format is free to change without touching them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from searchapp.arabic import normalize

KINDS = ("article", "teaser")


@dataclass(frozen=True)
class Caption:
    """An image caption; the photo credit is kept apart so it never pollutes the caption text."""

    text: str
    credit: str = ""


@dataclass
class Article:
    """One news item, full article or related-articles teaser, in the form the indexer stores."""

    id: str
    title: str
    kind: str = "article"
    subtitle: str = ""
    paragraphs: list[str] = field(default_factory=list)
    captions: list[Caption] = field(default_factory=list)
    section: str = ""
    author: str = ""
    location: str = ""
    date: datetime | None = None
    url: str = ""
    source: str = ""
    related: list[str] = field(default_factory=list)
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (date as ISO 8601); `Article.from_dict` inverts it exactly."""
        # Built by hand: dataclasses.asdict deep-copies recursively, and this runs for every
        # document of every reindex.
        d = {f.name: getattr(self, f.name) for f in _FIELDS}
        d["paragraphs"] = list(self.paragraphs)
        d["captions"] = [{"text": c.text, "credit": c.credit} for c in self.captions]
        d["related"] = list(self.related)
        d["date"] = self.date.isoformat() if self.date is not None else None
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Article:
        """Rebuild an Article from `to_dict()` output (captions from dicts, date from ISO)."""
        d = dict(d)
        caps = d.get("captions", [])
        d["captions"] = [c if isinstance(c, Caption) else Caption(**c) for c in caps]
        date = d.get("date")
        d["date"] = datetime.fromisoformat(date) if isinstance(date, str) else date
        d["paragraphs"] = list(d.get("paragraphs", []))
        d["related"] = list(d.get("related", []))
        return cls(**d)

    def content_hash(self) -> str:
        """sha256 over every field but `origin`, so moving a file does not force a reindex."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def canonical_json(self) -> str:
        """Every field but `origin` as compact, key-sorted JSON: what `content_hash` hashes
        (the indexer stores this very string, hashing and serializing each article once)."""
        d = self.to_dict()
        del d["origin"]
        return json.dumps(d, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_FIELDS = fields(Article)


class CorpusError(Exception):
    """A problem with one record or file; `str()` is `path:line: reason` for editors and logs.

    `path` is the display path: `file`, `archive.zip!member.json`, or the directory or top-level
    path the problem is about. `line` is None for file-level problems.

    `partial` is the contract the indexer relies on: True means some of this path's content may
    not have been read, so articles previously indexed from it must NOT be deleted. The rule:
    partial=True whenever bytes did not become intact, inspected records — the file or directory
    could not be opened, listed or read (missing, permissions, not text), an archive or gzip
    stream is truncated or corrupt (bad CRC), text could not be decoded, JSON is malformed,
    unterminated or over the record size cap, or data was ignored: an article may hide in what
    was lost. partial=False for rejections of a record that was read in full (no body text, bad
    date, wrong field types, duplicate id with other content): its content is known and refused.
    """

    def __init__(self, path: str, line: int | None, reason: str, *,
                 partial: bool = False) -> None:
        super().__init__(path, line, reason, partial)  # args feed __reduce__: picklable
        self.path = str(path)
        self.line = line
        self.reason = reason
        self.partial = partial

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Exception's default reduce calls cls(*args), which cannot pass keyword-only `partial`.
        return _rebuild_error, (type(self), *self.args)

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path}:{self.line}: {self.reason}"


def _rebuild_error(cls: type[CorpusError], path: str, line: int | None, reason: str,
                   partial: bool) -> CorpusError:
    return cls(path, line, reason, partial=partial)


def _sha1_15(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:15]


def make_id(record_id: str | None, url: str, title: str, source: str) -> str:
    """Stable id: the record's own id, else one from the URL, else from normalized title+source.

    The prefixes ("u", "t") keep the three spaces apart, so a URL hash can never collide with a
    title hash; the title is normalized so that spelling variants of one headline agree.
    """
    if record_id:
        return record_id
    if url:
        return "u" + _sha1_15(url)
    return "t" + _sha1_15(normalize(title) + "|" + source)


def split_credit(line: str) -> Caption:
    """Split `caption (credit)` on its final balanced parenthesis; no parenthesis: no credit."""
    line = line.strip()
    start = trailing_paren_start(line)
    if start is None or start == 0:
        return Caption(line, "")
    return Caption(line[:start].rstrip(), line[start + 1 : -1].strip())


def trailing_paren_start(line: str) -> int | None:
    """Index of the `(` that opens the balanced group ending the line, or None.

    Balanced, not the last `(`, because credits and places nest: `القامشلي (سوريا)`.
    """
    if not line.endswith(")"):
        return None
    depth = 0
    for i in range(len(line) - 1, -1, -1):
        ch = line[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                return i
    return None
