"""Request arguments of the search page and API: parsed once, bounded, and turned back into URLs.

Why a module of its own: the HTML page and the JSON API must accept exactly the same arguments
with the same limits and the same Arabic error messages, and the templates need to rebuild
links (facet, sort, page) from the same parsed state without re-reading ``request.args``.
Every bound here protects a worker thread: long queries, deep pages and huge pages are refused
before the engine is called, with a message that says what the limit is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from searchapp import querylang
from searchapp.engine import MAX_PER_PAGE, SORTS

MAX_PAGE = 1000
# Deepest result served (page * per_page): the engine collects every hit up to the requested
# page, so a bound on the window bounds the work, like Elasticsearch's max_result_window.
MAX_RESULT_WINDOW = 10_000
MAX_FILTER_CHARS = 200
MAX_PREFIX_CLAUSES = querylang.MAX_PREFIXES
# Dates and years outside this range are refused: the engine adds a day to ``date_to`` (an
# OverflowError at 9999-12-31), and no news archive reaches back before 1900.
MIN_YEAR, MAX_YEAR = 1900, 2100
# Integers are read by one strict parser (parse_int): ASCII digits only, since str.isdigit and
# int() accept superscripts and other scripts' digits, and at most this many of them, since
# int() refuses (ValueError) or slowly converts numbers of thousands of digits.
MAX_INT_DIGITS = 9
_ASCII_INT = re.compile(rf"[0-9]{{1,{MAX_INT_DIGITS}}}")
# The one date form the help and OpenAPI document (RFC 3339 full-date); fromisoformat alone
# would also take 20250307 and 2025-W10-1.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The parser bounds clauses (OR alternatives included) and prefixes silently, for the Python
# API; the web tells the reader instead (check_query_cost), so nothing is dropped unseen.
FILTER_KEYS = ("source", "section", "author")
TRUE_WORDS = {"1", "true", "yes", "on"}
MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
             "أكتوبر", "نوفمبر", "ديسمبر")


class ArgumentError(ValueError):
    """A request argument out of bounds; the message (Arabic) is shown to the reader."""


@dataclass
class SearchArgs:
    """The validated state of one search request."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    filters: dict[str, str] = field(default_factory=dict)
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    explain: bool = False

    @property
    def active(self) -> bool:
        """Whether there is anything to search for (else the page shows the bare box)."""
        return bool(self.q or self.filters or self.year or self.date_from or self.date_to)

    def engine_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`SearchEngine.search`."""
        lo, hi = self.date_from, self.date_to
        if self.year is not None:
            lo, hi = date(self.year, 1, 1), date(self.year, 12, 31)
        kwargs: dict[str, Any] = {
            "page": self.page, "per_page": self.per_page, "sort": self.sort,
            "filters": dict(self.filters), "date_from": lo, "date_to": hi,
        }
        if self.explain:  # only when asked: explanations cost time
            kwargs["explain"] = True
        return kwargs

    def url_args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments reproducing this search, with ``changes`` applied.

        A value of None removes the argument; defaults are left out so URLs stay short. Any
        change other than ``page`` goes back to page 1, since the old page number is
        meaningless for a different result set.
        """
        state: dict[str, Any] = {
            "q": self.q or None, "sort": None if self.sort == "relevance" else self.sort,
            "year": self.year, "explain": 1 if self.explain else None,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "page": self.page if self.page > 1 else None,
            **{k: self.filters.get(k) for k in FILTER_KEYS},
        }
        if "page" not in changes:
            state["page"] = None
        state.update(changes)
        if state.get("page") == 1:
            state["page"] = None
        return {k: v for k, v in state.items() if v not in (None, "")}


