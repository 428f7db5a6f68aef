"""Scale corpus generator: a million-article archive built from real SaudiNewsNet sentences.

    python -m benchmarks.scalegen --saudinewsnet ../shared/data/saudinewsnet \
        --arcd ../shared/data/arcd/arcd-train.json --size 1000000 --out /tmp/scale/1m.jsonl
    python -m benchmarks.scalegen ... --size 1000000 --delta 1000 --out /tmp/scale/delta.jsonl

What a real archive has that the 31 k set lacks, and how it is imitated:

* **Size with real text.** Synthetic articles are real sentences recombined: each copies the
  shape (paragraph and sentence counts) of a random real article and fills it with sentences
  drawn from the whole pool, so lengths, word frequencies and Arabic morphology are real.
* **A vocabulary that keeps growing** (Heaps' law: real archives keep meeting new names).
  Each synthetic article mentions one to four names; with probability ``NEW_NAME`` a mention
  is a new name (Arabic-looking, built from syllables), otherwise it repeats an earlier mention
  (a Yule process, so name frequencies are Zipfian). Headlines carry names too.
* **Twenty-two years of dates** (2004-2025, uniform), over the real sources and authors.
* **The real articles and the retrieval dev set inside**: the file starts with every
  SaudiNewsNet article (real ids and dates) and the ARCD-train paragraphs (ids
  ``arcd-<i>-<j>``, as ``benchmarks.retrieval`` uses), so quality can be measured with a million
  distractors.

The stream is deterministic for ``--seed`` and nested: the first N lines of the 1 M file are the
N-article corpus, so one generation serves every size (``--size`` only decides where to stop).
``--delta K`` writes instead the incremental batch: K/2 replacements of existing synthetic ids
(new text) and K/2 new articles. Output goes where ``--out`` says, never into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import _record, arcd_documents, check_paths
from searchapp.corpus import read_many

NEW_NAME = 0.25
_SENTENCE_END = re.compile(r"(?<=[.!؟?])\s+")
_CONSONANTS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"
_LONG = "اوي"
_START = date(2004, 1, 1)
_DAYS = (date(2025, 12, 31) - _START).days


class Names:
    """Proper names whose vocabulary grows with the corpus, with Zipfian repeats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.mentions: list[str] = []
        self.known: set[str] = set()

    def _new(self) -> str:
        rng = self.rng
        while True:
            parts = []
            for _ in range(rng.choice((2, 2, 3))):
                parts.append(rng.choice(_CONSONANTS))
                if rng.random() < 0.5:
                    parts.append(rng.choice(_LONG))
            name = "".join(parts)
            if rng.random() < 0.3:
                name += rng.choice(("ي", "ان", "وف", "ين"))
            if len(name) >= 3 and name not in self.known:
                self.known.add(name)
                return name

    def pick(self) -> str:
        if not self.mentions or self.rng.random() < NEW_NAME:
            name = self._new()
        else:
            name = self.rng.choice(self.mentions)
        self.mentions.append(name)
        return name


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if len(s) > 15]


class Generator:
    def __init__(self, articles: list, seed: int) -> None:
        self.rng = random.Random(seed)
        self.names = Names(random.Random(seed + 1))
        self.pool: list[str] = []
        self.shapes: list[list[int]] = []  # sentences per paragraph of each real article
        self.titles: list[list[str]] = []
        self.sources = sorted({a.source for a in articles if a.source})
        self.authors = sorted({a.author for a in articles if getattr(a, "author", "")})
        for a in articles:
            shape = []
            for p in a.paragraphs:
                s = _sentences(p)
                self.pool.extend(s)
                if s:
                    shape.append(len(s))
            if shape:
                self.shapes.append(shape)
            if a.title:
                self.titles.append(a.title.split())

    def _with_name(self, words: list[str]) -> list[str]:
        i = self.rng.randrange(len(words) + 1)
        return [*words[:i], self.names.pick(), *words[i:]]

    def article(self, n: int, doc_id: str) -> dict:
        rng = self.rng
        title = list(rng.choice(self.titles))
        if len(title) > 2:  # a headline of another story: swap a word, add a name
            title[rng.randrange(len(title))] = rng.choice(rng.choice(self.titles))
        title = self._with_name(title)
        paragraphs = []
        mentions = rng.randint(1, 4)
        for count in rng.choice(self.shapes):
            sentences = [rng.choice(self.pool) for _ in range(count)]
            if mentions:
                k = rng.randrange(len(sentences))
                sentences[k] = " ".join(self._with_name(sentences[k].split()))
                mentions -= 1
            paragraphs.append(" ".join(sentences))
        source = rng.choice(self.sources) if self.sources else "synthetic"
        record = {"id": doc_id, "title": " ".join(title), "content": "\n\n".join(paragraphs),
                  "source": source, "url": f"https://example.org/{source}/{n}",
                  "date": (_START + timedelta(days=rng.randrange(_DAYS))).isoformat()}
        if self.authors and rng.random() < 0.6:
            record["author"] = rng.choice(self.authors)
        return record


def real_records(saudinewsnet: str, arcd: str, work: Path) -> tuple[list[dict], list]:
    errors: list = []
    snn = list(read_many([saudinewsnet], on_error=errors.append))
    arcd_path, _ = arcd_documents(arcd, work)
    arcd_lines = [json.loads(line) for line in arcd_path.read_text("utf-8").splitlines()]
    return [_record(a) for a in snn] + arcd_lines, snn


def write(out: Path, records) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
            if n % 100_000 == 0:
                print(f"  {n:,} articles", file=sys.stderr, flush=True)
    os.replace(tmp, out)
    return n


def stream(real: list[dict], gen: Generator, size: int):
    yield from real[:size]
    for n in range(max(0, size - len(real))):
        yield gen.article(n, f"syn-{n}")


def delta(real: list[dict], gen: Generator, size: int, k: int, seed: int):
    """K/2 replacements of synthetic ids already in the ``size`` corpus, K/2 new ids."""
    for n in range(max(0, size - len(real))):  # same stream position as the corpus
        gen.article(n, "")
    rng = random.Random(seed + 2)
    synthetic = max(0, size - len(real))
    replaced = rng.sample(range(synthetic), min(k // 2, synthetic))
    for n in replaced:
        yield gen.article(n, f"syn-{n}")
    for n in range(k - len(replaced)):
        yield gen.article(synthetic + n, f"syn-new-{n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--saudinewsnet", default="../shared/data/saudinewsnet")
    ap.add_argument("--arcd", default="../shared/data/arcd/arcd-train.json")
    ap.add_argument("--size", type=int, required=True, help="articles in the corpus")
    ap.add_argument("--delta", type=int, default=0,
                    help="write an incremental batch of this many articles instead")
    ap.add_argument("--out", type=Path, required=True, help="JSON Lines file to write")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    check_paths(args.saudinewsnet, args.arcd)
    work = args.out.parent
    work.mkdir(parents=True, exist_ok=True)
    real, snn = real_records(args.saudinewsnet, args.arcd, work)
    gen = Generator(snn, args.seed)
    print(f"{len(real):,} real records, {len(gen.pool):,} sentences", file=sys.stderr)
    if args.delta:
        n = write(args.out, delta(real, gen, args.size, args.delta, args.seed))
    else:
        n = write(args.out, stream(real, gen, args.size))
    print(f"wrote {n:,} articles to {args.out} ({args.out.stat().st_size / 1e6:,.0f} MB, "
          f"{len(gen.names.known):,} distinct new names)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
