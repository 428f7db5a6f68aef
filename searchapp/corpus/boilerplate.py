"""Site boilerplate: lines a source repeats across many of its articles, learned and dropped.

SaudiNewsNet ends every `alweeam` article with `رابط الخبر بصحيفة الوئام: <the title>`; `was`
ends with `// انتهى //` and a time stamp, `almadina` columns with an SMS-contact footer whose
code changes per columnist. Indexed, they skew ranking and fill snippets (issue 13, point 6).

What counts as one line (`template`): a paragraph of at most `MAX_WORDS` words, casefolded, its
whitespace collapsed, with what changes per article masked: the article's own title (the alweeam
link line quotes it), digit runs (codes, dates, times) and e-mail or web addresses. A template is
boilerplate for a source when it occurs in at least `MIN_ARTICLES` of that source's articles and
in at least `MIN_SHARE_LONG` of them (templates of `LONG_WORDS`+ words: footers are sentences)
or `MIN_SHARE_SHORT` (shorter ones, so that a prolific journalist's two-word byline or a
syndication credit such as `* خدمة «نيويورك تايمز»` is kept). Long paragraphs are never
counted: a real paragraph repeated across syndicated copies must stay.

Dropping (`Boilerplate.strip`): a paragraph whose template is boilerplate goes; and a
boilerplate template of at least `GLUED_MIN_WORDS` literal words is also cut from the end or
the start of a paragraph, since crawlers glue footers onto the text (902 of the 2,090 alweeam
link lines are glued to the last paragraph); a substring test on its longest word comes first.
The same text is then indexed, stored and shown.

Memory stays bounded at any corpus size: counts are kept under a 64-bit hash per (source,
template), at most `MAX_ENTRIES` of them (the rarest are pruned when full: a boilerplate line
recurs every few dozen articles and survives), and a template's text is kept only once it
reaches `MIN_ARTICLES`. Learning needs every article before the first is written, so a full
build reads its inputs twice (see `searchapp.indexer`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from .model import Article

MAX_WORDS = 40
MIN_ARTICLES = 20
LONG_WORDS = 6
MIN_SHARE_LONG = 0.01
MIN_SHARE_SHORT = 0.05
GLUED_MIN_WORDS = 4
MAX_ENTRIES = 500_000
VERSION = 1
FILE = "boilerplate.json"

TITLE, DIGITS, ADDRESS = "\x01", "\x02", "\x03"  # controls never survive clean_text: no clash
_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+|(?:https?://|www\.)\S+", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_MIN_TITLE = 10  # shorter titles ("عاجل") are too common inside text to stand for the title


def template(text: str, title: str = "") -> str | None:
    """The masked, casefolded form of one paragraph, or None when it is too long to count."""
    if text.count(" ") >= MAX_WORDS and len(text.split()) > MAX_WORDS:
        return None
    if len(title) >= _MIN_TITLE and title in text:
        text = text.replace(title, TITLE)
    text = _DIGITS.sub(DIGITS, _ADDRESS.sub(ADDRESS, text))
    return " ".join(text.casefold().split())


_SENTENCE_END = re.compile(r"(?<=[.!?؟…])\s+")


def _edge_templates(article: Article) -> set[str]:
    """Templates of the first sentence of the first paragraph and the last sentence of the
    last one, when each is glued to more text: a source whose crawler glues its footer to
    every article (alweeam on 2015-07-21: all 569 link lines glued) has no standalone line to
    learn it from. Only templates long enough to be cut when glued are counted."""
    keys: set[str] = set()
    if not article.paragraphs:
        return keys
    first = _SENTENCE_END.split(article.paragraphs[0], maxsplit=1)
    last = _SENTENCE_END.split(article.paragraphs[-1])
    for piece in ([first[0]] if len(first) > 1 else []) + ([last[-1]] if len(last) > 1 else []):
        key = template(piece, article.title)
        if key and _literal_words(key) >= GLUED_MIN_WORDS:
            keys.add(key)
    return keys


def _literal_words(key: str) -> int:
    return sum(any(ch.isalpha() for ch in w) for w in key.split())


class Learner:
    """Counts templates per source over a stream of articles (one pass, bounded memory)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.articles: Counter[str] = Counter()
        self._counts: dict[int, int] = {}
        self._texts: dict[int, tuple[str, str]] = {}

    def add(self, article: Article) -> None:
        source = article.source
        self.articles[source] += 1
        keys = {k for p in article.paragraphs if (k := template(p, article.title))}
        keys |= _edge_templates(article)
        counts = self._counts
        for key in keys:
            h = hash((source, key))
            n = counts.get(h, 0) + 1
            counts[h] = n
            if n == MIN_ARTICLES:
                self._texts.setdefault(h, (source, key))
        if len(counts) > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        floor = 1
        while len(self._counts) > self.max_entries // 2:
            self._counts = {h: n for h, n in self._counts.items() if n > floor}
            floor += 1

    def result(self) -> Boilerplate:
        found: dict[str, list[str]] = {}
        for h, (source, key) in self._texts.items():
            n, total = self._counts.get(h, 0), self.articles[source]
            share = MIN_SHARE_LONG if len(key.split()) >= LONG_WORDS else MIN_SHARE_SHORT
            if n >= MIN_ARTICLES and n >= share * total:
                found.setdefault(source, []).append(key)
        return Boilerplate({s: sorted(keys) for s, keys in sorted(found.items())})


