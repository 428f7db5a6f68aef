"""Related articles: the key terms of an article, searched for (a "more like this" query).

Key terms are the article's stems weighted by tf·idf over title, subtitle and body (title terms
count three times: a headline names the story). Stop words, digits and very short stems are
skipped. This finds other articles on the same story; the related teasers recorded with the
article at ingestion (the site editor's own choice) are listed first when they are indexed.
A very long article has thousands of distinct stems, each two index lookups: only the
``MAX_LOOKUPS`` most repeated ones are weighed.
"""

from __future__ import annotations

import math
from collections import Counter

from whoosh import query as wq

from searchapp import arabic
from searchapp.analysis import tokens_with_offsets
from searchapp.corpus import Article

KEY_TERMS = 20
TITLE_WEIGHT = 3
MAX_LOOKUPS = 1000  # stems weighed per article (by weighted count, first seen first on ties)


def key_terms(article: Article, reader, k: int = KEY_TERMS) -> list[tuple[str, float]]:
    """The ``k`` most characteristic stems of ``article`` with their tf·idf weights."""
    tf: Counter[str] = Counter()
    for text, weight in ((article.title, TITLE_WEIGHT), (article.subtitle, 1),
                         ("\n".join(article.paragraphs), 1)):
        for surface, stem, _, _ in tokens_with_offsets(text):
            if len(stem) >= 3 and not stem.isdigit() and not arabic.is_stop_word(surface):
                tf[stem] += weight
    n_docs = max(reader.doc_count(), 1)
    scored = []
    weighed = tf.items() if len(tf) <= MAX_LOOKUPS else tf.most_common(MAX_LOOKUPS)
    for stem, count in weighed:
        df = reader.doc_frequency("body", stem) + reader.doc_frequency("title", stem)
        if df <= 1:
            continue  # only in this article: cannot connect it to any other
        scored.append((stem, (1 + math.log(count)) * math.log(1 + n_docs / df)))
    scored.sort(key=lambda t: -t[1])
    return scored[:k]


def more_like_query(article: Article, reader) -> wq.Query | None:
    terms = key_terms(article, reader)
    if not terms:
        return None
    subs = [wq.Term(f, stem, boost=w) for stem, w in terms for f in ("title", "body")]
    return wq.AndNot(wq.Or(subs), wq.Term("id", article.id))
