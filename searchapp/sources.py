"""Newspaper names for source slugs: what readers see instead of ``aawsat`` or ``3alyoum``.

The index stores each article's source as a short slug (the corpus's own value, e.g.
SaudiNewsNet's ``source`` field); filters, facet links and the JSON ``source`` field keep that
slug, because it is the stable identifier. Only the text shown to people is mapped.

Where names come from, later entries overriding earlier ones:

1. :data:`BUILTIN_SOURCE_NAMES`: the fourteen SaudiNewsNet sources (slugs as in its
   ``source`` field, names as each outlet writes its own name; ``3alyoum`` is «عين اليوم», the
   name its articles carry in 611 of 691 of them in the July/August 2015 dumps).
2. A JSON file ``{"slug": "name", ...}`` named by the environment variable
   ``SEARCHAPP_SOURCE_NAMES`` (read by ``searchapp serve``, ``create_app`` and
   ``searchapp search --json``, so the page, the API and the command line agree).
3. For an embedding app, ``app.config["SEARCHAPP_SOURCE_NAMES"]``: a dict, or the path of such a
   JSON file (read once, by ``init_app``).

A slug with no name is shown as is. A bad file fails at start-up with the path in the message,
rather than silently showing slugs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

#: Config key and environment variable naming extra or replacement source names.
SOURCE_NAMES_KEY = "SEARCHAPP_SOURCE_NAMES"

BUILTIN_SOURCE_NAMES: dict[str, str] = {
    "aawsat": "الشرق الأوسط",
    "alriyadh": "الرياض",
    "aljazirah": "الجزيرة",
    "alyaum": "اليوم",
    "okaz": "عكاظ",
    "aleqtisadiya": "الاقتصادية",
    "alwatan": "الوطن",
    "almadina": "المدينة",
    "alweeam": "الوئام",
    "sabq": "سبق",
    "3alyoum": "عين اليوم",
    "was": "وكالة الأنباء السعودية",
    "arreyadi": "الرياضي",
    "arriyadiyah": "الرياضية",
}


def _read_file(path: str | os.PathLike) -> dict[str, str]:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{SOURCE_NAMES_KEY}: cannot read {path}: {e}") from None
    return _checked(data, str(path))


def _checked(data: object, where: str) -> dict[str, str]:
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{SOURCE_NAMES_KEY}: {where} must map source slugs to names "
                         '(a JSON object of strings, e.g. {"aawsat": "الشرق الأوسط"})')
    return {k: v.strip() for k, v in data.items() if v.strip()}


def load_source_names(config: Mapping[str, str] | str | os.PathLike | None = None,
                      environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The slug → name table: built-in, then the environment's file, then ``config``.

    ``config`` is what an app configured (a dict, or a JSON file path); ``environ`` defaults
    to ``os.environ``. Raises ValueError naming the file when it is missing or malformed.
    """
    names = dict(BUILTIN_SOURCE_NAMES)
    env_path = (os.environ if environ is None else environ).get(SOURCE_NAMES_KEY, "")
    if env_path:
        names.update(_read_file(env_path))
    if isinstance(config, Mapping):
        names.update(_checked(dict(config), "the app config"))
    elif config:
        names.update(_read_file(config))
    return names


def source_name(slug: str, names: Mapping[str, str] | None = None) -> str:
    """The name to show for ``slug`` (the slug itself when none is known)."""
    table = BUILTIN_SOURCE_NAMES if names is None else names
    return table.get(slug, slug) if slug else ""
