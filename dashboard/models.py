"""Figures the dashboard shows, computed by a scheduled refresh: a page view reads one row
instead of aggregating millions of runs."""

from django.db import models


class DashboardSnapshot(models.Model):
    taken_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField(help_text="how long computing the figures took")
    figures = models.JSONField()
    # Per workflow, completed runs: kept apart so the coverage trend reads only this.
    completed_by_workflow = models.JSONField(default=dict)

    class Meta:
        db_table = "dashboard_snapshots"
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"dashboard figures of {self.taken_at:%Y-%m-%d %H:%M}"


class RefreshRequest(models.Model):
    """When someone (or a job that changed the warehouse) last asked for fresh figures. One row:
    the page shows "refreshing" while it is newer than the latest snapshot, and a second ask
    meanwhile queues nothing more."""

    requested_at = models.DateTimeField()
    reason = models.TextField(default="", blank=True)

    class Meta:
        db_table = "dashboard_refresh_requests"

    def __str__(self) -> str:
        return f"refresh asked at {self.requested_at:%Y-%m-%d %H:%M:%S}"
