"""Worst inputs: hostile queries within the documented web limits, each timed cold and warm.

    python -m benchmarks.worst_inputs --saudinewsnet ../shared/data/saudinewsnet \\
        --work /tmp/worst-inputs-cache          # quick run: --limit-docs 2000

Why: one request must never stall a worker. The web refuses queries over its documented limits
(README: query <= 1000 characters, <= 64 words or OR alternatives, <= 3 prefixes, page <= 1000,
per_page <= 100, page * per_page <= 10,000); everything inside them must cost at most
``--target-ms`` (500 ms on the 2-core benchmark machine). Each input below is built to stress
one part of the engine (spelling correction, prefix expansion, explain, date sorting, the memo
caches, phrases, negations, month synonyms, autocomplete, related articles) and is run with the
web's most expensive argument combination for it: explain, sort newest/oldest, 100 hits per
page, deep pages, facets, snippets and did-you-mean.

Every input runs twice in one process: cold (first time its terms and words are seen) and warm.
The table lists the slowest inputs (wall and CPU time: on a shared machine the CPU time tells
load from cost) and the process's RSS growth over the whole run (the memo caches must stay
bounded, so it should be a few tens of MB at most). The exit status is 1 when any input's wall
time exceeds the target; the figures are printed either way.

The index is SaudiNewsNet alone (``--arcd`` adds the ARCD paragraphs, which makes it the same
index as ``benchmarks.retrieval`` and ``benchmarks.latency`` build, and reuses theirs), cached
under ``--work`` and rebuilt only when the data or the analysis code change.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import Corpus, digest, load_corpus, path_fingerprint, read_saudinewsnet
from benchmarks.systems import Ours
from searchapp.corpus import Article
from searchapp.ranking import Ranking

TARGET_MS = 500.0
MAX_CHARS = 1000  # the web's documented limits (README), which every input respects
MAX_WORDS = 64
#: The web's most expensive argument combination: explain forces the Whoosh path, a date sort
#: collects every hit, page 100 of 100 is the deepest window the web serves.
WORST = {"explain": True, "per_page": 100, "page": 100, "facets": True, "snippets": True,
         "suggest": True}
_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءأإآؤئىة"
STOPS = ["في", "من", "على", "إلى", "عن", "مع", "هذا", "هذه", "التي", "الذي", "أن"]
_ARABIC_WORD = re.compile(r"[\u0621-\u064a]{2,}")


@dataclass
class Case:
    name: str
    run: Callable[[], object]


def snn_corpus(saudinewsnet: str, work: Path, limit_docs: int | None, seed: int) -> Corpus:
    """SaudiNewsNet alone (all, or a seeded subsample written as JSONL under ``work``)."""
    fp = digest("snn-only", path_fingerprint(saudinewsnet), limit_docs, seed)
    path, articles = read_saudinewsnet(saudinewsnet, work, limit_docs, seed, fp,
                                       "snn-only-sample")
    return Corpus([path], articles, [], fp)


def frequent_words(articles: list[Article], n: int, max_len: int) -> list[str]:
    """The ``n`` commonest title words of at most ``max_len`` letters (real, frequent terms:
    the longest posting lists, so the most work per word)."""
    counts = Counter(w for a in articles for w in _ARABIC_WORD.findall(a.title)
                     if len(w) <= max_len)
    return [w for w, _ in counts.most_common(n)]


def fit(words: list[str], sep: str = " ", limit: int = MAX_CHARS) -> str:
    """Join as many of ``words`` as fit in ``limit`` characters (at most MAX_WORDS)."""
    out: list[str] = []
    for w in words[:MAX_WORDS]:
        if len(sep.join([*out, w])) > limit:
            break
        out.append(w)
    return sep.join(out)


def cases(engine, articles: list[Article], seed: int) -> list[Case]:
    rng = random.Random(seed)

    def letters(n: int) -> str:
        return "".join(rng.choice(_LETTERS) for _ in range(n))

    frequent = frequent_words(articles, 400, 12)
    short = [w for w in frequent if len(w) <= 6]
    longest = max(articles, key=lambda a: sum(map(len, a.paragraphs)))
    paragraph = " ".join(_ARABIC_WORD.findall(" ".join(longest.paragraphs)))
    months = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
              "أكتوبر", "نوفمبر", "ديسمبر", "تشرين الثاني", "كانون الأول", "جانفي", "نونبر"]
    typos = [w[:2] + w[3:] for w in frequent if len(w) >= 5]  # a letter missing: rare words
    question = "ما هي الأسباب التي أدت إلى " + " ".join(frequent[:200])

    def search(q: str, **kw) -> Callable[[], object]:
        return lambda: engine.search(q, **kw)

    worst_newest = {**WORST, "sort": "newest"}
    worst_oldest = {**WORST, "sort": "oldest"}
    plain_worst = {k: v for k, v in WORST.items() if k != "explain"}
    out = [
        Case("1000 random letters, one word", search(letters(MAX_CHARS))),
        Case("1000 random letters, one word, explain", search(letters(MAX_CHARS), **WORST)),
        Case("1000 letters with harakat and tatweel",
             search("".join(c + rng.choice("\u064e\u064f\u0650\u0651\u0640")
                            for c in letters(MAX_CHARS // 2)))),
        Case("64 distinct long words (14 letters)", search(fit([letters(14) for _ in range(64)]))),
        Case("64 distinct long words, explain newest",
             search(fit([letters(14) for _ in range(64)]), **worst_newest)),
        Case("20 distinct 48-letter words", search(fit([letters(48) for _ in range(20)]))),
        Case("64 misspelled frequent words (did-you-mean)", search(fit(typos))),
        Case("64 misspelled words, explain", search(fit(typos[64:]), **WORST)),
        Case("64-term OR (أو) of frequent words, explain",
             search(fit(short, " أو "), **WORST)),
        Case("64-term OR (OR) of frequent words, explain newest",
             search(fit(short[10:], " OR "), **worst_newest)),
        Case("64 frequent words (fast path), newest page 100",
             search(fit(short[5:]), **plain_worst, sort="newest")),
        Case("64-term OR of frequent words, relevance page 1",
             search(fit(short, " OR "), explain=True, per_page=100)),
        Case("ال* ام* من*, explain newest page 100", search("ال* ام* من*", **worst_newest)),
        Case("ال* ام* من*, explain oldest page 100", search("ال* ام* من*", **worst_oldest)),
        Case("ال* ام* من*, relevance page 100", search("ال* ام* من*", **plain_worst)),
        Case("ال* وا* ما*, explain relevance", search("ال* وا* ما*", explain=True,
                                                     per_page=100)),
        Case("3 prefixes + 61 frequent words, explain newest",
             search("ال* ام* من* " + fit(short, limit=MAX_CHARS - 12), **worst_newest)),
        Case("3 long-word prefixes", search(" ".join(letters(300) + "*" for _ in range(3)))),
        Case("phrase of 64 frequent words, explain newest",
             search('"' + fit(paragraph.split(), limit=MAX_CHARS - 2) + '"', **worst_newest)),
        Case("64 words of one paragraph, explain", search(
            fit(paragraph.split()), **WORST)),
        Case("64 negations", search(fit(["-" + w for w in frequent]), **worst_newest)),
        Case("one word + 63 negations, explain",
             search(frequent[0] + " " + fit(["-" + w for w in frequent[1:]],
                                            limit=MAX_CHARS - 20), **WORST)),
        Case("negated phrases and prefixes", search(fit(
            [*['-"' + a + " " + b + '"' for a, b in itertools.pairwise(frequent)][:60],
             "-ال*", "-ام*", "-من*"]), **worst_newest)),
        Case("month names x64, explain", search(fit(months * 8), **WORST)),
        Case("month names x64, newest", search(fit(months * 8), **plain_worst, sort="newest")),
        Case("64 numbers", search(fit([str(1990 + i) for i in range(64)]), **worst_newest)),
        Case("1000 digits, one number", search("".join(rng.choice("0123456789٠١٢٣")
                                                      for _ in range(MAX_CHARS)), **WORST)),
        Case("repeated punctuation", search("!؟،؛.,:;()[]{}<>" * 66)),
        Case("1000 stars and dashes", search("*-" * 500, **WORST)),
        Case("1000 quotes", search('"' * MAX_CHARS, **WORST)),
        Case("unknown fields x64", search(fit([f"foo{i}:{w}" for i, w in enumerate(short)]),
                                          **WORST)),
        Case("mixed scripts", search(fit([
            w + rng.choice(["abc", "Ω", "中文", "😀", "ßü", "١٢٣", "\u200f", "ﻻ"])
            for w in frequent]), **WORST)),
        Case("1000-char question, explain", search(question[:MAX_CHARS], **WORST)),
        Case("1000-char question, page 1", search(question[:MAX_CHARS])),
        Case("64 stop words", search(fit(STOPS * 6), **worst_newest)),
        Case("empty query, filters only, newest page 100",
             search("", filters={"source": articles[0].source}, **worst_newest)),
        Case("suggest: 1000 letters", lambda: engine.suggest(letters(MAX_CHARS), 50)),
        Case("suggest: one letter", lambda: engine.suggest("ا", 50)),
        Case("suggest: 64 words", lambda: engine.suggest(fit(frequent), 50)),
        Case("more_like_this: longest article", lambda: engine.more_like_this(longest.id, 100)),
    ]
    # Many distinct long words, a new set per request: what the memo caches admit (RSS).
    for i in range(5):
        out.append(Case(f"24 distinct 40-letter words, set {i + 1}",
                        search(fit([letters(40) for _ in range(24)]))))
    return out


def rss_mb() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call: on a shared machine the CPU time tells load from cost."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.worst_inputs", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--saudinewsnet", required=True, metavar="DIR")
    p.add_argument("--arcd", metavar="FILE", help="add ARCD paragraphs (the retrieval index)")
    p.add_argument("--work", default="/tmp/worst-inputs-cache", metavar="DIR")
    p.add_argument("--limit-docs", type=int, default=None, help="seeded subsample (quick run)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--target-ms", type=float, default=TARGET_MS)
    p.add_argument("--top", type=int, default=15, help="rows of the table (0: all)")
    p.add_argument("--rebuild", action="store_true")
    args = p.parse_args(argv)
    if not Path(args.saudinewsnet).is_dir() or not list(Path(args.saudinewsnet).glob("*.zip")):
        sys.exit(f"error: SaudiNewsNet data not found: {args.saudinewsnet!r} is not a "
                 "directory of .zip files (--saudinewsnet; see ../shared/README.md)")
    logging.getLogger("searchapp").setLevel(logging.CRITICAL)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    if args.arcd:
        corpus = load_corpus(args.saudinewsnet, args.arcd, work, args.limit_docs, args.seed)
    else:
        corpus = snn_corpus(args.saudinewsnet, work, args.limit_docs, args.seed)
    engine = Ours(corpus, work, Ranking(), rebuild=args.rebuild).engine
    engine.warm()  # what a server does at start: not a request's cost
    engine.search("السعودية")
    todo = cases(engine, corpus.articles, args.seed)
    rss0 = rss_mb()
    rows = []
    for case in todo:
        (cold, cold_cpu), (warm, warm_cpu) = timed(case.run), timed(case.run)
        rows.append((case.name, cold, warm, cold_cpu, warm_cpu))
        print(f"  {case.name}: {cold:.0f} / {warm:.0f} ms", file=sys.stderr, flush=True)
    growth = rss_mb() - rss0
    rows.sort(key=lambda r: -max(r[1], r[2]))
    over = [r for r in rows if max(r[1], r[2]) > args.target_ms]
    print(f"{len(corpus.articles)} documents, {len(rows)} inputs, target {args.target_ms:.0f} ms\n")
    print("| input | cold ms | warm ms | cold CPU ms | warm CPU ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, cold, warm, cold_cpu, warm_cpu in rows[: args.top or None]:
        print(f"| {name} | {cold:.0f} | {warm:.0f} | {cold_cpu:.0f} | {warm_cpu:.0f} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nprocess RSS growth over all inputs: {growth:+.1f} MB (now {rss_mb():.0f} MB); "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{len(over)} input(s) over {args.target_ms:.0f} ms"
          + (": " + ", ".join(r[0] for r in over) if over else ""))
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
