import json
import signal
from datetime import timedelta
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cleanup.jobs.engine import BUSY, INTERRUPTED, job_run
from cleanup.jobs.kinds import KINDS
from cleanup.jobs.kinds.base import JobParamsError
from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import (
    JobRefused,
    interrupted_job_for,
    job_enqueue,
    job_interruption,
    job_preview,
    job_start,
)


def params_parse(pairs: list[str]) -> dict:
    """NAME=VALUE pairs; a list of keys or a number only fits on a command line as JSON."""
    params = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            raise CommandError(f"--param takes NAME=VALUE, not {pair!r}")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


class Command(BaseCommand):
    help = "Start a clean-up or backfill job (or --resume one) in the foreground, or --enqueue it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", nargs="?", choices=sorted(KINDS))
        parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                            help='a VALUE that is JSON is read as JSON (keys=\'["a.com","b.com"]\', job_id=12); '
                                 "anything else is a string")
        parser.add_argument("--dry-run", action="store_true", help="say what it would do; change nothing")
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per batch to start with")
        parser.add_argument("--sleep-ms", type=int, default=5, help="pause between batches")
        parser.add_argument("--enqueue", action="store_true", help="hand it to the q2 cluster")
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="continue a job from its checkpoint")

    def handle(self, *args: Any, kind: str | None, param: list[str], dry_run: bool, batch_size: int, sleep_ms: int,
               enqueue: bool, resume: int | None, **options: Any) -> None:
        params = params_parse(param)
        if kind is None and resume is None:
            raise CommandError(f"name a job kind ({', '.join(sorted(KINDS))}) or --resume JOB_ID")
        kind = kind or ""
        try:
            if dry_run:
                self.stdout.write(job_preview(kind=kind, params=params)["summary"])
                return
            interrupted = None if resume else interrupted_job_for(kind=kind, params=params)
            if interrupted:
                silent = job_interruption(job=interrupted) or timedelta()
                self.stdout.write(f"job #{interrupted.pk} was interrupted (its runner went silent "
                                  f"{silent.total_seconds():.0f} s ago); resuming it from its checkpoint")
            job = (_job_to_resume(resume) if resume else interrupted or job_start(
                kind=kind, params=params, batch_size=batch_size, sleep_ms=sleep_ms, enqueue=enqueue))
        except (JobParamsError, JobRefused) as exc:
            raise CommandError(str(exc)) from exc
        if not resume and not interrupted:
            self.stdout.write(f"job #{job.pk}: {(job.dry_run_report or {})['summary']}")
        if enqueue:
            if resume or interrupted:
                job_enqueue(job=job)
            self.stdout.write(f"job #{job.pk} handed to the q2 cluster")
            return
        self._run(job)

    def _run(self, job: BatchJob) -> None:
        stop = {"requested": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))  # finish the batch, then stop
        columns = [TextColumn(f"job #{job.pk} {job.kind}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=Console(file=cast(TextIO, self.stdout._out))) as bar:
            task = bar.add_task("rows", total=job.total)

            def progress(current: BatchJob) -> None:
                bar.update(task, completed=current.rows_done, total=current.total)

            status = job_run(job_id=job.pk, progress=progress, should_stop=lambda: stop["requested"])
        if status == INTERRUPTED:
            raise CommandError(f"job #{job.pk}: the database connection was lost; the batch rolled back. Continue "
                               f"with: manage.py run_job --resume {job.pk}")
        job.refresh_from_db()
        if status == BUSY:
            raise CommandError(f"job #{job.pk} is being run by another worker")
        self.stdout.write(f"job #{job.pk} {job.status}: {job.rows_done:,} rows in {job.batches} batches, "
                          f"longest batch {job.longest_batch_ms} ms")
        if job.status == BatchJob.Status.FAILED:
            raise CommandError(job.last_error)
        if status == BatchJob.Status.RUNNING:
            self.stdout.write(f"stopped between batches; continue with: manage.py run_job --resume {job.pk}")


def _job_to_resume(job_id: int) -> BatchJob:
    job = BatchJob.objects.filter(pk=job_id).first()
    if job is not None:
        return job
    recent = list(BatchJob.objects.order_by("-pk").values_list("pk", "kind", "status")[:5])
    listing = "; ".join(f"#{pk} {kind} ({status})" for pk, kind, status in recent) or "there are no jobs yet"
    raise CommandError(f"there is no job #{job_id}. The latest: {listing}. All jobs are listed in the admin "
                       "under Clean-ups and backfills → Batch jobs")

