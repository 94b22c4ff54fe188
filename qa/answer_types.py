"""The kind of answer a question asks for (a number, a date, a name) and whether a sentence holds one."""
from __future__ import annotations

import re

from qa.places import CAPITALISED_RUN, places
from qa.text import STOPWORDS, stem, tokenize, words

_WHAT_DID_SPEND = r"\bwhat did\b[^?]*\b(?:spend|invest|pay|earn|raise)\b"  # "what did China spend on tech"
_NUMBER_Q = re.compile(
    r"\b(how (many|much|big|large|long|fast|far|accurate)|number of|percentage|what share|what proportion|how many)\b"
    rf"|{_WHAT_DID_SPEND}", re.I)
# "How fast do Chinese firms launch products compared with the West?" may be answered by a
# comparison ("incomparably higher than in Western markets") as well as a number.
_COMPARED_Q = re.compile(
    r"\bhow (?:fast|quick(?:ly)?|big|large|far|good|well|strong)\b[^?]*\b(?:compared|than|relative to|versus|vs)\b", re.I)
# Quantity nouns that are sums of money.
_MONEY_NOUNS = (r"revenues?|profits?|valuations?|(?<!what )(?<!add )(?:financial |monetary |deal |contract )?value(?! chain| added)|net worth|prices?|costs?|fees?|(?:market )?capitali[sz]ation|sales|"
                r"income|turnover|funding|budget|salary|salaries|spend(?:ing)?")
# Audience figures: "WeChat's monthly active users", "daily users of Douyin".
_AUDIENCE = (r"(?:(?:daily|weekly|monthly|annual|yearly)\s+)?active\s+(?:users|customers|buyers|accounts|consumers)|"
             r"(?:daily|weekly|monthly|annual|yearly)\s+(?:users|customers|visitors|buyers)")
# Nouns naming a quantity: "Tencent's revenue", "Megvii's valuation", "huawei employees count"
# ask for a number as "how many" does. The last group counts what the word before it names.
QUANTITY_NOUN = re.compile(
    rf"\b(?:({_MONEY_NOUNS}|population|market share|gdp|headcount|user base|accuracy|error rate|{_AUDIENCE})|"
    r"([\w-]+)\s+(?:count|total|amount|volume|figures?|number(?=\s*\??\s*$)))\b", re.I)
# Nouns naming a person's (or a head office's) role: "bytedance founder", "Huawei's CEO" ask for a
# name, and the name should stand near the role.
ROLE_NOUN = re.compile(
    r"\b(ceo|chief executive|co-?founders?|founders?|president|chairman|chairwoman|director|owner|"
    r"inventor|creator|boss|executive|official|minister|commissioner|headquarter(?:s|ed)?)\b", re.I)
# A question asking for the holder of a role by its verb: "who founded Meituan", "who chairs the
# dialogue", "what company did Richard Liu found"; the name should stand near the role
# ("founder", "chairman"), as for ROLE_NOUN.
ROLE_VERB = re.compile(
    r"^\s*(?:who|whom|which|what)\b[^?]*?\b(founded|co-?founded|chairs|chaired|heads|headed|runs|leads|owns)\b"
    r"|^\s*(?:which|what)\b[^?]*?\bdid\s+(?:[\w.-]+\s+){1,3}(found|co-?found)\b", re.I)  # "what company did X found"
_DATE_Q = re.compile(
    # "when it comes to AI" is no date question
    r"\b(when(?! it comes? to\b)|what year|which year|what date|since when|(?:what|which) (?:month|day)|in which year)\b"
    # "the publication date of the article", "launch date"
    r"|\b(?:publication|release|launch|founding|signing|opening|start|due) date\b"
    # keyword queries: "wechat pay launch year"; not "revenue last year", "users per year"
    r"|(?<!last )(?<!this )(?<!next )(?<!per )(?<!each )(?<!a )(?<!to )\b(year|date)\s*\??\s*$", re.I)
_WH_WORD = re.compile(r"\b(whats|what|who|whom|whose|which|how|why|where)\b", re.I)
_NAME_Q = re.compile(
    r"^\s*(who|whom|whose)\b|\b(?:which|what) (company|firm|start-?up|person|entrepreneur|city|cities|country|"
    r"countries|university|brand|app|platform|product)\b|\b(called|named)\s*\??\s*$|\bname of\b|\bwho\b", re.I)
