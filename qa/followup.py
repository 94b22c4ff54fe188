"""Turn an elliptical follow-up ("and Tencent?", "when?") into a standalone question.

The chat sends the engine one question at a time, and the engine has no memory. A follow-up
such as "and Tencent?" after "How many AI patents had Baidu filed?" only makes sense with the
previous turn, so `rewrite_followup()` rewrites it using the previous *interpreted* question
(the one actually sent to the engine, so follow-ups chain: "and Tencent?" then "and Alibaba?").

How it works (pure, deterministic, no model, no per-question rules):

1. Spot *entities* in both questions by their surface form: runs of capitalised words or
   acronyms ("Baidu", "Ant Financial", "AI", "JD.com", "5G"), dates ("October 2019", "2018")
   and numbers. Question words, function words, imperatives ("Tell", "Compare"), demonyms
   ("European", "Chinese") and weekdays are not entities. Names joined by "and" / "or" / ","
   form one entity ("Baidu and Tencent").
2. Decide what kind of follow-up the new question is, in this order:
   - a *pronoun* ("it", "its", "they", "their", "he", "her"...) and no name of its own:
     the first pronoun is replaced by the previous question's main name ("its" -> "Baidu's");
   - only a *question word* ("when?", "and where?", "in which year?"): the previous question
     with its leading question words swapped for the new ones ("When AI patents had Baidu
     filed?" - ungrammatical, but it carries the subject and the kind of answer asked for);
   - a *continuation cue* ("and", "what about", "how about", "same for", "also"...) followed
     by one or more entities and at most one other content word: each entity replaces the
     previous entity of the same kind (a name for a name, an acronym for an acronym, a date
     for a date; a name after a preposition replaces the name after the same one, "and in
     Germany?" -> "... in Germany?", or is added with it; else a possessive slot, else the
     first); with none to replace, the
     remainder is appended ("and in 2020?" -> "How big was the tech market in 2020?");
   - a cue followed by a short phrase with no entity ("and speech recognition?"): appended;
   - a cue followed by a longer question with no name ("and how many patents?"): the
     previous main name is added in brackets ("How many patents (Baidu)?");
   - a *bare name* ("Tencent?", "Ant Financial"): substituted like a cue, but left alone when
     the previous question has no name of that kind (it is then a keyword query).
   Anything else is standalone and passes through unchanged: a question with its own name
   and more to say ("What about Tencent's cloud revenue growth?") is a new question.
3. A pronoun's antecedent is the previous question's first possessive name ("Baidu's") with
   the name it owns, if one follows ("Tencent's Miying platform" -> "Tencent's Miying"),
   else its first capitalised name, else its first acronym; a plural pronoun ("they",
   "their") takes all of the previous names, joined with "and".

Where it fails (by design, to stay small and predictable):
- Which slot to fill is chosen by surface shape, not meaning: "and IBM?" after "How many AI
  patents had Baidu filed?" replaces the acronym "AI", not "Baidu".
- Words tied to the old entity stay: "and Tencent?" after "What is Baidu's Apollo project?"
  gives "What is Tencent's Apollo project?".
- A follow-up that changes the topic but not the entity ("what about speech recognition?")
  is appended to the previous question, which keeps the old topic's words too.
- A capitalised ordinary word at the start ("Overall, ...") counts as a name unless it is a
  known function word or imperative; lower-case names ("tencent?") are not recognised.
- A pronoun in a question that has its own name ("When did Alibaba launch it?") is not
  resolved; "the company" / "this firm" are not treated as pronouns; an expletive "it"
  ("Is it true that ...") is skipped only when followed by "that".
- Only the previous turn is used, never the whole conversation.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from qa.answer_types import SMALL_TALK, YEAR

EntityKind = Literal["name", "acronym", "date", "number"]
FollowupKind = Literal["standalone", "pronoun", "question-word", "continuation", "bare-name"]

# Closed-class words: never entities even when capitalised, and never "content".
_QUESTION_WORDS = frozenset(
    "what when where who whom whose which why how many much long often far big large old".split()
)
_FUNCTION_WORDS = frozenset("""
    a an the and or but nor so yet also too then now else besides
    is are was were be been being am do does did done doing have has had having
    can could will would shall should may might must
    i me my we us our you your it its they them their theirs he him his she her hers this that
    these those there here one ones
    of in on at by for from to with about as into onto over under than like per via
    between among through during since until till after before against within without
    not no yes any some all each every both either neither other another same such more most
    very just only even still really please
    if whether apart except according regarding concerning including
