"""How a workflow's gap is repaired: the job that brings exactly its missing keys to core, or,
when there is none, why not and what to add."""

from dataclasses import dataclass

from cleanup.coalescing.reported_runs import NoCoalescer, coalesce_keys_start, coalescer_kind
from cleanup.jobs.kinds.base import MAX_KEYS
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import Operator, job_start
from registry.models import Workflow

# Workflows whose core table is filled by a backfill kind rather than a coalescing kind.
BACKFILL_REPAIRS = {"company_funding": "funding_backfill"}


@dataclass(frozen=True)
class Repair:
    kind: str | None  # the job kind that repairs the gap; None when nothing can yet
    why_not: str = ""  # for ops when there is no kind: why, and what to add


def repair_for(workflow: Workflow) -> Repair:
    name = workflow.workflow_name
    if not workflow.coalesces_to_core:
        return Repair(None, f"{name} does not coalesce to core (coalesces_to_core is off in the registry): its "
                            "rows stay in extracted on purpose. Turn it on in the registry if they belong in core.")
    if name in BACKFILL_REPAIRS:
        return Repair(BACKFILL_REPAIRS[name])
    try:
        return Repair(coalescer_kind(name))
    except NoCoalescer:
        return Repair(None, f"{name} has no coalescing job yet. Add a coalesce mapping for it (Coalesce mappings → "
                            "Add) to say which core columns its extracted columns fill; its gap can then be "
                            "repaired here.")


def repair_start(workflow: Workflow, *, keys: list[str], user: Operator = None) -> BatchJob:
    """Create and enqueue the repair job. Raises NoCoalescer when the workflow has none, and
    JobRefused / JobParamsError with the engine's reason."""
    repair = repair_for(workflow)
    if repair.kind is None:
        raise NoCoalescer(repair.why_not)
    if workflow.workflow_name not in BACKFILL_REPAIRS:
        return coalesce_keys_start(workflow.workflow_name, keys=keys, user=user)
    # The backfill adds only what core lacks: past the key limit, its whole run is the same repair.
    params = {"keys": keys} if len(keys) <= MAX_KEYS else {}
    return job_start(kind=repair.kind, params=params, user=user)