# A place is asked for: "in which city", "Ericsson is from which country", "where is X based",
# "where was the declaration signed",
# "alibaba headquarters city"; answered by a place name (qa.places), not any capitalised word.
# "which (was the first|other Chinese) city", but not "what does ... City Brain do".
_BETWEEN = r"(?:\s+(?!do\b|does\b|did\b)[\w-]+){0,3}?"
_CITY_Q = re.compile(rf"\b(?:which|what){_BETWEEN}\s+(?:city|cities|town|towns)\b|\b(?:city|town)\s*\??\s*$", re.I)
_COUNTRY_Q = re.compile(rf"\b(?:which|what){_BETWEEN}\s+(?:country|countries|nation|nations)\b|\bcountry\s*\??\s*$", re.I)
_PLACE_Q = re.compile(
    r"\bwhere\b[^?]*\b(?:based|headquartered|located|domiciled|situated|signed|held|founded|established|born|"
    r"opened|built)\b|\bheadquarter(?:s|ed)?\b|\blocation\s*\??\s*$|\b(?:what|which) (?:is|was) (?:the|its) location\b", re.I)
_HOW_MANY = re.compile(r"\bhow (?:many|much)\b", re.I)
PLACE_KINDS = ("city", "country", "place")
# An institution is asked for by the word its names carry: "which university helped build Smart
# Touch" wants "Tsinghua University", "which Tencent lab launched Miying" "YouTu Lab"; not "which
# hospital job" (the word must end the phrase: a verb, an auxiliary or the end follows).
INSTITUTION_KINDS = ("university", "college", "hospital", "bank", "school", "institute", "academy", "lab",
                     "laboratory", "agency", "ministry")
_INSTITUTION_Q = re.compile(
    rf"\bwhich\s+(?:[\w-]+\s+)?({'|'.join(INSTITUTION_KINDS)})\b"
    r"(?=\s*[?.!]?\s*$|\s+(?:is|was|are|were|did|does|do|has|have|had|can|could|will|would|built|made|led|ran|won"
    r"|began|wrote|\w+ed)\b)", re.I)
# Kinds whose answers are whole names read by answer_units (a gazetteer's, an institution's).
UNIT_KINDS = (*PLACE_KINDS, *INSTITUTION_KINDS)
NAME_KINDS = ("name", *UNIT_KINDS)
_CAPITALISED = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][\w+-]+")
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundreds?|"
    r"thousands?|millions?|billions?|trillions?|dozens?|half|once|twice|thrice|"
    r"second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth")
# A number word inside a hyphenated word counts nothing: "all-in-one", "one-stop".
NUMBER_TOKEN = re.compile(rf"\d[\d,.]*|(?<![\w-])({_NUMBER_WORDS})(?![\w-])", re.I)
# A bare year ("in 2012") dates something; it does not count anything.
YEAR = re.compile(r"1[89]\d\d|20\d\d")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")
DATE_TOKEN = re.compile(rf"\b({YEAR.pattern}|{'|'.join(MONTH_NAMES)})\b", re.I)
# A number that measures something, a time span or a size or a distance: "one year later",
# "two-day", "10 megabytes", "six million kilometres". It answers "how long" or "how big", not
# "how many users".
_MEASURE_UNITS = ("years?", "months?", "weeks?", "days?", "decades?", "hours?", "minutes?", "seconds?",
                  "(?:kilo|mega|giga|tera)?bytes?", "[kmgt]b", "kilomet(?:re|er)s?", "km", "miles?",
                  "met(?:re|er)s?", "kilograms?", "kg", "tonnes?", "tons?")
MEASURE = re.compile(rf"(\d[\d,.]*|\b(?:{_NUMBER_WORDS}))[\s-]+(?:million\s+|billion\s+)?"
                     rf"(?:{'|'.join(_MEASURE_UNITS)})\b", re.I)
_ASKS_MEASURE = re.compile(  # not "monthly users"
    rf"\b(?:how (?:long|big|large|far|fast|heavy|tall)|size|distance|speed|weight|times?|period|duration|"
    rf"{'|'.join(_MEASURE_UNITS)})\b", re.I)
_MEASURE_MARK = "#measure"


