from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandParser
from django_q.tasks import async_task
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from runs.backfill import READ_BATCH_ROWS, runs_backfill


class Command(BaseCommand):
    help = "Create completed runs from the history in the extracted tables (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workflow", action="append", dest="workflows", help="only these (repeatable)")
        parser.add_argument("--batch-size", type=int, default=READ_BATCH_ROWS, help="extracted rows per batch")
        parser.add_argument("--enqueue", action="store_true", help="hand it to the q2 cluster instead")

    def handle(self, *args: Any, workflows: list[str] | None, batch_size: int, enqueue: bool, **options: Any) -> None:
        if enqueue:
            task_id = async_task("runs.tasks.runs_backfill_task", workflows, task_name="backfill_runs")
            self.stdout.write(f"enqueued as q2 task {task_id}")
            return
        console = Console(file=cast(TextIO, self.stdout._out))
        columns = [TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=False) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(workflow: str, done: int, total: int) -> None:
                if workflow not in tasks:
                    tasks[workflow] = bar.add_task(workflow, total=total)
                bar.update(tasks[workflow], completed=done, total=total)

            results = runs_backfill(workflow_names=workflows, batch_rows=batch_size, progress=progress)
        for result in results:
            if result.skipped:
                self.stdout.write(f"{result.workflow}: skipped, {result.skipped}")
            else:
                self.stdout.write(f"{result.workflow}: {result.rows_read:,} rows, {result.entities:,} entities, "
                                  f"{result.created:,} runs created, {result.updated:,} updated, "
                                  f"{result.invalid_keys:,} invalid keys")
