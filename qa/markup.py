"""Visible text and title of HTML and Markdown sources, cleaned like any other text."""
from __future__ import annotations

import re

from qa.clean import clean_text


# YAML ("---") or TOML ("+++") front matter: metadata for a site generator, not prose.
_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?\n)?(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE = re.compile(r"^title\s*[:=]\s*[\"']?(.*?)[\"']?\s*$", re.M)
# Block tokens after which a new paragraph starts; a table row is one, its cells " | " apart.
_MD_BLOCK_ENDS = {"paragraph_close", "heading_close", "tr_close", "code_block", "html_block"}


def markdown_text(source: str) -> tuple[str, str]:
    """Prose of a Markdown file, parsed as CommonMark with tables; the title is its first h1.

    Fenced code, HTML comments, images and front matter are dropped; headings, list items
    and table rows are paragraphs of their own; markup (list and quote markers, emphasis,
    link targets) goes, its text stays. Indented code is kept as text: a file indented by
    habit would otherwise lose its paragraphs.
    """
    from markdown_it import MarkdownIt

    source = source.replace("\r\n", "\n").replace("\r", "\n")
    front_title = ""
    front = _FRONT_MATTER.match(source)
    if front:
        m = _FRONT_TITLE.search(front.group(2) or "")
        front_title = m.group(1) if m else ""
        source = source[front.end():]
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    title = ""
    parts: list[str] = []
    numbered: list[bool] = []  # per open ordered list: are its numbers content?
    for previous, token in zip([None, *tokens], tokens):
        if token.type == "ordered_list_open":
            # A list counted from 1 is a list; "1998. Tencent is founded" is a timeline, and
            # its numbers are what it says.
            numbered.append(int(token.attrs.get("start", 1)) > 1)
        elif token.type == "ordered_list_close":
            numbered.pop()
        elif token.type == "list_item_open" and token.info and numbered and numbered[-1]:
            parts.append(f"{token.info}{token.markup} ")
        if token.type == "inline":
            text = _markdown_inline(token.children or [])
            if previous is not None and previous.type in ("th_open", "td_open") and parts[-1:] != ["\n\n"]:
                parts.append(" | ")
            parts.append(text)
            if not title and previous is not None and previous.type == "heading_open" and previous.tag == "h1":
                title = " ".join(text.split())
        elif token.type == "code_block":
            parts.append(token.content)
        elif token.type == "html_block":
            parts.append(html_text(token.content)[0])
        if token.type in _MD_BLOCK_ENDS:
            parts.append("\n\n")
    return clean_text("".join(parts)), title or front_title


def _markdown_inline(children: list) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append("\n")
        elif child.type == "hardbreak" or (child.type == "html_inline" and child.content.lower().startswith("<br")):
            parts.append("\n\n")
    return "".join(parts)


_HIDDEN_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "head", "nav", "form", "button"]
_BLOCK_TAGS = [
    "p", "div", "section", "article", "main", "header", "footer", "aside", "h1", "h2", "h3",
    "h4", "h5", "h6", "li", "ul", "ol", "table", "tr", "blockquote", "pre", "dd", "dt", "dl", "br",
    "figure", "figcaption", "caption", "details", "summary", "address", "hr",
]
_CELL_TAGS = ["td", "th"]


def html_text(source: str) -> tuple[str, str]:
    """Visible text of an HTML page: blocks become paragraphs, scripts and chrome dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if not title and soup.h1:
        title = soup.h1.get_text(" ", strip=True)
    for tag in soup.find_all(_HIDDEN_TAGS):
        tag.decompose()
    _drop_page_chrome(soup)
    for tag in soup.find_all(style=True):
        style = tag["style"].replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    # Preformatted lines stay apart, as lines broken by <br> do.
    for string in [s for pre in soup.find_all("pre") for s in pre.find_all(string=True)]:
        string.replace_with(string.replace("\n", "\n\n"))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    # A table row stays one line, its cells apart: "Tencent | 482 billion yuan".
    for tag in soup.find_all(_CELL_TAGS):
        tag.insert_before(" | " if tag.find_previous_sibling(_CELL_TAGS) else " ")
        tag.insert_after(" ")
    return clean_text(soup.get_text()), title


# Site-wide header, footer and sidebar; inside an <article> or <main> they belong to the text
# (an article's own header holds its headline).
_CHROME_TAGS = ["header", "footer", "aside"]
# Where a header or footer belongs to the content: a section's heading, a quote's attribution.
_CONTENT_PARENTS = ["article", "main", "section", "blockquote", "figure"]
# ARIA roles of the same site chrome, and of dialogs laid over the page (cookie and newsletter
# pop-ups): never the page's content.
_CHROME_ROLES = {"banner", "contentinfo", "navigation", "dialog", "alertdialog"}
_CONSENT_MARK = re.compile(r"cookie|consent|gdpr", re.I)
# Classes and ids that name site chrome written as <div>s: "site-header", "footer", "navbar".
_CHROME_MARK = re.compile(r"(?:^|[-_])(?:header|footer|nav|navbar|navigation|menu|breadcrumbs?|sidebar)(?:[-_]|$)", re.I)
# A banner is short; a longer element marked so is a page or post that mentions cookies
# (<div class="post tag-gdpr">, <div class="wrapper consent-given">).
BANNER_MAX_WORDS = 120


def _drop_page_chrome(soup) -> None:
    for tag in soup.find_all(True):
        if (not tag.decomposed and (tag.name in _CHROME_TAGS or _chrome_marks(tag))
                and not tag.find_parent(_CONTENT_PARENTS) and not tag.find(["main", "article", "h1"])
                and _is_site_chrome(tag)):
            tag.decompose()
    for tag in soup.find_all(True):
        if not tag.decomposed and _is_overlay(tag):
            tag.decompose()


def _chrome_marks(tag) -> bool:
    if tag.name in ("html", "body", "main", "article"):
        return False
    return any(_CHROME_MARK.search(str(mark)) for mark in [tag.get("id", ""), *tag.get("class", [])])


def _is_site_chrome(tag) -> bool:
    """A page's own header, footer or sidebar: short, or mostly links (a lead paragraph in
    the page header is neither)."""
    words = len(tag.get_text(" ").split())
    linked = sum(len(a.get_text(" ").split()) for a in tag.find_all("a"))
    return words <= 25 or 2 * linked >= words


def _is_overlay(tag) -> bool:
    """A dialog, or a short element whose id, class or label marks it as a cookie or consent
    banner. An element holding the page's main content or a heading is never one."""
    marks = " ".join([str(tag.get("id", "")), *tag.get("class", []), str(tag.get("aria-label", ""))])
    if not (tag.name == "dialog" or str(tag.get("role", "")).lower() in _CHROME_ROLES
            or _CONSENT_MARK.search(marks)):
        return False
    if tag.name in ("html", "body", "main", "article") or tag.find(["main", "article", "h1", "h2"]):
        return False
    return len(tag.get_text(" ").split()) <= BANNER_MAX_WORDS
