"""What a job kind is: how it validates parameters, estimates, dry-runs, and does one batch."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cleanup.jobs.models import BatchJob
from kernel import InvalidEntityKey, normalise_entity_key


class JobParamsError(ValueError):
    """The parameters do not fit the job kind; the message names the parameter."""


@dataclass(frozen=True)
class Batch:
    rows: int  # rows this batch changed
    checkpoint: dict  # where the next batch starts; saved in the batch's own transaction
    done: bool = False


@dataclass
class DryRun:
    """What a job would do, in figures ops can check before confirming."""

    would_change: int | None  # None: not known (a failed dry run, a kind without an estimate)
    summary: str
    details: dict = field(default_factory=dict)
    blocked: str | None = None  # why the job cannot run now (its condition does not hold)
    # What to look at or do next, as {"label": …, "url": …}: the rows that block it, the job that fills them.
    links: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Parameter:
    """One parameter of a kind, as the start form asks for it: its own field, not JSON."""

    name: str
    label: str
    help_text: str = ""
    # "text", "choice" (one of `choices()`), "job" (a job id) or "keys" (entity keys, one a line)
    type: str = "text"
    choices: Callable[[], Sequence[str]] | None = None
    required: bool = False


class JobKind(ABC):
    """A kind of job: what it writes, how it counts its work (the dry run) and how it does one
    batch from a checkpoint. The engine brings the rest: drafts, permissions, pauses, resumes,
    progress and the admin's start form."""

    name: str
    description: str
    destructive = False
    # "schema.table"s a job of the kind writes; the engine vacuums and analyses them when a
    # job that changed many rows completes.
    writes: tuple[str, ...] = ()
    target_batch_ms = 50  # the engine sizes batches to take about this long
    max_batch_rows = 20_000
    # A parameter that tells jobs of this kind apart: one active job per value, not per kind.
    exclusive_param: str | None = None
    # The kind that undoes a job of this one, given {"job_id": its id} (delete -> restore).
    restored_by: str | None = None
    parameters: tuple[Parameter, ...] = ()  # what clean_params reads, for the start form

    def clean_params(self, params: dict) -> dict:
        return no_params(params)

    def prepare(self, job: BatchJob) -> None:
        """Once per run, before the first batch: create what the batches need (archive tables)."""
        return None

    @abstractmethod
    def dry_run(self, job: BatchJob) -> DryRun:
        """What the job would do, counted once: its count is the job's total for progress."""

    def planner_estimate(self, job: BatchJob) -> int | None:
        """What the dry run counts, as the planner guesses it: for a preview whose exact count
        takes too long. None when the kind has no such guess."""
        return None

    @abstractmethod
    def run_batch(self, job: BatchJob, *, limit: int) -> Batch: ...

    def finish(self, job: BatchJob) -> None:
        """Once, after the last batch."""
        return None

    def written_tables(self, job: BatchJob) -> tuple[str, ...]:
        return self.writes


def id_keyset_batch(job: BatchJob, step: Callable[[int], tuple[int, int | None]]) -> Batch:
    """One batch of a walk by integer key. `step(after_id)` does the work and returns
    (rows changed, last key it looked at); no last key means the walk is over."""
    rows, last = step(job.checkpoint.get("after_id", 0))
    if last is None:
        return Batch(rows=0, checkpoint=job.checkpoint, done=True)
    return Batch(rows=rows, checkpoint={"after_id": last})


def keys_parameter(what: str) -> Parameter:
    return Parameter("keys", what, type="keys", help_text=f"one per line, in any spelling; at most {MAX_KEYS:,}")


def job_parameter(undone_kind: str) -> Parameter:
    return Parameter("job_id", "job to undo", type="job", required=True,
                     help_text=f"the id of the {undone_kind} job whose changes come back")


def require_int(params: dict, name: str) -> int:
    value = params.get(name)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise JobParamsError(f"{name} must be a positive job id, got {params.get(name)!r}: name the job with "
                             f"--param {name}=N (run_job) or {{\"{name}\": N}} (the admin's params)")
    return value


def no_params(params: dict) -> dict:
    if params:
        raise JobParamsError(f"this job takes no parameters, got {', '.join(sorted(params))}")
    return {}


# A job for some keys keeps them in its params; beyond this many, a whole-table run is the cheaper repair.
MAX_KEYS = 10_000


def keys_clean(keys: object, *, entity_type: str) -> list[str]:
    """Normalised, de-duplicated keys; names the first bad one."""
    if not isinstance(keys, list) or not keys:
        raise JobParamsError("keys must be a non-empty list of entity keys")
    if len(keys) > MAX_KEYS:
        raise JobParamsError(f"keys holds {len(keys):,} entities; at most {MAX_KEYS:,} per job (run a sweep instead)")
    cleaned = []
    for index, raw in enumerate(keys):
        try:
            cleaned.append(normalise_entity_key(entity_type=entity_type, raw=raw))
        except InvalidEntityKey as exc:
            raise JobParamsError(f"keys[{index}]: {exc}") from None
    return sorted(set(cleaned))
