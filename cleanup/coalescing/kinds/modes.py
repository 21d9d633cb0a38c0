"""What the coalescing kinds share: the sweep / refresh / keys modes and where a sweep starts."""

from cleanup.jobs.kinds.base import DryRun, JobParamsError, Parameter
from cleanup.jobs.models import BatchJob


def mode_parameter(modes: tuple[str, ...]) -> Parameter:
    return Parameter("mode", "mode", type="choice", choices=lambda: modes,
                     help_text="sweep: the rows after the last sweep; refresh: every row; keys: only the keys below. "
                               "Empty: keys when some are given, else sweep")


def mode_clean(params: dict, modes: tuple[str, ...]) -> str:
    """The job's mode: as given, else "keys" when keys are given, else "sweep"."""
    mode = params.get("mode", "keys" if params.get("keys") else "sweep")
    if mode not in modes:
        raise JobParamsError(f"mode must be one of {', '.join(modes)}, got {mode!r}")
    return mode


def keys_dry_run(job: BatchJob, *, what: str, into: str) -> DryRun:
    """The dry run of a coalescing job for some entities: "would coalesce <what> N keys into <into>"."""
    count = len(job.params["keys"])
    return DryRun(would_change=count, details={"keys": count},
                  summary=f"would coalesce {what} {count:,} {'entity' if count == 1 else 'entities'} into {into}")


def sweep_start(job: BatchJob, *, kind: str, **same_params: object) -> int:
    """Where a sweep starts: the extracted id the last completed whole-table job of this kind
    (and these params) reached: a sweep, reconciliation or refresh, not a job for some keys or
    for a part of the id range. Other modes start at the beginning."""
    if job.params.get("mode") != "sweep":
        return 0
    filters = {f"params__{name}": value for name, value in same_params.items()}
    last = (BatchJob.objects.filter(kind=kind, status=BatchJob.Status.COMPLETED, **filters)
            .exclude(pk=job.pk).exclude(params__mode="keys").exclude(params__has_key="part").order_by("-finished_at")
            .values_list("checkpoint", flat=True).first())
    return (last or {}).get("after_id", 0)


def walk_start(job: BatchJob, *, kind: str, **same_params: object) -> int:
    """Where a job's walk starts: where its own dry run counted from, so that it walks what it
    counted without asking again; where a sweep starts when the count was the planner's estimate."""
    counted = ((job.dry_run_report or {}).get("details") or {}).get("start_after_id")
    return counted if counted is not None else sweep_start(job, kind=kind, **same_params)
