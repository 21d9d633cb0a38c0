"""Long-running clean-up and backfill jobs, with their checkpoint and progress."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class BatchJob(models.Model):
    class Status(models.TextChoices):
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
    estimated_total = models.BigIntegerField(null=True, blank=True)
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
    def eta(self) -> timedelta | None:
        rate = self.rows_per_second
        if self.is_finished or not rate or not self.estimated_total or self.estimated_total <= self.rows_done:
            return None
        return timedelta(seconds=round((self.estimated_total - self.rows_done) / rate))

    @property
    def percent_done(self) -> float | None:
        if not self.estimated_total:
            return 100.0 if self.status == self.Status.COMPLETED else None
        return min(100.0, 100.0 * self.rows_done / self.estimated_total)


class GapSnapshot(models.Model):
    """One gap check of one workflow: distinct entities in extracted, in core, and missing from core."""

    workflow = models.ForeignKey("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                 db_column="workflow_name", related_name="gap_snapshots")
    checked_at = models.DateTimeField()
    coalesces_to_core = models.BooleanField()
    keys_in_extracted = models.IntegerField()
    keys_in_core = models.IntegerField(null=True, blank=True, help_text="empty when the workflow has no core table")
    gap = models.IntegerField(help_text="entities in extracted that core lacks (all of them when it has no core)")
    invalid_keys = models.IntegerField(default=0)
    seconds = models.FloatField()

    class Meta:
        db_table = "cleanup_gap_snapshots"
        ordering = ["-checked_at", "workflow"]
        indexes = [
            # The history of one workflow's gap, newest first (admin, alerts, trends).
            models.Index(fields=["workflow", "-checked_at"], name="gap_snapshots_workflow_time"),
            # The dashboard's trends start from the most recent checks.
            models.Index(fields=["-checked_at"], name="gap_snapshots_time"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} gap {self.gap} at {self.checked_at:%Y-%m-%d %H:%M}"


class GapAlert(models.Model):
    """A workflow whose gap exceeded its registry threshold, or grew check after check; open
    until neither holds."""

    class Reason(models.TextChoices):
        THRESHOLD = "threshold", "over its threshold"
        GROWING = "growing", "growing check after check"

    workflow = models.ForeignKey("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                 db_column="workflow_name", related_name="gap_alerts")
    threshold = models.IntegerField(null=True, blank=True, help_text="the workflow's threshold when it opened")
    gap_at_open = models.IntegerField()
    last_gap = models.IntegerField()
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True, default="", help_text="why the last notification failed, if it did")
    reason = models.TextField(choices=Reason.choices, default=Reason.THRESHOLD)

    class Meta:
        db_table = "cleanup_gap_alerts"
        ordering = ["-opened_at"]
        constraints = [
            # At most one open alert per workflow: a check that races another cannot open a second.
            models.UniqueConstraint(fields=["workflow"], condition=models.Q(resolved_at__isnull=True),
                                    name="gap_alerts_one_open_per_workflow"),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.workflow_id}: gap {self.last_gap}, {self.get_reason_display()} ({state})"


class CoalesceMapping(models.Model):
    """How a simple workflow's extracted rows reach its core table, as data: which core column
    takes which extracted column (or field of a jsonb column), matched on the normalised key.
    Adding such a workflow needs its registry row and this mapping, no code."""

    workflow = models.OneToOneField("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                    db_column="workflow_name", related_name="coalesce_mapping", primary_key=True)
    columns = models.JSONField(help_text='core column -> extracted column, or "payload.field" for a field of a '
                                         'jsonb column, e.g. {"cleaned_name": "payload.company"}')
    create_missing = models.BooleanField(
        default=False, help_text="insert core rows for keys core lacks (the core key column must be unique); "
                                 "otherwise only existing core rows are filled")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "cleanup_coalesce_mappings"

    def __str__(self) -> str:
        return f"{self.workflow_id} -> {', '.join(self.columns)}"


class CoalesceTrigger(models.Model):
    """Per coalescing workflow, up to when completed runs were already handed to a coalescing
    job: the next trigger takes the runs completed since."""

    workflow = models.OneToOneField("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                    db_column="workflow_name", primary_key=True, related_name="+")
    runs_seen_until = models.DateTimeField()

    class Meta:
        db_table = "cleanup_coalesce_triggers"

    def __str__(self) -> str:
        return f"{self.workflow_id}: runs seen until {self.runs_seen_until:%Y-%m-%d %H:%M:%S}"
