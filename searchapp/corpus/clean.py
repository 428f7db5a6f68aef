"""Text hygiene at ingestion: control and bidi-override characters never reach an `Article`.

Every text field of every format passes through here (records.py for JSON and JSON Lines, each
line of a page dump in pagedump.py), before ids are derived from titles, so an id never depends
on an invisible character. The rules:

* NUL and the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) are
  deleted. They never separate words, and an unbalanced override (U+202E) reverses the rest of
  the result page around the snippet: a spoofing vector, not text.
* Other C0 controls (tab and line breaks included), DEL and the C1 controls (U+0080-U+009F)
  become a space: paragraphs are split before cleaning, so no field keeps line structure, and a
  tab between two words must keep them apart. Ends are stripped; inner spacing is otherwise
  left as written (paragraphs collapse their whitespace in records.py, as before).
* Kept: LRM/RLM (U+200E/U+200F) and the Arabic letter mark ALM (U+061C). They are zero-width
  direction marks with no scope (nothing to leave unterminated), so they cannot flip text around
  them, and mixed Arabic/Latin headlines use them legitimately. ZWNJ/ZWJ (U+200C/U+200D) stay too:
  they shape Arabic-script letters.
* Markup is removed, then HTML entities are decoded, as an HTML parser reads text: SaudiNewsNet
  has `&nbsp;` in author fields and `&quot;` in titles, and scraped bodies carry `<b>`/`<br>`.
  Only real tags go: a known HTML element name right after `<` (or `</`), well-formed
  attributes, then `>`; comments, `<!DOCTYPE>` and `<?xml?>` too; `<script>`/`<style>` with
  their content. So `a < b`, `x<y and y>z` and `<بين قوسين>` stay text. Inline elements (`b`,
  `a`, `span`...) vanish, so `<b>كلمة</b>` stays one word; other tags become a space, so
  `سطر<br>سطر` stays two words. Entities are decoded once (`&lt;b&gt;` is the text `<b>`, never
  markup), and a decoded entity goes through the control rules below like any character (an
  `&#8238;` cannot smuggle in a bidi override). NBSP (U+00A0) becomes a plain space: a field
  has no line breaking to control, and `فهد&nbsp;` must equal `فهد` as a facet value.
* Ids lose the same characters (deleted, not turned into spaces) and are otherwise kept as
  given: no entity decoding, an id is a key, not text.
"""

from __future__ import annotations

import html
import re

_DELETE = re.compile("[\x00\u202a-\u202e\u2066-\u2069]+")
_TO_SPACE = re.compile("[\x01-\x1f\x7f-\x9f]")  # C0 but NUL, DEL, C1
_ID_DELETE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


# The HTML elements (WHATWG living standard, plus the obsolete ones old CMSs still emit).
_INLINE = (
    "a abbr b bdi bdo big cite code data del dfn em font i ins kbd mark q s samp small span "
    "strike strong sub sup time tt u var wbr")
_BLOCK = (
    "address area article aside audio blockquote body br button canvas caption center col "
    "colgroup dd details dialog dir div dl dt embed fieldset figcaption figure footer form "
    "frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input label "
    "legend li link main map menu meta meter nav noscript object ol optgroup option output "
    "p param picture pre progress rp rt ruby section select source summary table tbody td "
    "template textarea tfoot th thead title tr track ul video")
_ATTRS = r"""(?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*/?>"""
_NAMES = "|".join(sorted(f"{_INLINE} {_BLOCK}".split(" "), key=len, reverse=True))
_TAG = re.compile(
    r"<(?:script|style)\b[^>]*>.*?</(?:script|style)\s*>"  # executable content goes whole
    r"|<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![A-Za-z][^<>]*>|<\?[A-Za-z][^<>]*\?>"
    rf"|</?(?P<name>{_NAMES})(?![\w-]){_ATTRS}", re.IGNORECASE | re.DOTALL)
_INLINE_SET = frozenset(_INLINE.split(" "))


def _tag_repl(m: re.Match[str]) -> str:
    name = m.group("name")
    return "" if name is not None and name.lower() in _INLINE_SET else " "


def strip_markup(text: str) -> str:
    """Tags removed and entities decoded, by the rules of the module docstring."""
    if "<" in text:
        text = _TAG.sub(_tag_repl, text)
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\u00a0", " ")


def clean_text(text: str) -> str:
    """One line of displayable text: markup, entities and controls handled as the module
    docstring says, ends stripped."""
    if "<" in text or "&" in text or "\u00a0" in text:
        text = strip_markup(text)
    if text.isprintable():  # the common case, checked in C: no control, no format character
        return text.strip()
    return _TO_SPACE.sub(" ", _DELETE.sub("", text)).strip()


def clean_id(value: str) -> str:
    """An id without control or bidi-override characters, otherwise unchanged."""
    return _ID_DELETE.sub("", value)
