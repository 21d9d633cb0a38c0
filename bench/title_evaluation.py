"""How well the title classifier does on a labelled set: accuracy per language, precision
and recall per job function and per seniority. Used by the tests (the goals) and by
`make bench BENCH=titles` (the report)."""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cleanup.coalescing.titles import TitleMatch, title_classify

EVALUATION_DIR = Path(__file__).resolve().parents[1] / "tests" / "cleanup" / "data"
NO_FUNCTION = "-"


@dataclass(frozen=True)
class LabelledTitle:
    title: str
    language: str
    job_function: str | None
    seniority: str


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    support: int  # labelled titles of this class


@dataclass
class Evaluation:
    cases: list[LabelledTitle]
    guesses: list[TitleMatch]

    def accuracy(self, field: str, *, language: str | None = None) -> float:
        pairs = [(case, guess) for case, guess in zip(self.cases, self.guesses, strict=True)
                 if language is None or case.language == language]
        return sum(getattr(case, field) == getattr(guess, field) for case, guess in pairs) / len(pairs)

    def scores(self, field: str) -> dict[str, Scores]:
        """Per class: precision over the titles guessed as it, recall over those labelled as it."""
        labelled: Counter[str | None] = Counter()
        guessed: Counter[str | None] = Counter()
        right: Counter[str | None] = Counter()
        for case, guess in zip(self.cases, self.guesses, strict=True):
            truth, answer = getattr(case, field), getattr(guess, field)
            labelled[truth] += 1
            guessed[answer] += 1
            right[truth] += truth == answer
        classes = sorted(name for name in {*labelled, *guessed} if name is not None)
        return {name: Scores(precision=right[name] / guessed[name] if guessed[name] else 0.0,
                             recall=right[name] / labelled[name] if labelled[name] else 0.0,
                             support=labelled[name]) for name in classes}

    def misses(self, field: str) -> list[tuple[LabelledTitle, TitleMatch]]:
        return [(case, guess) for case, guess in zip(self.cases, self.guesses, strict=True)
                if getattr(case, field) != getattr(guess, field)]

    @property
    def languages(self) -> list[str]:
        return sorted({case.language for case in self.cases})


def labelled_titles(folder: Path = EVALUATION_DIR, *, pattern: str = "title_eval_*.tsv") -> list[LabelledTitle]:
    """The files' rows: title, language, job function ("-" for none), seniority."""
    cases = []
    for path in sorted(folder.glob(pattern)):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 4:
                raise ValueError(f"{path.name}:{number}: expected 4 tab-separated fields, got {len(fields)}")
            title, language, function, seniority = fields
            cases.append(LabelledTitle(title, language, None if function == NO_FUNCTION else function, seniority))
    return cases


def evaluation_run(cases: Iterable[LabelledTitle],
                   classify: Callable[[str], TitleMatch] = title_classify) -> Evaluation:
    cases = list(cases)
    return Evaluation(cases=cases, guesses=[classify(case.title) for case in cases])
