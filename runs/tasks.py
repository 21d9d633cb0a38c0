"""django-q2 entry points of the runs app: thin doors onto services."""

from runs.backfill import runs_backfill


def runs_backfill_task(workflow_names: list[str] | None = None) -> list[dict]:
    return [vars(result) for result in runs_backfill(workflow_names=workflow_names)]
