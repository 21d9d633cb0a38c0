"""The runs app's entry points for the q2 cluster (kernel.entry_points); it schedules nothing itself."""

from kernel import EntryPoint
from runs.tasks import runs_backfill_task

SCHEDULES: list[tuple] = []

ENTRY_POINTS = [EntryPoint(runs_backfill_task, "Backfill runs from the extracted tables", permission="runs.add_run")]
