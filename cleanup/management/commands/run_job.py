import signal

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from cleanup.engine import BUSY, job_run
from cleanup.kinds import KINDS
from cleanup.kinds.base import JobParamsError
from cleanup.models import BatchJob
from cleanup.services import JobRefused, job_create, job_enqueue, job_preview


class Command(BaseCommand):
    help = "Start a clean-up or backfill job (or --resume one) in the foreground, or --enqueue it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("kind", nargs="?", choices=sorted(KINDS))
        parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
        parser.add_argument("--dry-run", action="store_true", help="say what it would do; change nothing")
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per batch to start with")
        parser.add_argument("--sleep-ms", type=int, default=5, help="pause between batches")
        parser.add_argument("--enqueue", action="store_true", help="hand it to the q2 cluster")
        parser.add_argument("--resume", type=int, metavar="JOB_ID", help="continue a job from its checkpoint")

    def handle(self, *args, kind, param, dry_run, batch_size, sleep_ms, enqueue, resume, **options) -> None:
        try:
            params = dict(p.split("=", 1) for p in param)
        except ValueError:
            raise CommandError("--param takes NAME=VALUE") from None
        try:
            if dry_run:
                self.stdout.write(job_preview(kind=kind, params=params).summary)
                return
            job = BatchJob.objects.get(pk=resume) if resume else job_create(
                kind=kind, params=params, batch_size=batch_size, sleep_ms=sleep_ms)
        except (JobParamsError, JobRefused, BatchJob.DoesNotExist) as exc:
            raise CommandError(str(exc)) from exc
        if not resume:
            self.stdout.write(f"job #{job.pk}: {job.dry_run_report['summary']}")
        if enqueue:
            job_enqueue(job=job)
            self.stdout.write(f"job #{job.pk} handed to the q2 cluster")
            return
        self._run(job)

    def _run(self, job: BatchJob) -> None:
        stop = {"requested": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(requested=True))  # finish the batch, then stop
        columns = [TextColumn(f"job #{job.pk} {job.kind}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=Console(file=self.stdout._out)) as bar:
            task = bar.add_task("rows", total=job.estimated_total)

            def progress(current: BatchJob) -> None:
                bar.update(task, completed=current.rows_done, total=current.estimated_total or None)

            status = job_run(job_id=job.pk, progress=progress, should_stop=lambda: stop["requested"])
        job.refresh_from_db()
        if status == BUSY:
            raise CommandError(f"job #{job.pk} is being run by another worker")
        self.stdout.write(f"job #{job.pk} {job.status}: {job.rows_done:,} rows in {job.batches} batches, "
                          f"longest batch {job.longest_batch_ms} ms")
        if job.status == BatchJob.Status.FAILED:
            raise CommandError(job.last_error)
        if status == BatchJob.Status.RUNNING:
            self.stdout.write(f"stopped between batches; continue with: manage.py run_job --resume {job.pk}")
