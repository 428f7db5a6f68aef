"""The reader's query language, parsed forgivingly into a small syntax tree.

Syntax: plain words; ``"a phrase"``; ``-word`` or ``-"phrase"`` to exclude; ``OR`` / ``أو``
between two clauses; ``field:value`` filters for source, section and author (quoted values may
contain spaces); ``date:2025-03`` or ``date:2025-01..2025-03``; ``word*`` prefix search (at least
two letters). Anything malformed degrades to plain words: an unbalanced quote is a phrase to
the end of the input, a lone ``-`` or ``*`` is ignored, an unknown ``field:`` is text. Parsing
never raises, and the input is bounded before parsing (see ``MAX_QUERY_CHARS``). A question
(:mod:`searchapp.questions`) keeps only its filters as syntax: see :func:`parse`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64  # words, phrases and OR alternatives together
MAX_PREFIXES = 3  # each prefix expands to many terms: more are read as plain words
FILTER_FIELDS = {"source", "section", "author"}

# One token of the raw query: optional '-', then a field prefix, then a quoted or bare value.
_TOKEN = re.compile(
    r'(?P<neg>-)?(?:(?P<field>[A-Za-z]+):)?(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s"]+))'
)
_OR_WORDS = {"OR", "أو", "او"}
# Anything but letters, digits, Arabic marks, tatweel, joiners, '-' and '*' separates words.
_PUNCT = re.compile(r"[^\w\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d*-]+|_+")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


@dataclass
class Clause:
    """One positive or negative unit: a word, a phrase or a prefix."""

    text: str
    kind: str = "word"  # "word" | "phrase" | "prefix"
    negated: bool = False
    alternatives: list[Clause] = field(default_factory=list)  # OR-ed with this clause


@dataclass
class ParsedQuery:
    clauses: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: datetime | None = None
    date_to: datetime | None = None
    #: How much the bounds cut: clauses past MAX_CLAUSES (those that were OR alternatives
    #: counted apart: pasted long text is fine to cut, a huge OR list is not what the reader
    #: meant), prefixes past MAX_PREFIXES (searched as plain words).
    dropped_clauses: int = 0
    dropped_alternatives: int = 0
    demoted_prefixes: int = 0
    #: A natural-language question (:mod:`searchapp.questions`): its quotes, hyphens, أو and
    #: month-like words were read as words, and it is ranked as a passage query.
    question: bool = False


def _date_bounds(value: str) -> tuple[datetime, datetime] | None:
    """``2025``, ``2025-03`` or ``2025-03-07`` -> [start, end) of that year/month/day."""
    m = _DATE.match(value)
    if not m:
        return None
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            start = datetime(y, int(mo), int(d))
            end = datetime.fromordinal(start.toordinal() + 1)
        elif mo:
            start = datetime(y, int(mo), 1)
            end = datetime(y + (start.month == 12), start.month % 12 + 1, 1)
        else:
            start, end = datetime(y, 1, 1), datetime(y + 1, 1, 1)
    except ValueError:
        return None
    return start, end


def _parse_date(value: str, parsed: ParsedQuery) -> bool:
    lo, _, hi = value.partition("..")
    first = _date_bounds(lo) if lo else None
    last = _date_bounds(hi or lo) if (hi or lo) else None
    if (lo and first is None) or ((hi or lo) and last is None) or not (first or last):
        return False
    if first:
        parsed.date_from = first[0]
    if last:
        parsed.date_to = last[1]
    return True


def parse(raw: str, question: bool | None = None) -> ParsedQuery:
    """Parse ``raw`` (never raises; output bounded to ``MAX_CLAUSES`` clauses).

    ``question`` (None: detect it, :func:`searchapp.questions.is_question`): in a question,
    only the unambiguous syntax is read (``field:value`` filters and ``date:``); quotes,
    hyphens, ``-``, ``*`` and OR/أو are words or separators, as the writer meant them
    (``متى اصدرت النمسا-المجر``, ``كتاب "معالم العالم``, ``جماعية او فردية``).
    """
    from searchapp.questions import is_question

    raw = (raw or "")[:MAX_QUERY_CHARS]
    if question is None:
        question = is_question(raw)
    if question:
        return _parse_question(raw)
    parsed = ParsedQuery()
    pending_or = False
    count = prefixes = 0
    for m in _TOKEN.finditer(raw):
        neg, fld = m.group("neg"), m.group("field")
        quoted, bare = m.group("quoted"), m.group("bare")
        value = quoted if quoted is not None else (bare or "")
        if bare in _OR_WORDS and not neg and not fld:
            pending_or = bool(parsed.clauses)
            continue
        if fld:
            key = fld.lower()
            if key in FILTER_FIELDS and value.strip():
                parsed.filters.setdefault(key, []).append(value.strip())
                continue
            if key == "date" and _parse_date(value.strip(), parsed):
                continue
            # Unknown field: "foo:bar" is just the two words foo and bar.
            head = _clause(fld, phrase=False, negated=bool(neg))
            if head is not None and count < MAX_CLAUSES:
                parsed.clauses.append(head)
                count += 1
        # Punctuation glued between bare words (عمان،المملكة or 15؟) separates them.
        pieces = [value] if quoted is not None else [p for p in _PUNCT.split(value) if p]
        for piece in pieces:
            clause = _clause(piece, phrase=quoted is not None, negated=bool(neg))
            if clause is None:
                continue
            if count >= MAX_CLAUSES:
                parsed.dropped_clauses += 1
                parsed.dropped_alternatives += pending_or
                pending_or = False
                continue
            if clause.kind == "prefix":
                if prefixes >= MAX_PREFIXES:
                    clause.kind = "word"
                    parsed.demoted_prefixes += 1
                prefixes += 1
            count += 1
            if pending_or and not clause.negated and not parsed.clauses[-1].negated:
                parsed.clauses[-1].alternatives.append(clause)
            else:
                parsed.clauses.append(clause)
            pending_or = False
    return parsed


_LITERAL_SEPARATORS = re.compile(r'["*]|(?<!\S)-+|-+(?!\S)|(?<=\w)-(?=\w)')


def _parse_question(raw: str) -> ParsedQuery:
    """A question: its filters, then every other token as plain words (see ``parse``)."""
    parsed = ParsedQuery(question=True)
    words: list[str] = []
    for token in raw.split():
        fld, sep, value = token.partition(":")
        key = fld.lower()
        if sep and value and key in FILTER_FIELDS and fld.isascii():
            parsed.filters.setdefault(key, []).append(value.strip('"'))
            continue
        if sep and key == "date" and _parse_date(value.strip(), parsed):
            continue
        words.append(token)
    text = _LITERAL_SEPARATORS.sub(" ", " ".join(words))
    for piece in _PUNCT.split(text):
        piece = piece.strip("-")
        if not piece:
            continue
        if len(parsed.clauses) >= MAX_CLAUSES:
            parsed.dropped_clauses += 1
            continue
        parsed.clauses.append(Clause(piece))
    return parsed


def _clause(value: str, phrase: bool, negated: bool) -> Clause | None:
    value = value.strip()
    if phrase:
        return Clause(value, "phrase", negated) if value.strip("-* ") else None
    if value.endswith("*"):
        stem = value.rstrip("*")
        if len(stem) >= 2 and "*" not in stem:
            return Clause(stem, "prefix", negated)
        value = stem.replace("*", " ")
    value = value.replace("*", " ").strip("- ")
    if not value:
        return None
    return Clause(value, "phrase" if " " in value or "-" in value else "word", negated)