def parse_int(raw: str | None, name: str, default: int, lo: int, hi: int) -> int:
    """The one parser of integer request arguments: every endpoint bounds numbers the same way.

    Empty or absent means ``default``. Anything but 1 to MAX_INT_DIGITS ASCII digits (signs,
    exponents, ``1_000``, ``²``, Arabic-Indic digits) or a value outside ``lo..hi`` raises
    :class:`ArgumentError` with one message that states the accepted range.
    """
    text = (raw or "").strip(" \t")
    if text == "":
        return default
    if _ASCII_INT.fullmatch(text):
        value = int(text)
        if lo <= value <= hi:
            return value
    raise ArgumentError(f"المعامل {name} يجب أن يكون عددًا صحيحًا بين {lo} و{hi}")


def _int_arg(args: MultiDict, name: str, default: int, lo: int, hi: int) -> int:
    return parse_int(args.get(name), name, default, lo, hi)


def _date_arg(args: MultiDict, name: str) -> date | None:
    raw = args.get(name, "").strip(" \t")
    if not raw:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise ArgumentError(f"المعامل {name} يجب أن يكون تاريخًا بالشكل 2025-03-07") from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ArgumentError(f"المعامل {name} يجب أن يكون تاريخًا بين {MIN_YEAR}-01-01 "
                            f"و{MAX_YEAR}-12-31")
    return value


def check_query_cost(q: str) -> None:
    """Refuse queries whose cost is unbounded in the engine: too many OR terms or prefixes."""
    parsed = querylang.parse(q)
    if parsed.dropped_alternatives:
        raise ArgumentError(f"البحث يحتوي على أكثر من {querylang.MAX_CLAUSES} كلمة أو بديلًا؛ "
                            "اختصره وأعد المحاولة")
    if parsed.demoted_prefixes:
        raise ArgumentError(f"يمكن استخدام * في {querylang.MAX_PREFIXES} كلمات على الأكثر")


def parse_search_args(args: MultiDict) -> SearchArgs:
    """Validate ``request.args``; raises :class:`ArgumentError` with a reader-facing message."""
    q = args.get("q", "")
    if len(q) > querylang.MAX_QUERY_CHARS:
        raise ArgumentError(
            f"نص البحث أطول من {querylang.MAX_QUERY_CHARS} حرف؛ اختصره وأعد المحاولة")
    check_query_cost(q)
    sort = args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise ArgumentError("قيمة الترتيب غير معروفة؛ القيم المقبولة: " + "، ".join(SORTS))
    filters = {}
    for key in FILTER_KEYS:
        value = args.get(key, "").strip()
        if len(value) > MAX_FILTER_CHARS:
            raise ArgumentError(f"قيمة المعامل {key} أطول من {MAX_FILTER_CHARS} حرف")
        if value:
            filters[key] = value
    page = _int_arg(args, "page", 1, 1, MAX_PAGE)
    per_page = _int_arg(args, "per_page", 10, 1, MAX_PER_PAGE)
    if page * per_page > MAX_RESULT_WINDOW:
        raise ArgumentError(f"لا يمكن عرض ما بعد النتيجة رقم {MAX_RESULT_WINDOW:,}؛ "
                            "ضيّق البحث بكلمات أو مرشحات إضافية")
    year = _int_arg(args, "year", 0, MIN_YEAR, MAX_YEAR) or None
    date_from, date_to = _date_arg(args, "date_from"), _date_arg(args, "date_to")
    if date_from and date_to and date_from > date_to:
        raise ArgumentError("تاريخ البداية بعد تاريخ النهاية")
    return SearchArgs(
        q=q.strip(), page=page, per_page=per_page, sort=sort, filters=filters, year=year,
        date_from=date_from, date_to=date_to,
        explain=args.get("explain", "").strip().lower() in TRUE_WORDS,
    )


def format_count(n: int) -> str:
    """Western digits with a thousands separator, used for every number on the page."""
    return f"{n:,}"


def format_date(d: datetime | date | None) -> str:
    """``7 مارس 2025``: Arabic month names, Western digits (as the count and time use)."""
    if d is None:
        return ""
    return f"{d.day} {MONTHS_AR[d.month - 1]} {d.year}"