""".split()) | _QUESTION_WORDS
# Imperatives a question may start with; capitalised there, but not names.
_IMPERATIVES = frozenset(
    "tell show give list name describe explain compare summarise summarize find define say".split()
)
# Capitalised but not an entity a follow-up would swap: nationalities and regions as adjectives.
_DEMONYMS = frozenset("""
    chinese european american german swedish swiss french dutch japanese korean british english
    western eastern asian indian russian italian spanish taiwanese african
""".split())
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_MONTHS = frozenset("""
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
""".split())

# A follow-up made only of these asks a new question about the old subject ("and when?").
_BARE_QUESTION = _QUESTION_WORDS | frozenset("in on at by since exactly then year month date day time".split())
# Leading words dropped from the previous question before the new question word goes in.
_LEADING_QUESTION = _QUESTION_WORDS | frozenset(
    "in on at by for since from to year month date day time exactly".split()) | _IMPERATIVES

_SINGULAR_PRONOUNS = frozenset({"it", "its", "he", "him", "his", "she", "her"})
_PLURAL_PRONOUNS = frozenset({"they", "them", "their", "theirs"})
_POSSESSIVE_PRONOUNS = frozenset({"its", "his", "her", "their", "theirs"})

# Leading phrases that mark the rest as a continuation of the previous question.
_CUES = (
    "and what about", "and how about", "and what of", "what about", "how about", "what of",
    "same question for", "same for", "the same for", "and also", "and for", "and", "also", "or",
    "but", "now", "then",
)
_CUE_RE = re.compile(r"^\s*(?:" + "|".join(re.escape(c) for c in _CUES) + r")\b[\s,:]*", re.I)
# A token: a word with inner apostrophes, dots, hyphens or plus signs ("JD.com", "Face++",
# "Meituan-Dianping", "Baidu's"), a number with separators ("5,712", "2.5"), or one other symbol.
_TOKEN_RE = re.compile(r"\d[\d,.]*\d%?|[\w][\w'’.+\-]*[\w+]|[\w]|[^\w\s]")
_POSSESSIVE_RE = re.compile(r"['’]s?$")
_OWNED = re.compile(r"['’]s?\s+")  # between an owner and the name it owns: "Baidu's Apollo"
_YEAR_RE = re.compile(rf"^(?:{YEAR.pattern})s?$")
_NUMBER_RE = re.compile(r"^\d[\d,.]*%?$")
_PREPOSITIONS = frozenset("in on at by for from to with about into since until during after before against".split())
# Entities may be joined into one by these ("Baidu and Tencent", "Audi, Daimler or Volvo").
_JOINERS = frozenset({"and", "or", ",", "&"})
# A follow-up remainder with more content words than this is a new question, not an ellipsis.
MAX_CONTINUATION_CONTENT_WORDS = 1


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def bare(self) -> str:
        """The word without a possessive ending: "Baidu's" -> "Baidu"."""
        return _POSSESSIVE_RE.sub("", self.text) if len(self.text) > 2 else self.text

    @property
    def lower(self) -> str:
        return self.bare.lower()


@dataclass(frozen=True)
class Entity:
    text: str  # as written, without a trailing possessive
    start: int  # offsets into the question
    end: int
    kind: EntityKind
    possessive: bool = False


@dataclass(frozen=True)
class Rewrite:
    """The question to send to the engine, and why it differs from what was typed."""

    question: str
    rewritten: bool
    kind: FollowupKind
    reason: str = ""


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


def _token_kind(tok: Token) -> EntityKind | None:
    word = tok.bare
    low = word.lower()
    if not word[:1].isalnum():
        return None
    if _YEAR_RE.match(word) or low in _MONTHS and (word[:1].isupper() or len(low) > 3):
        return "date"
    if _NUMBER_RE.match(word):
        return "number"
    if not any(ch.isupper() for ch in word):
        return None
    if "-" in word and any(part.isalpha() and part.islower() for part in word.split("-")):
        return None  # a compound modifier ("AI-related", "Tencent-backed"), not a name
    if low in _FUNCTION_WORDS or low in _IMPERATIVES or low in _DEMONYMS or low in _WEEKDAYS or low in SMALL_TALK:
        return None
    letters = [ch for ch in word if ch.isalpha()]
    if len(letters) >= 2 and all(ch.isupper() for ch in letters):
        return "acronym"
    return "name"


def entities(text: str) -> list[Entity]:
    """Names, acronyms, dates and numbers in `text`, adjacent ones of a kind merged."""
    toks = tokens(text)
    found: list[Entity] = []
    # Adjacent tokens of the same kind group ("Ant Financial", "October 2019"); a name run
    # absorbs acronyms and numbers ("ET City Brain", "Tencent Cloud IoT", "iPhone 12").
    runs: list[tuple[EntityKind, int, int, bool]] = []  # kind, first tok, last tok, possessive
    for i, tok in enumerate(toks):
        kind = _token_kind(tok)
        if kind is None:
            continue
        possessive = tok.bare != tok.text
        if runs:
            rkind, a, b, rposs = runs[-1]
            adjacent = b == i - 1 and not rposs
            if adjacent and _mergeable(rkind, kind):
                merged: EntityKind = "name" if "name" in (rkind, kind) else rkind
                if rkind == "date" or kind == "date":
                    merged = "date"
                runs[-1] = (merged, a, i, possessive)
                continue
        runs.append((kind, i, i, possessive))
    # Join runs of names separated only by "and" / "or" / "," into one entity.
    joined: list[tuple[EntityKind, int, int, bool]] = []
    for run in runs:
        if joined:
            pkind, pa, pb, pposs = joined[-1]
            between = [t.lower for t in toks[pb + 1: run[1]]]
            if (not pposs and between and all(w in _JOINERS for w in between)
                    and _family(pkind) == _family(run[0])):
                joined[-1] = (pkind if pkind == run[0] else "name", pa, run[2], run[3])
                continue
        joined.append(run)
    for kind, a, b, possessive in joined:
        start = toks[a].start
        end = toks[b].start + len(toks[b].bare)
        found.append(Entity(text[start:end], start, end, kind, possessive))
    return found


def _mergeable(a: EntityKind, b: EntityKind) -> bool:
    if "date" in (a, b):
        return a == b or {a, b} == {"date", "number"}
    if "number" in (a, b):
        return False  # "Face++ 5,712 users": a count is not part of a name
    return "name" in (a, b) or a == b == "acronym"


def _family(kind: EntityKind) -> str:
    return "name" if kind in ("name", "acronym") else kind


def _content_words(toks: list[Token]) -> list[str]:
    return [t.lower for t in toks if t.text[:1].isalnum() and t.lower not in _FUNCTION_WORDS]


def _strip_end(question: str) -> str:
    return question.strip().rstrip("?.!").rstrip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def main_entity(previous: str, plural: bool = False) -> str | None:
    """The name a pronoun most likely points back to in `previous` (see the module doc)."""
    names = [e for e in entities(previous) if e.kind in ("name", "acronym")]
    if not names:
        return None
    if plural and len(names) > 1:
        texts = list(dict.fromkeys(e.text for e in names if e.kind == "name")) or [names[0].text]
        return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]
    ranked = sorted(names, key=lambda e: (not e.possessive, e.kind != "name", e.start))
    first = ranked[0]
    # "Tencent's Miying platform": what is asked about is Miying, the owner only names it.
    owned = next((e for e in names if e.start > first.end), None)
    if first.possessive and owned is not None and _OWNED.fullmatch(previous, first.end, owned.start):
        return f"{first.text}'s {owned.text}"
    return first.text


def rewrite_followup(question: str, previous: str | None) -> Rewrite:
    """`question` made standalone using `previous` (the last question sent), or unchanged.

    >>> rewrite_followup("and Tencent?", "How many AI patents had Baidu filed?").question
    'How many AI patents had Tencent filed?'
    >>> rewrite_followup("Who founded Alibaba?", "How many AI patents had Baidu filed?").rewritten
    False
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, got {type(question).__name__}")
    # Read full-width letters and punctuation (a Chinese keyboard's "ａｎｄ Ｔｅｎｃｅｎｔ？") as the
    # plain ones, as the engine does.
    text = unicodedata.normalize("NFKC", question).strip()
    if not text or not isinstance(previous, str) or not previous.strip():
        return Rewrite(question, False, "standalone")
    previous = unicodedata.normalize("NFKC", previous).strip()
    own = entities(text)
    own_names = [e for e in own if e.kind in ("name", "acronym")]

    pronoun = _find_pronoun(tokens(text))
    if pronoun is not None and not own_names:
        return _resolve_pronoun(text, pronoun, previous)

    remainder, cued = _strip_cues(text)
    rest_toks = tokens(remainder)
    content = _content_words(rest_toks)
    asks = any(t.lower in _QUESTION_WORDS for t in rest_toks)
    rest_entities = entities(remainder)
    entity_words = {t.lower for e in rest_entities for t in tokens(e.text)}
    other_content = [w for w in content if w not in entity_words]

    if asks and all(t.lower in _BARE_QUESTION or not t.text[:1].isalnum() for t in rest_toks):
        return _swap_question_word(text, remainder, previous)
    if cued and rest_entities and not asks and len(other_content) <= MAX_CONTINUATION_CONTENT_WORDS:
        return _substitute(text, remainder, rest_entities, previous, "continuation", append=True)
    if cued and not rest_entities and not asks and 0 < len(content) <= 2:
        return _append(text, remainder, previous, "continuation")
    if cued and not own_names and content:
        # "and how many patents?": a new question about the same subject.
        name = main_entity(previous)
        if name is not None:
            new = _capitalise(f"{_strip_end(remainder)} ({name})?")
            return Rewrite(new, True, "continuation", f"added {name!r} from the previous question")
    if not cued and len(own) == 1 and own[0].kind in ("name", "acronym") and _only_entity(text, own[0]):
        return _substitute(text, text, own, previous, "bare-name", append=False)
    return Rewrite(question, False, "standalone")


