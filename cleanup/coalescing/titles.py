"""Raw job titles to the dashboard's matched_job_function and matched_seniority.

The reference.job_title_mapping table decides first. Titles it lacks go to the classifier,
which reads titles as they appear in B2B data: English, German, French, Spanish,
Portuguese, Dutch and Italian, compound words ("Vertriebsleiter"), abbreviations ("Sr.",
"VP", "BDR"), several roles in one title ("CEO & Founder", "VP Sales | EMEA") and noise
(emoji, "at Company", pronouns, "ex-Google"). Its words are in title_lexicon.py.

Every answer says which rule decided, so ops can check a guess before curating the title
into the mapping table. Titles the rules decide are reported as unmapped.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from cleanup.coalescing.title_lexicon import (
    COMPOUND_FUNCTION_PARTS,
    COMPOUND_SENIORITY_ENDINGS,
    ENTRY,
    EXECUTIVE,
    FUNCTION_CUES,
    INDIVIDUAL_CONTRIBUTOR,
    JUNIOR,
    RANKS,
    SENIOR,
    SENIORITY_CUES,
    WEAK_FUNCTION_CUES,
)

DEFAULT_SENIORITY = INDIVIDUAL_CONTRIBUTOR
SENIORITIES = (*RANKS.keys() - {JUNIOR},)
# Words shorter than this are never searched for compound parts ("sales" in "salesforce"
# is a company, not a role, and short words have no parts).
COMPOUND_MIN_LENGTH = 8

# What follows these is where the person works or worked, not what they do.
_EMPLOYER = re.compile(r"\s(?:at|@|bei|chez|presso|bij|en la|na|no)\s.*$|@.*$"
                       r"|\bex[\s-]+\w+|\b(?:former|formerly|ehemals|ehemaliger)\b")
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_PRONOUNS = re.compile(r"\b(?:she|he|they)\s*/\s*(?:her|him|them|hers|theirs)\b|\bm\s*/\s*w\s*/\s*d\b")
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class TitleMatch:
    job_function: str | None
    seniority: str | None
    by_rule: bool  # True: the mapping table lacked the title; worth curating
    rule: str = ""  # which rule decided, in words ops can check


def title_match(raw: str | None, *, mapping: dict[str, tuple[str, str]]) -> TitleMatch:
    """The mapping table's answer when it has the title, else the classifier's."""
    if not raw or not raw.strip():
        return TitleMatch(None, None, by_rule=False, rule="no title")
    known = mapping.get(raw.strip())
    if known:
        return TitleMatch(known[0], known[1], by_rule=False, rule="reference.job_title_mapping")
    return title_classify(raw)


@lru_cache(maxsize=100_000)
def title_classify(raw: str) -> TitleMatch:
    """The classifier alone. Cached: a warehouse holds far fewer distinct titles than rows."""
    words = title_words(raw)
    cues = _cues(words)
    seniority, seniority_why = _seniority(cues)
    function, function_why = _function(cues)
    return TitleMatch(function, seniority, by_rule=True, rule=f"{seniority_why}; {function_why}")


def title_words(raw: str) -> list[str]:
    """The words that describe the role, folded: 'Sr. Développeur 🚀 at Acme (he/him)' ->
    ['sr', 'developpeur']."""
    text = raw.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    # The guards skip a regular expression that cannot match: most titles are plain words.
    if "(" in text or "[" in text:
        text = _BRACKETS.sub(" ", text)
    if "/" in text:
        text = _PRONOUNS.sub(" ", text)
    text = _EMPLOYER.sub(" ", f" {text} ")
    return _WORDS.findall(text.replace("fp&a", "fp a").replace("c-level", "cxo").replace("&", " and "))


class _Cue(NamedTuple):
    kind: str  # "seniority" or "function"
    value: str
    language: str
    words: str  # the title's words that matched
    position: int
    inside: str | None = None  # the compound word it was found in


def _cues(words: list[str]) -> list[_Cue]:
    """Every cue in reading order. Seniority and function are read separately, each taking the
    longest phrase at each word: "Account Manager" is Sales by its phrase and a Manager by
    its last word."""
    cues = [*_table_cues(words, "seniority", SENIORITY_CUES), *_table_cues(words, "function", FUNCTION_CUES)]
    for position, word in enumerate(words):
        if word not in _KNOWN_WORDS:
            cues += _compound_cues(word, position)
    cues.sort(key=lambda cue: cue.position)
    return cues


def _table_cues(words: list[str], kind: str, table: dict[str, tuple[str, str]]) -> list[_Cue]:
    cues = []
    position = 0
    while position < len(words):
        word = words[position]
        longest = _LONGEST_PHRASE.get(word)
        if longest is None:  # no phrase starts with this word: one lookup is the whole question
            found = table.get(word)
            if found is not None:
                cues.append(_Cue(kind, _lead_adjusted(found[0], words, position, word), found[1], word, position))
            position += 1
            continue
        consumed = 1
        for length in range(min(longest, len(words) - position), 0, -1):
            phrase = " ".join(words[position:position + length])
            if phrase in table:
                value, language = table[phrase]
                cues.append(_Cue(kind, _lead_adjusted(value, words, position, phrase), language, phrase, position))
                consumed = length
                break
        position += consumed
    return cues


def _lead_adjusted(value: str, words: list[str], position: int, phrase: str) -> str:
    """"Lead" before the role it qualifies is a senior practitioner ("Lead Software Engineer");
    after it, or alone, it leads a team ("Growth Marketing Lead")."""
    if phrase == "lead" and position + 1 < len(words) and words[position + 1] not in {"of", "de", "for"}:
        return SENIOR
    return value


def _longest_phrases() -> dict[str, int]:
    """First word of each multi-word cue -> the most words a cue starting with it has."""
    longest: dict[str, int] = {}
    for cue in (*SENIORITY_CUES, *FUNCTION_CUES):
        first, *rest = cue.split()
        if rest:
            longest[first] = max(longest.get(first, 1), 1 + len(rest))
    return longest


_LONGEST_PHRASE = _longest_phrases()
_KNOWN_WORDS = {word for cue in (*SENIORITY_CUES, *FUNCTION_CUES) for word in cue.split()}


def _compound_cues(word: str, position: int) -> list[_Cue]:
    if len(word) < COMPOUND_MIN_LENGTH:
        return []
    cues = []
    for ending, (value, language) in COMPOUND_SENIORITY_ENDINGS.items():
        if word.endswith(ending) and len(word) > len(ending) + 2:
            cues.append(_Cue("seniority", value, language, ending, position, inside=word))
            break
    parts = [(word.find(part), part, found) for part, found in COMPOUND_FUNCTION_PARTS.items() if part in word]
    if parts:
        _, part, (value, language) = min(parts)
        cues.append(_Cue("function", value, language, part, position, inside=word))
    return cues


def _seniority(cues: list[_Cue]) -> tuple[str, str]:
    ranked = [cue for cue in cues if cue.kind == "seniority" and cue.value in RANKS]
    if not ranked:
        return DEFAULT_SENIORITY, f"seniority: no seniority word, so {DEFAULT_SENIORITY}"
    best = max(ranked, key=lambda cue: (RANKS[cue.value], -cue.position))
    if best.value == JUNIOR:
        return ENTRY, f"seniority: {_quoted(best)} -> {ENTRY}"
    return best.value, f"seniority: {_quoted(best)} -> {best.value}"


def _function(cues: list[_Cue]) -> tuple[str | None, str]:
    functions = [cue for cue in cues if cue.kind == "function"]
    specific = [cue for cue in functions if cue.value != EXECUTIVE and cue.words not in WEAK_FUNCTION_CUES]
    weak = [cue for cue in functions if cue.words in WEAK_FUNCTION_CUES]
    chosen = next(iter(specific or weak or functions), None)
    if chosen is None:
        return None, "function: no function word"
    return chosen.value, f"function: {_quoted(chosen)} -> {chosen.value}"


def _quoted(cue: _Cue) -> str:
    where = f" in {cue.inside!r}" if cue.inside else ""
    return f"{cue.words!r} ({cue.language}){where}"


@dataclass(frozen=True)
class UnmappedTitle:
    raw_title: str
    rows: int
    suggested_function: str | None
    suggested_seniority: str | None
    rule: str = ""


def unmapped_titles_list() -> list[UnmappedTitle]:
    """Titles ops should add to reference.job_title_mapping, with the classifier's guess and why."""
    from cleanup.coalescing.sql.experience import unmapped_titles

    suggestions = []
    for raw, rows in unmapped_titles():
        guess = title_match(raw, mapping={})
        suggestions.append(UnmappedTitle(raw, rows, guess.job_function, guess.seniority, guess.rule))
    return suggestions
