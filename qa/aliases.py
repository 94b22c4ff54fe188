"""Alternate names of Chinese tech companies and people, so a question can use any of them.

A question mentioning an alias is expanded with the names the documents are more likely to
use ("Weixin" -> "WeChat"), for both the dense and the keyword search. This is domain
vocabulary, not per-question rules; extend it as the corpus grows.
"""
from __future__ import annotations

import re

ALIASES: dict[str, str] = {
    "weixin": "WeChat",
    "ant group": "Ant Financial",
    "ant financial": "Ant Group",
    "bat": "Baidu Alibaba Tencent",
    "jd": "JD.com",
    "jingdong": "JD.com",
    "douyin": "TikTok ByteDance",
    "toutiao": "ByteDance",
    "dianping": "Meituan-Dianping",
    "meituan": "Meituan-Dianping",
    "taobao": "Alibaba",
    "tmall": "Alibaba",
    "aliyun": "Alibaba Cloud",
    "ma huateng": "Pony Ma",
    "face++": "Megvii",
    "megvii": "Face++",
    "covid": "Covid-19 Corona",
    "coronavirus": "Covid-19 Corona",
    "corona": "Covid-19",
    "self-driving": "autonomous driving",
    "driverless": "autonomous driving",
    "robotaxi": "autonomous driving",
}
# A founder's company: added to searches (a question on Pony Ma is likely answered in a passage
# on Tencent), but a person is not their company: a passage naming only Tencent does not name
# Pony Ma ("How tall is Pony Ma?" was answered with "Tencent Cloud's CEO is Dowson Tong.").
COMPANY_OF: dict[str, str] = {
    "robin li": "Baidu",
    "jack ma": "Alibaba",
    "pony ma": "Tencent",
    "ma huateng": "Tencent",
    "richard liu": "JD.com",
}
# Abbreviations a passage may spell out. Not added to searches (too common to help ranking),
# only used to see that a passage spelling one out does mention it.
ABBREVIATIONS: dict[str, str] = {
    "ai": "artificial intelligence",
    "iot": "internet of things",
    "ict": "information and communication technology",
    "r&d": "research and development",
    "ml": "machine learning",
}
_SEARCH_NAMES = {**ALIASES, **{p: " ".join(filter(None, [ALIASES.get(p), c])) for p, c in COMPANY_OF.items()}}
_PATTERN = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(_SEARCH_NAMES, key=len, reverse=True)) + r")(?![\w])", re.I)


def expand_aliases(question: str) -> str:
    """The question with the other names of any alias it mentions appended in parentheses."""
    extra = []
    for m in _PATTERN.finditer(question):
        name = _SEARCH_NAMES[m.group(1).lower()]
        if name.lower() not in question.lower() and name not in extra:
            extra.append(name)
    return f"{question} ({', '.join(extra)})" if extra else question



def alias_terms() -> dict[str, set[str]]:
    """For one-word aliases: stemmed alias -> stemmed terms of its other names."""
    from qa.text import tokenize

    out: dict[str, set[str]] = {}
    for alias, names in ALIASES.items():
        toks = tokenize(alias)
        if len(toks) == 1:
            out.setdefault(toks[0], set()).update(tokenize(names))
    return out


def spelled_out() -> list[tuple[frozenset[str], frozenset[str]]]:
    """(terms of a name, terms of its alias): text holding all of the first also names the second.

    "artificial intelligence" in a passage is a mention of "AI".
    """
    from qa.text import tokenize

    pairs = []
    for alias, names in {**ALIASES, **ABBREVIATIONS}.items():
        name_terms, alias_terms_ = frozenset(tokenize(names)), frozenset(tokenize(alias))
        if name_terms and alias_terms_:
            pairs.append((name_terms, alias_terms_))
    return pairs
