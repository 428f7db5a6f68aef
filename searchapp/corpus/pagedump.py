"""Parse text scraped from a news page (`.txt` page dumps) into articles and teasers.

The parser works on structural cues, never on the sample's wording:

* The site furniture (a short Latin widget label such as `TT`, then a line of digits) marks an
  article; the line right after it repeats the title, which finds where the article starts
  (title, optional subtitle, optional lead caption given twice, furniture).
* In the body, a line given twice in a row is an image caption whose trailing parenthesis is the
  credit; any other line is a paragraph (so a paragraph ending in "(...)" stays a paragraph).
* A related-articles marker (`مقالات ذات صلة`) opens teasers: a line starting with a known site
  section (caption on the same line or the next), title, summary, and `author (location)`.
  Section names run straight into the caption, hence the configurable `SECTIONS`.

A page without the furniture is one article, title first, but only when it has recognisable
article structure (`structure_problem`): at least one paragraph of Arabic prose (a line of at
least `PROSE_MIN_WORDS` words whose letters are mostly Arabic script) and not mostly lines of
colon- or equals-separated fields. Otherwise any `.txt` file became an article: `/etc/passwd`
copied as `passwd.txt` was indexed under the title `root:x:0:0:...`. This is a search for Arabic
news, so a text with no Arabic prose (an English README, a log) is not an article for it. The
whole file is then rejected with one reason (content read in full and refused: not `partial`).
A page with the furniture is recognised by it, and its articles keep the per-article rules.

What the page says about itself is kept (issue 13: the bundled page had no source or date):

* The outlet (`recover_source`), when no source was given: a domain of a known outlet written in
  the page (`aawsat.com`), or the outlet's own name as a staff byline (`«الشرق الأوسط» (دمشق)`:
  papers credit their staff reports to themselves in guillemets). A mere mention of a name in a
  sentence is not evidence, and two outlets with equal evidence give none: better no source than
  a wrong one. The table is `OUTLETS`; names are listed only where they are unambiguous (الرياض
  is a city, اليوم a word). Teasers take the page's outlet: related articles are the site's own.
* The publication date (`parse_date_line`): a line that is only a date (optional label such as
  `نُشر في:`, weekday, day, month name in any of the spellings of `searchapp.synonyms`, year, time;
  Western or Eastern digits) before the related-articles block. The line is taken out of the
  subtitle or body. Dates inside a sentence or a caption are never used: they date the event or
  the photo (`... في بغداد، 14 مارس 2025`), not the article. No date line: no date (the bundled
  sample has none). Teasers get no date: their blocks carry none.

Each line goes through `clean.clean_text` before any of this, so every field (and every id derived
from a title) is free of control and bidi-override characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from searchapp import arabic, synonyms

from .clean import clean_text
from .model import Article, Caption, CorpusError, make_id, split_credit, trailing_paren_start

# Asharq Al-Awsat's sections (from its navigation). Override per call, or replace this tuple.
SECTIONS: tuple[str, ...] = (
    "المشرق العربي", "الخليج", "العالم العربي", "شمال أفريقيا", "العالم", "الاقتصاد", "رياضة",
    "ثقافة وفنون", "يوميات الشرق", "صحتك", "تكنولوجيا",
)
RELATED_MARKERS: tuple[str, ...] = ("مقالات ذات صلة",)
#: slug -> (names the outlet signs its staff bylines with, its web domains). The slugs are the
#: SaudiNewsNet ones, so that page dumps and JSON records of one paper share a `source:` value.
OUTLETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "aawsat": (("الشرق الأوسط",), ("aawsat.com", "asharqalawsat.com")),
    "alriyadh": ((), ("alriyadh.com",)),
    "okaz": (("عكاظ",), ("okaz.com.sa",)),
    "alwatan": ((), ("alwatan.com.sa",)),
    "almadina": ((), ("al-madina.com",)),
    "aljazirah": ((), ("al-jazirah.com",)),
    "alyaum": ((), ("alyaum.com",)),
    "aleqtisadiya": (("الاقتصادية",), ("aleqt.com",)),
    "sabq": (("سبق",), ("sabq.org",)),
    "alweeam": (("الوئام",), ("alweeam.com.sa",)),
    "3alyoum": (("عين اليوم",), ("3alyoum.com",)),
    "was": (("واس",), ("spa.gov.sa",)),
}
FURNITURE_LABEL = re.compile(r"[A-Za-z]{1,4}")  # the font-size widget, "TT" on aawsat.com
FURNITURE_COUNT = re.compile(r"[0-9\u0660-\u0669]+")  # a counter whose value changes per page
_TITLE_LOOKBACK = 4  # title, subtitle and the lead caption twice
_AUTHOR_MAX_WORDS, _PLACE_MAX_WORDS, _TEASER_MAX_LINES = 6, 4, 5
#: A paragraph of prose has at least this many words (a title or a label has fewer).
PROSE_MIN_WORDS = 4
#: ...and at least this share of its letters in Arabic script.
PROSE_MIN_ARABIC = 0.5
# `key:value:value` (passwd, group, PATH lists) or `key=value` (ini, env, os-release) fields.
_FIELD_LINE = re.compile(r"[^\s:=]+(?::[^:\n]*){2,}|[^\s=]+\s*=.*")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


class Line(NamedTuple):
    no: int  # 1-based line number in the file
    text: str


def parse_page(text: str, path: str, *, source: str = "", sections: Sequence[str] | None = None,
               on_error: Callable[[CorpusError], None]) -> Iterator[Article]:
    """Yield each article of a page dump followed by its teasers; report problems, never raise."""
    secs = sorted(SECTIONS if sections is None else sections, key=len, reverse=True)
    source = clean_text(source)
    lines = [Line(n, s) for n, raw in enumerate(text.splitlines(), 1) if (s := clean_text(raw))]
    source = source or recover_source([ln.text for ln in lines])
    starts = _article_starts(lines)
    if not starts and lines:  # no furniture at all: the whole page is one article, title first
        problem = structure_problem([ln.text for ln in lines])
        if problem:
            on_error(CorpusError(path, None, f"no recognisable article structure: {problem}: "
                                 "rejected"))
            return
        starts = [(0, None)]
    elif starts[0][0] > 0:
        first = lines[0].no
        on_error(CorpusError(path, first, f"{starts[0][0]} line(s) before the first article "
                             "title are not part of any article: skipped"))
    for k, (t, furniture) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        yield from _parse_article(lines[t:end], None if furniture is None else furniture - t,
                                  path, source, secs, on_error)


def recover_source(lines: Sequence[str], outlets: dict[str, tuple[tuple[str, ...],
                   tuple[str, ...]]] | None = None) -> str:
    """The slug of the outlet the page says it is from, or "" (rules in the module docstring)."""
    votes: dict[str, int] = {}
    for slug, (names, domains) in (OUTLETS if outlets is None else outlets).items():
        pattern = _outlet_pattern(names, domains)
        votes[slug] = sum(bool(pattern.search(t)) for t in lines)
    best = max(votes.values(), default=0)
    winners = [slug for slug, n in votes.items() if n == best]
    return winners[0] if best and len(winners) == 1 else ""


@lru_cache(maxsize=64)
def _outlet_pattern(names: tuple[str, ...], domains: tuple[str, ...]) -> re.Pattern[str]:
    # A domain anywhere (not inside a longer host name); a name only as a whole-line byline.
    alts = [rf"(?<![\w.-])(?:www\.)?{re.escape(d)}(?![\w-])" for d in domains]
    alts += [rf"^«{re.escape(n)}»(?:\s*\([^()]*\))?$" for n in names]
    return re.compile("|".join(alts) or "(?!)", re.IGNORECASE)


_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_WEEKDAYS = ("الأحد", "الاثنين", "الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت")
_DATE_LABELS = ("نشر في", "نشر", "تاريخ النشر", "آخر تحديث", "تم النشر", "تحديث")


@lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, int]]:
    months = {" ".join(name): m for m in range(1, 13) for name in synonyms.month_names(m)}
    month = "|".join(sorted(map(re.escape, months), key=len, reverse=True))
    labels = "|".join(re.escape(arabic.normalize(x)) for x in _DATE_LABELS)
    days = "|".join(re.escape(arabic.normalize(x)) for x in _WEEKDAYS)
    head = rf"(?:(?:{labels})\s*(?:في)?\s*:?\s*)?(?:(?:{days})\s*[،,]?\s*)?"
    clock = r"(?:\s*(?:[-–،,]|الساعه)?\s*(?P<h>\d{1,2}):(?P<mi>\d{2})(?:\s*(?:ص|م|am|pm))?)?"
    named = re.compile(
        rf"{head}(?P<d>\d{{1,2}})\s+(?P<m>{month})(?:\s*\((?:{month})\))?\s+(?P<y>\d{{4}})"
        rf"(?:\s*م)?{clock}", re.IGNORECASE)
    iso = re.compile(rf"{head}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){clock}")
    return named, iso, months


def parse_date_line(text: str) -> datetime | None:
    """The date of a line that is only a date (module docstring), or None: a date within a
    sentence is the event's, not the article's. Impossible dates (31 فبراير) are None."""
    if len(text) > 80 or not any(ch.isdigit() for ch in text):
        return None
    line = " ".join(arabic.normalize(text.translate(_DIGITS)).split())
    named, iso, months = _date_patterns()
    m = named.fullmatch(line) or iso.fullmatch(line)
    if m is None:
        return None
    month = months.get(m["m"]) or int(m["m"])
    try:
        return datetime(int(m["y"]), month, int(m["d"]), int(m["h"] or 0), int(m["mi"] or 0))
    except ValueError:
        return None


def _is_prose(text: str) -> bool:
    words = text.split()
    if len(words) < PROSE_MIN_WORDS:
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters > 0 and len(_ARABIC.findall(text)) >= PROSE_MIN_ARABIC * letters


def structure_problem(lines: Sequence[str]) -> str | None:
    """Why a page without furniture is not an article (rules in the module docstring), or None.

    The reason names what is missing, so that the user can tell a wrong file from a page that
    needs a parser rule."""
    fields = sum(bool(_FIELD_LINE.fullmatch(t)) for t in lines)
    table = (f"{fields} of {len(lines)} lines are colon- or equals-separated fields "
             "(a configuration table?)")
    if fields * 2 > len(lines):
        return table
    if not any(_is_prose(t) for t in lines[1:]):
        return (f"no paragraph of Arabic prose (a line of {PROSE_MIN_WORDS}+ words, mostly "
                "Arabic letters) after the title" + (f"; {table}" if fields else ""))
    return None


def _article_starts(lines: list[Line]) -> list[tuple[int, int | None]]:
    """(title index, furniture index) of every article, found from the furniture blocks."""
    starts: list[tuple[int, int | None]] = []
    floor = 0
    for j in range(1, len(lines) - 1):
        if not (FURNITURE_LABEL.fullmatch(lines[j].text)
                and FURNITURE_COUNT.fullmatch(lines[j + 1].text)):
            continue
        repeated = lines[j + 2].text if j + 2 < len(lines) else None
        window = range(j - 1, max(floor, j - _TITLE_LOOKBACK) - 1, -1)
        t = next((i for i in window if lines[i].text == repeated), None)  # nearest match wins
        if t is None:  # no repeated title: the line before the lead caption (if any)
            t = j - 3 if j >= 3 and lines[j - 1].text == lines[j - 2].text else j - 1
            t = max(t, floor)
        starts.append((t, j))
        floor = j + 3
    return starts


def _runs(lines: list[Line]) -> Iterator[tuple[Line, int]]:
    """Group identical consecutive lines: (first line, repeat count)."""
    i = 0
    while i < len(lines):
        n = 1
        while i + n < len(lines) and lines[i + n].text == lines[i].text:
            n += 1
        yield lines[i], n
        i += n


def _parse_article(lines: list[Line], furniture: int | None, path: str, source: str,
                   sections: list[str], on_error: Callable[[CorpusError], None]
                   ) -> Iterator[Article]:
    title = lines[0].text
    captions: list[Caption] = []
    subtitle: list[str] = []
    body_start = 1
    date = None
    if furniture is not None:
        for line, n in _runs(lines[1:furniture]):  # subtitle, and the lead caption given twice
            if n > 1:
                captions.append(split_credit(line.text))
            elif date is None and (date := parse_date_line(line.text)) is not None:
                continue
            else:
                subtitle.append(line.text)
        body_start = furniture + 2
        if body_start < len(lines) and lines[body_start].text == title:
            body_start += 1
    related_at = next((i for i in range(body_start, len(lines))
                       if lines[i].text in RELATED_MARKERS), len(lines))
    paragraphs: list[str] = []
    for line, n in _runs(lines[body_start:related_at]):
        if n > 1:
            cap = split_credit(line.text)
            if cap not in captions:  # the lead caption is shown again under the title
                captions.append(cap)
        elif date is None and (date := parse_date_line(line.text)) is not None:
            continue
        else:
            paragraphs.append(line.text)
    teasers = list(_parse_teasers(lines[related_at + 1:], path, source, sections, on_error))
    origin = f"{path}:{lines[0].no}"
    if paragraphs:
        yield Article(id=make_id(None, "", title, source), title=title, subtitle=" ".join(subtitle),
                      paragraphs=paragraphs, captions=captions, source=source, date=date,
                      related=[t.id for t in teasers], origin=origin)
    else:
        on_error(CorpusError(path, lines[0].no, "article without body text: rejected"))
    yield from teasers


def _match_section(text: str, sections: list[str]) -> tuple[str, str] | None:
    for name in sections:  # longest first: "العالم العربي" before "العالم"
        if text.startswith(name) and (len(text) == len(name) or text[len(name)].isspace()):
            return name, text[len(name):].strip()
    return None


def _split_author(text: str) -> tuple[str, str] | None:
    """`author (location)` -> (author, location) when the line has that shape, else None."""
    start = trailing_paren_start(text)
    if not start:
        return None
    author, place = text[:start].strip(), text[start + 1:-1].strip()
    if not author or len(author.split()) > _AUTHOR_MAX_WORDS:
        return None
    if not place or len(place.split()) > _PLACE_MAX_WORDS:
        return None
    return author, place


def _parse_teasers(lines: list[Line], path: str, source: str, sections: list[str],
                   on_error: Callable[[CorpusError], None]) -> Iterator[Article]:
    pending: list[Line] = []  # lines not in a teaser; a repeat of the next title is expected
    i = 0
    while i < len(lines):
        sec = _match_section(lines[i].text, sections)
        if sec is None:
            pending.append(lines[i])
            i += 1
            continue
        end, author_line = _teaser_end(lines, i, sections)
        body = [ln.text for ln in lines[i + 1:end]]
        teaser = _build_teaser(lines[i], sec, body, author_line, path, source, on_error)
        title = teaser.title if teaser else None
        for ln in pending:
            if ln.text != title:
                on_error(CorpusError(path, ln.no, "line in related-articles block is not part of "
                                     "any teaser (section name unknown?): skipped"))
        pending = []
        if teaser is not None:
            yield teaser
        i = end + (author_line is not None)
    for ln in pending:
        on_error(CorpusError(path, ln.no, "line after the last teaser: skipped"))


def _teaser_end(lines: list[Line], i: int, sections: list[str]) -> tuple[int, Line | None]:
    """Index past a teaser's body lines, and its `author (location)` line if it has one."""
    stop = min(i + 1 + _TEASER_MAX_LINES, len(lines))
    for k in range(i + 2, stop):
        if k >= i + 3 and _match_section(lines[k].text, sections):
            return k, None
        if _split_author(lines[k].text):
            return k, lines[k]
    k = i + 1
    while k < len(lines) and not (k >= i + 3 and _match_section(lines[k].text, sections)):
        k += 1
    return k, None


def _build_teaser(start: Line, sec: tuple[str, str], body: list[str], author_line: Line | None,
                  path: str, source: str, on_error: Callable[[CorpusError], None]
                  ) -> Article | None:
    section, caption = sec
    if not caption and len(body) >= 3:  # section alone on its line: caption on the next one
        caption = body.pop(0)
    if len(body) < 2:
        on_error(CorpusError(path, start.no, "teaser without title or summary: rejected"))
        return None
    author, location = _split_author(author_line.text) if author_line else ("", "")
    title = body[0]
    return Article(id=make_id(None, "", title, source), title=title, kind="teaser",
                   paragraphs=[" ".join(body[1:])],
                   captions=[split_credit(caption)] if caption else [], section=section,
                   author=author, location=location, source=source, origin=f"{path}:{start.no}")
