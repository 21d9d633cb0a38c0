"""The title classifier: accuracy on the labelled sets, and titles a second.

Accuracy is per language, with precision and recall per class, on the evaluation set the
tests hold the goals to, and on the held-out set that was never used to tune the lexicon.
Speed is measured twice, in one process: over distinct titles (each one classified from
scratch, the cache bypassed) and over a stream shaped like a warehouse's, where a few
thousand spellings repeat over many rows (what a coalescing job sees; the classifier caches).
The old rules (twenty regular expressions, kept here as the baseline) are timed the same way.
"""

import random
import re
import time
from collections.abc import Callable

from bench.title_evaluation import EVALUATION_DIR, Evaluation, evaluation_run, labelled_titles
from cleanup.coalescing.titles import TitleMatch, title_classify

STREAM_ROWS = 500_000
NOISE = ["", "", "", " 🚀", " (she/her)", " (m/w/d)", " at Acme", " | EMEA", ", ex-Google", " @ Initech"]

# The rules the classifier replaced (cleanup/titles.py before it), as the baseline.
_OLD_SENIORITY = (
    (r"\bintern(ship)?\b|\bpraktikant", "Intern"), (r"\b(co-?)?founder\b", "Founder"),
    (r"\bchief\b|\bc[a-z]o\b", "C-Level"), (r"\bvp\b|\bvice president\b|\bsvp\b|\bevp\b", "VP"),
    (r"\bhead of\b|\bhead\b|\bdirector\b|\bdir\b|\bleiter\b", "Director"),
    (r"\bmanager\b|\bmgr\b|\blead\b", "Manager"), (r"\bsenior\b|\bsr\b|\bstaff\b|\bprincipal\b", "Senior"),
    (r"\bjunior\b|\bjr\b|\bassociate\b|\bsdr\b|\bbdr\b", "Entry"),
)
_OLD_FUNCTION = (
    (r"\bceo\b|\bfounder\b|(?<!vice )\bpresident\b|\bhonch", "Executive"),
    (r"\bcfo\b|\bfinanc|\bcontroller\b|\baccountant\b", "Finance"),
    (r"\bcto\b|\bengineer|\bd[eé]velop|\bentwickler|\bdev\b|\beng\b|\bsoftware\b|\btechnolog", "Engineering"),
    (r"\bsales\b|\baccount exec|\bvertrieb|\bsdr\b|\bbdr\b|\brevenue\b", "Sales"),
    (r"\bcmo\b|\bmarketing\b|\bgrowth\b|\bbrand\b", "Marketing"), (r"\bproduct\b", "Product"),
    (r"\bdata\b|\banalyt|\bscientist\b", "Data"),
    (r"\bhr\b|\brecruit|\bpeople\b|\btalent\b|\bhappiness\b", "Human Resources"),
    (r"\bpartnership|\bbusiness development\b", "Business Development"),
    (r"\bcustomer success\b|\bsupport\b", "Customer Success"), (r"\boperations\b|\bops\b", "Operations"),
)


def old_rules(raw: str) -> TitleMatch:
    words = " ".join(re.sub(r"[^\w\s-]", " ", raw.lower().replace("&", " and ")).replace("-", " ").split())
    function = next((name for pattern, name in _OLD_FUNCTION if re.search(pattern, words)), None)
    seniority = next((name for pattern, name in _OLD_SENIORITY if re.search(pattern, words)), "Individual Contributor")
    return TitleMatch(function, seniority, by_rule=True)


def run() -> str:
    evaluation = labelled_titles()
    holdout = labelled_titles(EVALUATION_DIR, pattern="title_holdout.tsv")
    new, old, held = evaluation_run(evaluation), evaluation_run(evaluation, old_rules), evaluation_run(holdout)
    distinct = [case.title for case in evaluation]
    stream = _stream(distinct)
    lines = [
        f"- sets: {len(evaluation)} labelled titles in tests/cleanup/data/title_eval_*.tsv (the goals), "
        f"{len(holdout)} held out in title_holdout.tsv (never used to tune the lexicon)",
        "",
        "| set | language | titles | seniority accuracy | function accuracy | old rules: seniority "
        "| old rules: function |",
        "|---|---|---:|---:|---:|---:|---:|",
        *_accuracy_rows("evaluation", new, old),
        _accuracy_row("held out", "all", held, None),
        "",
        *_class_table("seniority", new), "", *_class_table("job_function", new), "",
        "| speed (one process) | classifier | old rules |", "|---|---:|---:|",
        f"| {len(distinct):,} distinct titles, cache bypassed, × 20 | "
        f"{_rate(title_classify.__wrapped__, distinct * 20):,.0f} titles/s | "
        f"{_rate(old_rules, distinct * 20):,.0f} titles/s |",
        f"| a stream of {STREAM_ROWS:,} rows over {len(set(stream)):,} spellings | "
        f"{_cached_rate(stream):,.0f} titles/s | {_rate(old_rules, stream[:100_000]):,.0f} titles/s |",
    ]
    return "\n".join(lines)


def _stream(titles: list[str]) -> list[str]:
    """Rows as a warehouse holds them: spellings repeat with a long tail (Zipf-like)."""
    rng = random.Random(16)
    spellings = [title + noise for title in titles for noise in NOISE]
    rng.shuffle(spellings)
    weights = [1 / (rank + 1) for rank in range(len(spellings))]
    return rng.choices(spellings, weights=weights, k=STREAM_ROWS)


def _accuracy_rows(name: str, new: Evaluation, old: Evaluation) -> list[str]:
    return [_accuracy_row(name, language, new, old) for language in ["all", *new.languages]]


def _accuracy_row(name: str, language: str, new: Evaluation, old: Evaluation | None) -> str:
    only = None if language == "all" else language
    count = sum(1 for case in new.cases if only is None or case.language == only)
    old_cells = (f"{old.accuracy('seniority', language=only):.1%} | {old.accuracy('job_function', language=only):.1%}"
                 if old else "— | —")
    return (f"| {name} | {language} | {count} | {new.accuracy('seniority', language=only):.1%} | "
            f"{new.accuracy('job_function', language=only):.1%} | {old_cells} |")


def _class_table(field: str, evaluation: Evaluation) -> list[str]:
    rows = [f"| {name} | {score.support} | {score.precision:.1%} | {score.recall:.1%} |"
            for name, score in evaluation.scores(field).items()]
    return [f"| {field.replace('_', ' ')} (evaluation set) | titles | precision | recall |", "|---|---:|---:|---:|",
            *rows]


def _rate(classify: Callable[[str], TitleMatch], titles: list[str]) -> float:
    began = time.perf_counter()
    for title in titles:
        classify(title)
    return len(titles) / (time.perf_counter() - began)


def _cached_rate(stream: list[str]) -> float:
    title_classify.cache_clear()
    return _rate(title_classify, stream)