# A sum of money is asked for: "how much did Alibaba invest", "Tencent's revenue"; the answer
# needs a currency ("USD 174 billion", "US $33.8 billion").
_MONEY_Q = re.compile(
    r"\bhow much (?:money\b|(?:[\w-]+\s+){0,5}?(?:invest|spen[dt]|rais|pa(?:y|id)|cost|earn|fund|sell|sold|"
    rf"charg|worth|valu)\w*)|\b(?:{_MONEY_NOUNS})\b|{_WHAT_DID_SPEND}", re.I)
CURRENCY = re.compile(r"[$€£¥元]|人民币|\b(?:usd|rmb|cny|yuan|renminbi|euros?|eur|dollars?|hkd|gbp|pounds?)\b", re.I)
# Questions that ask for something other than a quantity even when they name one: "which
# sectors saw revenue growth", "did Tencent's revenue grow".
_OTHER_ASK = re.compile(
    r"^\s*(?:which|who|whom|whose|where|why|how(?! many| much)|is|are|was|were|do|does|did|can|could|has|"
    r"have|had|will|should)\b", re.I)

NUMERIC = ("number", "money")
# A sum of money: "USD 1 billion", "US $33.8 billion", "97.5 billion yuan". It answers "how
# much", not "how many tech unicorns" ("companies valued at USD 1 billion").
_SCALE = r"(?:\s*(?:million|billion|trillion|bn|亿|万))?"
MONEY_AMOUNT = re.compile(rf"(?:{CURRENCY.pattern})\s*\$?\s*\d[\d,.]*{_SCALE}|\d[\d,.]*{_SCALE}\s*(?:{CURRENCY.pattern})", re.I)
_MONEY_MARK = "#money"
_COUNT_Q = re.compile(r"\b(?:how many|number of|count of)\b", re.I)
CURRENCY_TERMS = frozenset({"usd", "rmb", "cny", "yuan", "renminbi", "euro", "eur", "dollar", "hkd", "gbp", "pound"})

# Words of conversation rather than of a question: a message made only of these (and
# stopwords), "OK thanks", "hello", asks the documents nothing.
SMALL_TALK = frozenset("""
    thanks thank thx ty cheers ok okay k hi hello hey bye goodbye yes yeah yep no nope sure
    great cool nice fine good perfect awesome
""".split())


# A question asking what something is called: "What is Baidu's social network called?",
# "alibaba smart city platform name", "What do the authors call these practices?".
_NAMING_Q = re.compile(
    r"\b(?:what|which) (?:name|term|label|nickname)\b|\bname (?:do|does|did)\b|\bwhat (?:do|does|did) [^?]*\bcall\b|"
    r"\bcalled\s*\??\s*$|\bname\s*\??\s*$|\bhow (?:do|does|did) [^?]*\bname\b", re.I)
# A sentence giving something's name: a quoted name ("its “Apollo” project"), or one a naming
# verb introduces ("We call them Dragon Tactics", "known as BAT").
NAMING = re.compile(r"[“\"«][^”\"»]{2,60}[”\"»]|\b(?:call|calls|called|named|dubbed|known as|termed|coined)\s+(?:them\s+|it\s+|this\s+)?[“\"]?[A-Z]")


def asks_name_of(question: str) -> bool:
    """Whether the question asks what something is called."""
    return _NAMING_Q.search(question) is not None


def is_small_talk(text: str) -> bool:
    ws = words(text)
    return bool(ws) and any(w in SMALL_TALK for w in ws) and all(w in SMALL_TALK or w in STOPWORDS for w in ws)


def expected_type(question: str) -> str | None:
    if _asks_date(question):
        return "date"
    if not _HOW_MANY.search(question):
        for kind, pattern in (("city", _CITY_Q), ("country", _COUNTRY_Q), ("place", _PLACE_Q)):
            if pattern.search(question):
                return kind
    m = _INSTITUTION_Q.search(question)
    if m:
        return m.group(1).lower()
    if _COMPARED_Q.search(question):
        return None
    numeric = _NUMBER_Q.search(question) or (QUANTITY_NOUN.search(question) and not _OTHER_ASK.match(question))
    if numeric and _MONEY_Q.search(question):
        return "money"
    if numeric:
        return "number"
    if _NAME_Q.search(question) or ROLE_NOUN.search(question):
        return "name"
    return None


