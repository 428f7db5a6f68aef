"""Month names: the same month is written four ways across the Arab press.

Egypt and the Gulf use the Latin-derived names (نوفمبر), the Levant and Iraq the Syriac ones
(تشرين الثاني), Tunisia and Algeria French-derived forms (نوفمبر but جانفي, فيفري, أفريل, جوان,
جويلية, أوت) and Morocco its own (نونبر, دجنبر, يوليوز, غشت, شتنبر). Papers often write two
side by side — the sample page has ``27 نوفمبر (تشرين الثاني)`` — so a reader typing one name
must find the others. Groups are keyed by month number; names are normalized like the text.
"""

from __future__ import annotations

from functools import lru_cache

from searchapp import arabic

_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "جانفي", "جانفييه"),
    2: ("فبراير", "شباط", "فيفري"),
    3: ("مارس", "آذار"),
    4: ("أبريل", "إبريل", "نيسان", "أفريل"),
    5: ("مايو", "أيار", "ماي"),
    6: ("يونيو", "حزيران", "جوان", "يونيه"),
    7: ("يوليو", "تموز", "جويلية", "يوليوز", "يوليه"),
    8: ("أغسطس", "آب", "أوت", "غشت"),
    9: ("سبتمبر", "أيلول", "شتنبر"),
    10: ("أكتوبر", "تشرين الأول"),
    11: ("نوفمبر", "تشرين الثاني", "نونبر"),
    12: ("ديسمبر", "كانون الأول", "دجنبر"),
}


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, ...], int]:
    """Normalized name (as a tuple of words) -> month number."""
    out = {}
    for month, names in _MONTHS.items():
        for name in names:
            out[tuple(arabic.normalize(name).split())] = month
    return out


def month_names(month: int) -> list[tuple[str, ...]]:
    """Every normalized spelling of ``month``, each a tuple of words."""
    return [tuple(arabic.normalize(n).split()) for n in _MONTHS[month]]


def find_months(words: list[str]) -> list[tuple[int, int, int]]:
    """(start, length, month) for each month name in a list of normalized words.

    Two-word names (تشرين الثاني) are matched before one-word ones, so the second word is
    not mistaken for the ordinary word الثاني.
    """
    index = _index()
    found, i = [], 0
    while i < len(words):
        for size in (2, 1):
            key = tuple(words[i : i + size])
            if len(key) == size and key in index:
                found.append((i, size, index[key]))
                i += size
                break
        else:
            i += 1
    return found