def _only_entity(text: str, entity: Entity) -> bool:
    """True for a bare name such as "Tencent?": nothing but the name (of at most 3 words)."""
    inside = [t for t in tokens(text) if t.text[:1].isalnum()]
    return len(inside) <= 3 and all(entity.start <= t.start < entity.end for t in inside)


def _strip_cues(text: str) -> tuple[str, bool]:
    """The question without its leading continuation cues ("and what about ...")."""
    remainder, cued = text, False
    for _ in range(3):
        m = _CUE_RE.match(remainder)
        if not m or m.end() == 0:
            break
        remainder, cued = remainder[m.end():], True
    return remainder, cued


def _is_expletive(toks: list[Token], i: int) -> bool:
    """ "Is it true that ...": an "it" that points at nothing."""
    return toks[i].text.lower() == "it" and any(t.lower == "that" for t in toks[i + 1: i + 4])


def _find_pronoun(toks: list[Token]) -> tuple[list[Token], int] | None:
    for i, tok in enumerate(toks):
        low = tok.text.lower()
        if (low in _SINGULAR_PRONOUNS or low in _PLURAL_PRONOUNS) and not _is_expletive(toks, i):
            return toks, i
    return None


def _resolve_pronoun(text: str, found: tuple[list[Token], int], previous: str) -> Rewrite:
    """Replace the first pronoun by the previous question's main name.

    Only the first: in "when did they file them?" the second one is rarely the same thing.
    """
    toks, i = found
    tok = toks[i]
    low = tok.text.lower()
    name = main_entity(previous, plural=low in _PLURAL_PRONOUNS)
    if name is None:
        return Rewrite(text, False, "standalone", f"{tok.text!r} has no name to refer to")
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    # "her" is an object or a possessive; before a content word it is the possessive.
    possessive = low in _POSSESSIVE_PRONOUNS and (
        low != "her" or (nxt is not None and nxt.text[:1].isalnum() and nxt.lower not in _FUNCTION_WORDS))
    replacement = name + "'s" if possessive else name
    new = _capitalise(text[:tok.start] + replacement + text[tok.end:])
    return Rewrite(new, new != text, "pronoun", f"{tok.text!r} -> {replacement!r}")