def _asks_date(question: str) -> bool:
    """A date question; a "when" after another question word joins a clause ("what happened
    to visitors when SARS hit") and asks for no date."""
    m = _DATE_Q.search(question)
    if m is None:
        return False
    if m.group(0).lower() == "when":
        first = _WH_WORD.search(question)
        return first is None or first.start() > m.start()
    return True


def type_match(kind: str | None, sentence: str, query_terms: tuple[str, ...] = (), asks_measure: bool = False) -> float:
    """1 when the sentence holds the kind of answer asked for (or none is asked), else 0.

    A name answer needs a capitalised word the question does not already contain.
    """
    return units_match(kind, answer_units(kind, sentence), query_terms, asks_measure)


def answer_units(kind: str | None, sentence: str) -> tuple[frozenset[str], ...]:
    """The token sets of the sentence's possible answers of this kind (names, numbers, dates);
    they depend only on the sentence, so the Answerer caches them per sentence row."""
    if kind == "name":
        return tuple(frozenset(tokenize(w)) for w in _CAPITALISED.findall(sentence))
    if kind in INSTITUTION_KINDS:
        head = kind[:4]  # "lab" finds "Laboratory" too
        return tuple(frozenset(tokenize(run)) for run in CAPITALISED_RUN.findall(sentence)
                     if any(w.lower().startswith(head) for w in run.split()))
    if kind in PLACE_KINDS:
        # "U.S." is only stopwords to tokenize(); its words still mark where it stands.
        return tuple(frozenset(tokenize(p)) or frozenset(stem(w) for w in words(p)) for p in places(kind, sentence))
    if kind == "money" and not CURRENCY.search(sentence):
        return ()
    pattern = DATE_TOKEN if kind == "date" else NUMBER_TOKEN if kind in NUMERIC else None
    if pattern is None:
        return ()
    found = pattern.finditer(sentence)
    if kind not in NUMERIC:
        return tuple(frozenset(tokenize(m.group(0))) for m in found)
    spans = [m.span() for m in MEASURE.finditer(sentence)]
    money = [m.span() for m in MONEY_AMOUNT.finditer(sentence)]
    return tuple(frozenset(tokenize(m.group(0)))
                 | ({_MEASURE_MARK} if any(a <= m.start() < b for a, b in spans) else set())
                 | ({_MONEY_MARK} if any(a <= m.start() < b for a, b in money) else set())
                 for m in found if not _is_year(m.group(0)))


def answer_word(kind: str, word: str) -> bool:
    """Whether one word (qa.text.words) can answer a date question (a year or month) or a
    number or money question (a number that is not a bare year)."""
    if kind == "date":
        return DATE_TOKEN.fullmatch(word) is not None
    return bool(NUMBER_TOKEN.fullmatch(word) or word[0].isdigit()) and not _is_year(word)


def _is_year(token: str) -> bool:
    return YEAR.fullmatch(token.rstrip(",.")) is not None


def asks_count(question: str) -> bool:
    """Whether the question counts things: "how many tech unicorns", "number of users"; not
    "Which country did China pass in the number of tech unicorns?", which asks for a name."""
    return _COUNT_Q.search(question) is not None and not _OTHER_ASK.match(question)


def asks_measure(question: str) -> bool:
    """Whether a measure could answer the question ("how long", "how many years", "size")."""
    return _ASKS_MEASURE.search(question) is not None


def units_match(kind: str | None, units: tuple[frozenset[str], ...], query_terms: tuple[str, ...],
                asks_measure: bool = False, counts: bool = False) -> float:
    """1 when one of the sentence's answers of this kind is new to the question. A measure
    answers only a question asking for one; with `counts` ("how many ..."), a sum of money
    answers only a question naming a currency."""
    asked = set(query_terms)
    if kind in NAME_KINDS:
        return 1.0 if any(u - asked for u in units) else 0.0
    if kind not in ("date", *NUMERIC):
        return 1.0
    if kind in NUMERIC and not asks_measure:
        # "One year later", "10 megabytes" measure; they do not say how many users there are.
        units = tuple(u for u in units if _MEASURE_MARK not in u)
    if kind == "number" and counts and not asked & CURRENCY_TERMS:
        units = tuple(u for u in units if _MONEY_MARK not in u)
    # A number or date only counts when it is not one the question already gave.
    return 1.0 if any(not u & asked for u in units) else 0.0
