"""Known-item queries generated from SaudiNewsNet titles, with realistic typing variation.

A query is 2–4 of the rarer words of one article's title (document frequency over the whole
SaudiNewsNet text, counted with a neutral folding that is *not* our analyzer, so the query set
does not depend on the system under test); the relevant document is that article. Each query
comes in two forms: the clean twin (the words exactly as the title spells them) and a variant
typed the way readers type: hamza dropped (أ/إ/آ→ا), ة written ه, final ى/ي swapped, ال and و
added or dropped, diacritics sprinkled in. Every variant differs from its twin.
"""

from __future__ import annotations

import random
import re
from collections import Counter

from benchmarks.common import Query
from searchapp.corpus import Article

_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_FOLD = str.maketrans("أإآٱىة", "اااايه")
_WORD = re.compile(r"[\u0621-\u064a\u0640\u064b-\u065f\u0670]+")
#: fatha, damma, kasra, shadda, sukun, tanween
_HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"
# Function words never chosen as query words (folded spelling).
_FUNCTION_WORDS = (
    "في من الي علي عن مع بعد قبل حتي منذ بين خلال حول دون ضد عبر تحت فوق امام ان او ام لا لم "
    "لن قد ما ماذا هل كيف متي اين هذا هذه ذلك تلك الذي التي الذين كل بعض غير كان كانت يكون "
    "وفي ومن والي وعلي وعن ومع ولا وان انه انها هو هي هم بها به له لها فيها منها عليها"
)
_FUNCTION = set(_FUNCTION_WORDS.split())


def fold(word: str) -> str:
    return _MARKS.sub("", word).translate(_FOLD)


def document_frequencies(articles: list[Article]) -> Counter:
    df: Counter = Counter()
    for a in articles:
        text = a.title + " " + " ".join(a.paragraphs)
        df.update({fold(w) for w in _WORD.findall(text)})
    return df


def known_items(articles: list[Article], n: int, seed: int) -> list[tuple[Query, Query]]:
    """``n`` (clean, variant) query pairs over distinct articles, deterministic for ``seed``."""
    df = document_frequencies(articles)
    title_count = Counter(" ".join(fold(w) for w in _WORD.findall(a.title)) for a in articles)
    rng = random.Random(seed)
    order = list(range(len(articles)))
    rng.shuffle(order)
    out: list[tuple[Query, Query]] = []
    for i in order:
        if len(out) >= n:
            break
        a = articles[i]
        words = _WORD.findall(a.title)
        if len(words) < 4 or title_count[" ".join(fold(w) for w in words)] > 1:
            continue  # too short, or a headline shared by several articles: not a known item
        cands, seen = [], set()
        for pos, w in enumerate(words):
            f = fold(w)
            if len(f) >= 3 and f not in _FUNCTION and f not in seen:
                seen.add(f)
                cands.append((df[f], pos, _MARKS.sub("", w)))
        if len(cands) < 2:
            continue
        k = min(rng.choice((2, 3, 4)), len(cands))
        pool = sorted(cands)[: max(k, (len(cands) + 1) // 2)]  # the rarer half of the title
        chosen = sorted(rng.sample(pool, k), key=lambda c: c[1])
        clean = [w for _, _, w in chosen]
        out.append((Query(" ".join(clean), a.id), Query(" ".join(vary(clean, rng)), a.id)))
    return out


def vary(words: list[str], rng: random.Random) -> list[str]:
    """Typing variation of a query; always differs from ``words``."""
    for _ in range(20):
        out = [_vary_word(w, rng) for w in words]
        if out != words:
            return out
    return [_diacritize(words[0], rng), *words[1:]]


def _vary_word(w: str, rng: random.Random) -> str:
    if rng.random() < 0.8:  # most readers never type hamza on alef
        w = w.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")
    if w.endswith("ة") and rng.random() < 0.5:
        w = w[:-1] + "ه"
    if w.endswith("ى") and rng.random() < 0.5:
        w = w[:-1] + "ي"
    elif w.endswith("ي") and rng.random() < 0.3:
        w = w[:-1] + "ى"
    r = rng.random()
    if w.startswith("ال") and len(w) > 4 and r < 0.25:
        w = w[2:]
    elif not w.startswith(("ال", "ل", "ب", "و", "ف", "ك")) and r < 0.15:
        w = "ال" + w
    r = rng.random()
    if w.startswith("وال") and r < 0.5:
        w = w[1:]
    elif not w.startswith("و") and r < 0.1:
        w = "و" + w
    if rng.random() < 0.15:
        w = _diacritize(w, rng)
    return w


def _diacritize(w: str, rng: random.Random) -> str:
    chars = list(w)
    for pos in sorted(rng.sample(range(len(chars)), min(len(chars), rng.randint(1, 3))),
                      reverse=True):
        chars.insert(pos + 1, rng.choice(_HARAKAT))
    return "".join(chars)
