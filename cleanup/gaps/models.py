"""Gap checks of coalescing workflows, kept per check, and the alerts they open."""

from django.db import models


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
