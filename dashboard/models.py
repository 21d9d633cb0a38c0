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
