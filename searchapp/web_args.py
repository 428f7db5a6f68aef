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
MAX_SUGGEST_CHARS = 100
MAX_SUGGEST_LIMIT = 20
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
FALSE_WORDS = {"0", "false", "no", "off"}
#: How error messages name request arguments: in Arabic words, never the raw key (``page``).
FIELD_LABELS = {
    "q": "نص البحث", "page": "رقم الصفحة", "per_page": "عدد النتائج في الصفحة",
    "sort": "الترتيب", "source": "المصدر", "section": "القسم", "author": "الكاتب",
    "year": "السنة", "date_from": "تاريخ البداية", "date_to": "تاريخ النهاية",
    "limit": "عدد الاقتراحات", "explain": "شرح الترتيب", "collapse": "دمج المتشابهات",
    "correct": "التصحيح الإملائي", "id": "معرّف المقال",
}
MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
             "أكتوبر", "نوفمبر", "ديسمبر")


class ArgumentError(ValueError):
    """A request argument out of bounds; the message (Arabic) is shown to the reader.

    ``field`` names the offending argument (``page``, ``q``) and ``code`` is a stable,
    English error code for programs (``bad_parameter``, ``query_too_long``,
    ``query_too_complex``): the JSON API returns both beside the Arabic sentence.
    """

    def __init__(self, message: str, field: str | None = None,
                 code: str = "bad_parameter") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def field_label(name: str) -> str:
    """The Arabic words for a request argument, for messages (the key itself if unknown)."""
    return FIELD_LABELS.get(name, name)


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
    #: Fold near-duplicates (on unless ``collapse=0``) and search the spelling correction
    #: when it clearly finds more (on unless ``correct=0``, the "search instead for" link).
    collapse: bool = True
    correct: bool = True

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
            "collapse": self.collapse, "autocorrect": self.correct,
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
            "collapse": None if self.collapse else 0, "correct": None if self.correct else 0,
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
    raise ArgumentError(f"{field_label(name)} يجب أن يكون عددًا صحيحًا بين {lo} و{hi}", name)


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
        raise ArgumentError(f"{field_label(name)} يجب أن يكون تاريخًا بالشكل 2025-03-07",
                            name) from None
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ArgumentError(f"{field_label(name)} يجب أن يكون تاريخًا بين {MIN_YEAR}-01-01 "
                            f"و{MAX_YEAR}-12-31", name)
    return value


def check_query_cost(q: str) -> None:
    """Refuse queries whose cost is unbounded in the engine: too many OR terms or prefixes."""
    parsed = querylang.parse(q)
    if parsed.dropped_alternatives:
        raise ArgumentError(f"البحث يحتوي على أكثر من {querylang.MAX_CLAUSES} كلمة أو بديلًا؛ "
                            "اختصره وأعد المحاولة", "q", "query_too_complex")
    if parsed.demoted_prefixes:
        raise ArgumentError(f"يمكن استخدام * في {querylang.MAX_PREFIXES} كلمات على الأكثر",
                            "q", "query_too_complex")


def parse_search_args(args: MultiDict) -> SearchArgs:
    """Validate ``request.args``; raises :class:`ArgumentError` with a reader-facing message."""
    q = args.get("q", "")
    if len(q) > querylang.MAX_QUERY_CHARS:
        raise ArgumentError(
            f"نص البحث أطول من {querylang.MAX_QUERY_CHARS} حرف؛ اختصره وأعد المحاولة", "q",
            "query_too_long")
    check_query_cost(q)
    sort = args.get("sort", "") or "relevance"
    if sort not in SORTS:
        raise ArgumentError("قيمة الترتيب غير معروفة؛ القيم المقبولة: " + "، ".join(SORTS),
                            "sort")
    filters = {}
    for key in FILTER_KEYS:
        value = args.get(key, "").strip()
        if len(value) > MAX_FILTER_CHARS:
            raise ArgumentError(f"قيمة {field_label(key)} أطول من {MAX_FILTER_CHARS} حرف",
                                key)
        if value:
            filters[key] = value
    page = _int_arg(args, "page", 1, 1, MAX_PAGE)
    per_page = _int_arg(args, "per_page", 10, 1, MAX_PER_PAGE)
    if page * per_page > MAX_RESULT_WINDOW:
        raise ArgumentError(f"لا يمكن عرض ما بعد النتيجة رقم {MAX_RESULT_WINDOW:,}؛ "
                            "ضيّق البحث بكلمات أو مرشحات إضافية", "page")
    year = _int_arg(args, "year", 0, MIN_YEAR, MAX_YEAR) or None
    date_from, date_to = _date_arg(args, "date_from"), _date_arg(args, "date_to")
    if date_from and date_to and date_from > date_to:
        raise ArgumentError("تاريخ البداية بعد تاريخ النهاية", "date_from")
    return SearchArgs(
        q=q.strip(), page=page, per_page=per_page, sort=sort, filters=filters, year=year,
        date_from=date_from, date_to=date_to,
        explain=args.get("explain", "").strip().lower() in TRUE_WORDS,
        collapse=args.get("collapse", "").strip().lower() not in FALSE_WORDS,
        correct=args.get("correct", "").strip().lower() not in FALSE_WORDS,
    )


def format_count(n: int) -> str:
    """Western digits with a thousands separator, used for every number on the page."""
    return f"{n:,}"


@dataclass(frozen=True)
class CountNoun:
    """The forms an Arabic noun takes after a number (``{n}`` is the formatted number).

    ``zero`` (0), ``one`` (1) and ``two`` (2) are whole phrases (لا نتائج، نتيجة واحدة،
    نتيجتان); ``few`` follows 3-10, ``many`` 11-99 (the accusative singular of the tamyiz:
    مقالًا), ``other`` 100, 101, 102, 1000... (the genitive singular).
    """

    zero: str
    one: str
    two: str
    few: str
    many: str
    other: str


RESULTS = CountNoun("لا نتائج", "نتيجة واحدة", "نتيجتان", "{n} نتائج", "{n} نتيجة",
                    "{n} نتيجة")
SIMILAR_ARTICLES = CountNoun("لا مقالات مشابهة", "مقال مشابه", "مقالان مشابهان",
                             "{n} مقالات مشابهة", "{n} مقالًا مشابهًا", "{n} مقال مشابه")
CAPTIONS = CountNoun("لا تعليقات", "تعليق واحد", "تعليقان", "{n} تعليقات", "{n} تعليقًا",
                     "{n} تعليق")


def count_phrase(n: int, noun: CountNoun = RESULTS) -> str:
    """``n`` and its noun by the Arabic plural rules, the one place every count is worded.

    The categories are CLDR's for Arabic (zero, one, two, few: n % 100 in 3..10, many:
    n % 100 in 11..99, other), so 103 takes the plural like 3 (١٠٣ نتائج) and 111 the
    singular like 11. The number keeps the page's digit style (:func:`format_count`).
    """
    if n == 0:
        return noun.zero
    if n == 1:
        return noun.one
    if n == 2:
        return noun.two
    rest = n % 100
    form = noun.few if 3 <= rest <= 10 else noun.many if rest >= 11 else noun.other
    return form.format(n=format_count(n))


def format_date(d: datetime | date | None) -> str:
    """``7 مارس 2025``: Arabic month names, Western digits (as the count and time use)."""
    if d is None:
        return ""
    return f"{d.day} {MONTHS_AR[d.month - 1]} {d.year}"
