"""Snippets: the best-matching passages of an article, with matches marked in the original text.

Matching is done on analyzed tokens (stem or normalized surface), but the output is cut from
the stored, original text using each token's character offsets, so ``<mark>`` encloses exactly
the word as written (``إطلاقِ`` with its kasra, ``مسئول`` with its seat). Text is HTML-escaped
piece by piece and the ``<mark>`` tags are the only markup ever inserted.

A quoted phrase is marked where its words stand consecutively (its stems, in order, as the
index's positions match it), as one ``<mark>`` from its first word to its last: a lone وقف
or النار elsewhere is not the phrase "وقف إطلاق النار" and stays unmarked (unless the query
also has it as a plain word). A fragment holding a phrase counts each of its words as matched,
so fragments prefer the phrase occurrence over scattered words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from searchapp.analysis import tokens_with_offsets
from searchapp.ranking import Words

FRAGMENT_CHARS = 200
MAX_FRAGMENTS = 3
CAPTION_LABEL = "من تعليق صورة:"  # "from an image caption"


@dataclass(frozen=True)
class Part:
    """A piece of an article that a fragment can come from."""

    text: str
    is_caption: bool = False


#: A mark: (start, end, key); the key names what matched (a stem, or a phrase's stems).
Mark = tuple[int, int, "str | tuple[str, ...]"]


def _matches(text: str, words: Words) -> list[Mark]:
    prefixes = tuple(s[:-1] for s in words.stems if s.endswith("*"))
    toks = tokens_with_offsets(text)
    out: list[Mark] = []
    i = 0
    while i < len(toks):
        phrase = _phrase_at(toks, i, words.phrases)
        if phrase:
            out.append((toks[i][2], toks[i + len(phrase) - 1][3], phrase))
            i += len(phrase)
            continue
        surface, stem, start, end = toks[i]
        if (
            stem in words.stems
            or surface in words.surfaces
            or (prefixes and (surface.startswith(prefixes) or stem.startswith(prefixes)))
        ):
            out.append((start, end, stem))
        i += 1
    return out


def _phrase_at(toks: list, i: int, phrases: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The longest phrase whose stems are the tokens' from ``i`` on, or None."""
    best = None
    for p in phrases:
        if (len(p) > len(best or ()) and i + len(p) <= len(toks)
                and all(toks[i + j][1] == st for j, st in enumerate(p))):
            best = p
    return best


def _weight(keys: set) -> int:
    """Words matched by marks with these keys: a phrase counts its words."""
    return sum(len(k) if isinstance(k, tuple) else 1 for k in keys)


def _render(text: str, start: int, end: int, marks: list[Mark]) -> str:
    html, pos = [], start
    for s, e, _ in marks:
        if s < start or e > end:
            continue
        html.append(escape(text[pos:s]))
        html.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    html.append(escape(text[pos:end]))
    return "".join(html)


def highlight(text: str, words: Words) -> str:
    """The whole ``text``, escaped, with every query word marked (used for titles)."""
    return _render(text, 0, len(text), _matches(text, words))


def _window(text: str, marks: list[Mark], i: int) -> tuple[int, int]:
    """About FRAGMENT_CHARS around mark ``i``, widened to whole words."""
    start = max(0, marks[i][0] - FRAGMENT_CHARS // 4)
    end = min(len(text), start + FRAGMENT_CHARS)
    start = max(0, min(start, end - FRAGMENT_CHARS))
    if start > 0:
        sp = text.find(" ", start)
        start = sp + 1 if 0 <= sp < marks[i][0] else marks[i][0]
    if end < len(text):
        sp = text.rfind(" ", start, end)
        last_mark_end = max((e for s, e, _ in marks if start <= s < end), default=end)
        end = sp if sp >= last_mark_end else max(end, last_mark_end)
    return start, end


def make_snippet(parts: Sequence[Part], words: Words) -> str:
    """Up to MAX_FRAGMENTS fragments, best first by distinct words matched, shown in text order."""
    candidates = []  # (distinct, count, part index, start, end)
    per_part = {}
    for pi, part in enumerate(parts):
        marks = _matches(part.text, words)
        if not marks:
            continue
        per_part[pi] = marks
        for i in range(len(marks)):
            s, e = _window(part.text, marks, i)
            inside = [m for m in marks if s <= m[0] and m[1] <= e]
            candidates.append((_weight({m[2] for m in inside}), len(inside), -pi, s, e, pi))
    candidates.sort(reverse=True)
    chosen: list[tuple[int, int, int]] = []
    for _, _, _, s, e, pi in candidates:
        if len(chosen) == MAX_FRAGMENTS:
            break
        if any(pi == cp and s < ce and cs < e for cp, cs, ce in chosen):
            continue
        chosen.append((pi, s, e))
    if not chosen:
        for part in parts:
            if not part.is_caption and part.text.strip():
                cut = part.text[:FRAGMENT_CHARS]
                if len(part.text) > FRAGMENT_CHARS:
                    cut = cut[: cut.rfind(" ")] if " " in cut else cut
                    return escape(cut) + " …"
                return escape(cut)
        return ""
    fragments = []
    for pi, s, e in sorted(chosen):
        html = _render(parts[pi].text, s, e, per_part[pi])
        if parts[pi].is_caption:
            html = f'<span class="caption-label">{CAPTION_LABEL}</span> {html}'
        fragments.append(html)
    first, last = min(chosen), max(chosen)
    lead = "… " if first[1] > 0 or first[0] > 0 else ""
    tail = " …" if last[2] < len(parts[last[0]].text) or last[0] < len(parts) - 1 else ""
    return lead + " … ".join(fragments) + tail
