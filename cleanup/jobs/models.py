"""Long-running clean-up and backfill jobs, with their checkpoint and progress."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from warehouse.models import CompanyColumns, CompanyMissingLocationColumns


class BatchJob(models.Model):
    class Status(models.TextChoices):
        # Created from the admin: its dry run runs in a q2 task, then a person confirms it.
        DRAFT = "draft"
        QUEUED = "queued"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.TextField()
    params = models.JSONField(default=dict, blank=True)
    status = models.TextField(choices=Status.choices, default=Status.QUEUED)
    batch_size = models.PositiveIntegerField(default=1000, help_text="rows per batch to start with; it adapts")
    sleep_ms = models.PositiveIntegerField(default=5, help_text="pause between batches, to let other writers in")
    rows_done = models.BigIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    longest_batch_ms = models.PositiveIntegerField(default=0)
    checkpoint = models.JSONField(default=dict, blank=True, help_text="where the next batch starts")
    dry_run_report = models.JSONField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "cleanup_batch_jobs"
        ordering = ["-created_at"]
        permissions = [("run_destructive_job", "Can start jobs that delete, drop or restore warehouse data")]
        indexes = [
            # The admin's default list and the "is one running already" check.
            models.Index(fields=["kind", "status"], name="batch_jobs_kind_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED)

    @property
    def rows_per_second(self) -> float | None:
        if not self.started_at or not self.rows_done:
            return None
        elapsed = ((self.finished_at or timezone.now()) - self.started_at).total_seconds()
        return self.rows_done / elapsed if elapsed > 0 else None

    @property
    def total(self) -> int | None:
        """The rows the job has to do as its one dry run counted them, exactly; None when the count
        was only the planner's estimate or never made, or when the job did more than that (rows
        arrived since): a progress against it would mislead."""
        report = self.dry_run_report or {}
        counted = report.get("would_change")
        if report.get("estimated") or not isinstance(counted, int) or self.rows_done > counted:
            return None
        return counted

    @property
    def eta(self) -> timedelta | None:
        """Only while it runs: a paused or queued job is not getting anywhere."""
        rate, total = self.rows_per_second, self.total
        if self.status != self.Status.RUNNING or not rate or total is None:
            return None
        return timedelta(seconds=round((total - self.rows_done) / rate))

    @property
    def percent_done(self) -> float | None:
        if self.status == self.Status.COMPLETED:
            return 100.0
        total = self.total
        # Never 100 before the job says it is done: its last batch may still be to come.
        return min(99.0, 100.0 * self.rows_done / total) if total else None

    @property
    def progress_text(self) -> str:
        if self.status == self.Status.COMPLETED:
            return f"done: {self.rows_done:,} rows"
        percent, total = self.percent_done, self.total
        if percent is None or total is None:
            return f"{self.rows_done:,} rows"
        return f"{self.rows_done:,} of {total:,} ({percent:.0f}%)"


class ArchivedRow(models.Model):
    """What a delete job archives with every row: which job took it and when. A company deleted,
    restored and deleted again is archived once per job."""

    id = models.BigIntegerField()
    archive_job_id = models.BigIntegerField()
    archived_at = models.DateTimeField(db_default=Now())
    pk = models.CompositePrimaryKey("archive_job_id", "id")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"#{self.id}, archived by job #{self.archive_job_id}"


class ArchivedCompany(ArchivedRow, CompanyColumns):
    """core.companies rows a delete job removed, restorable by a restore job."""

    domain = models.TextField()

    class Meta:
        db_table = 'archive"."core_companies'
        verbose_name_plural = "archived companies"


class ArchivedCompanyMissingLocation(ArchivedRow, CompanyMissingLocationColumns):
    """The core.companies_missing_location rows of the companies a delete job removed."""

    class Meta:
        db_table = 'archive"."core_companies_missing_location'