@dataclass
class Boilerplate:
    """The learned templates per source, and the cutting of them out of articles."""

    templates: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def _sets(self) -> dict[str, frozenset[str]]:
        return {s: frozenset(keys) for s, keys in self.templates.items()}

    @cached_property
    def _glued(self) -> dict[str, list[tuple[str, re.Pattern[str], re.Pattern[str]]]]:
        out: dict[str, list[tuple[str, re.Pattern[str], re.Pattern[str]]]] = {}
        for source, keys in self.templates.items():
            for key in keys:
                if _literal_words(key) >= GLUED_MIN_WORDS:
                    body = _regex(key)
                    anchor = max((w for w in key.split() if TITLE not in w and DIGITS not in w
                                  and ADDRESS not in w), key=len)
                    out.setdefault(source, []).append((
                        anchor, re.compile(rf"^\s*{body}(?=\s|$)", re.IGNORECASE),
                        re.compile(rf"(?:^|(?<=[\s.!?؟…:،])){body}\s*$", re.IGNORECASE)))
        return out

    def strip(self, article: Article) -> tuple[Article, int]:
        """The article without its source's boilerplate, and how many pieces were cut."""
        keys = self._sets.get(article.source)
        if not keys:
            return article, 0
        title = article.title
        kept = [p for p in article.paragraphs if template(p, title) not in keys]
        cut = len(article.paragraphs) - len(kept)
        glued = self._glued.get(article.source, [])
        if kept and glued:
            cut += _cut_glued(kept, glued, title)
        if not cut:
            return article, 0
        if not kept:  # an article that is only boilerplate keeps its text: never emptied
            return article, 0
        return replace(article, paragraphs=kept), cut

    def save(self, directory: str | Path) -> None:
        """Write the templates into an index generation (`FILE`), for incremental runs."""
        data = {"version": VERSION, "templates": self.templates}
        Path(directory, FILE).write_text(json.dumps(data, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> Boilerplate:
        """The templates saved in a generation; none (nothing dropped) when it has no file, as
        generations built before boilerplate detection have not."""
        path = Path(directory, FILE)
        if not path.exists():
            return cls()
        data = json.loads(path.read_text("utf-8"))
        return cls({str(s): [str(k) for k in keys] for s, keys in data["templates"].items()})

    def count(self) -> int:
        return sum(map(len, self.templates.values()))


def _regex(key: str) -> str:
    parts: list[str] = []
    for ch in key:
        if ch == TITLE:
            parts.append("(?P<title>.+?)" if "(?P<title>" not in "".join(parts) else ".+?")
        elif ch == DIGITS:
            parts.append(r"\d+")
        elif ch == ADDRESS:
            parts.append(_ADDRESS.pattern)
        elif ch == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def _cut_glued(paragraphs: list[str], glued: list[tuple[str, re.Pattern[str], re.Pattern[str]]],
               title: str) -> int:
    """Cut glued templates off the end or the start of any paragraph (in place)."""
    cut = 0
    want = " ".join(title.casefold().split())
    for anchor, prefix, suffix in glued:
        for i in range(len(paragraphs) - 1, -1, -1):
            text = paragraphs[i]
            if anchor not in text.casefold():  # a substring test in C before any regex
                continue
            for pattern, at_end in ((suffix, True), (prefix, False)):
                m = pattern.search(text)
                got = m and m.groupdict().get("title")
                if m is None or (got is not None and " ".join(got.casefold().split()) != want):
                    continue
                text = text[:m.start()].rstrip() if at_end else text[m.end():].lstrip()
                cut += 1
            if not text:
                del paragraphs[i]
            else:
                paragraphs[i] = text
    return cut