def _swap_question_word(text: str, remainder: str, previous: str) -> Rewrite:
    """ "when?" after "How many AI patents had Baidu filed?" -> "When AI patents had Baidu filed?" """
    wh = _strip_end(remainder)
    ptoks = tokens(previous)
    i = 0
    while i < len(ptoks) and ptoks[i].lower in _LEADING_QUESTION:
        i += 1
    if i >= len(ptoks):
        return Rewrite(text, False, "standalone", "previous question has no subject")
    rest = _strip_end(previous[ptoks[i].start:])
    new = _capitalise(f"{wh} {rest}?")
    return Rewrite(new, True, "question-word", f"asked {wh!r} about the previous question")


def _substitute(text: str, remainder: str, new: list[Entity], previous: str, kind: FollowupKind,
                append: bool) -> Rewrite:
    """Put each entity of `remainder` in the place of the previous entity of the same kind."""
    slots = entities(previous)
    used: set[int] = set()
    edits: list[tuple[Entity, Entity]] = []
    leftovers: list[Entity] = []
    for ent in new:
        # "and in Germany?" replaces the name after "in" ("... in China?"), or else is added
        # ("How many users does WeChat have in Germany?"); "and with BMW?" replaces the name
        # after "with", acronym or not. Otherwise: an entity of the same kind, the possessive
        # one first ("Baidu's", the owner of what is asked about), else the first.
        # A date takes the place of the date, whatever its preposition ("and in 2018?" after
        # "... by October 2019?"): a question has one time.
        prep = _preposition_before(remainder, ent.start) if _family(ent.kind) == "name" else None
        if prep is not None:
            candidates = [i for i, s in enumerate(slots) if i not in used and _family(s.kind) == _family(ent.kind)
                          and _preposition_before(previous, s.start) == prep]
        else:
            candidates = [i for i, s in enumerate(slots) if i not in used and s.kind == ent.kind]
        if not candidates:
            leftovers.append(ent)
            continue
        i = min(candidates, key=lambda j: (not slots[j].possessive, slots[j].start))
        used.add(i)
        edits.append((slots[i], ent))
    if not edits:
        if not append:
            return Rewrite(text, False, "standalone", "no name of that kind to replace")
        return _append(text, remainder, previous, kind)
    out = previous
    for slot, ent in sorted(edits, key=lambda e: -e[0].start):
        out = out[:slot.start] + ent.text + out[slot.end:]
    if leftovers:
        out = f"{_strip_end(out)} {' '.join(_with_preposition(remainder, e) for e in leftovers)}?"
    reason = "; ".join(f"{s.text!r} -> {e.text!r}" for s, e in edits if s.text != e.text)
    return Rewrite(out, out != text, kind, reason or "same subject as before")


def _with_preposition(text: str, entity: Entity) -> str:
    """The entity with the preposition that introduces it in `text`, if any ("in Germany")."""
    prep = _preposition_before(text, entity.start)
    return f"{prep} {entity.text}" if prep else entity.text


def _preposition_before(text: str, start: int) -> str | None:
    """The preposition just before position `start` of `text` ("in" of "in China"), if any."""
    before = tokens(text[:start])
    if before and before[-1].lower in _PREPOSITIONS:
        return before[-1].lower
    return None


def _append(text: str, remainder: str, previous: str, kind: FollowupKind) -> Rewrite:
    """ "and in 2020?" after "How big was the tech market?" -> "How big was the tech market in 2020?" """
    extra = _strip_end(remainder)
    new = f"{_strip_end(previous)} {extra}?"
    return Rewrite(new, True, kind, f"added {extra!r} to the previous question")
