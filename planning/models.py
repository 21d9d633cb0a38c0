"""Figures the planner and the registry's list read, computed by a scheduled refresh: measuring
fill rates joins every settled run with core, seconds at the seed's scale."""

from django.db import models


class FiguresSnapshot(models.Model):
    taken_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField(help_text="how long measuring took")
    # workflow name -> its figures (planning.figures.WorkflowFigures as plain data)
    figures = models.JSONField()

    class Meta:
        db_table = "planning_figures_snapshots"
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"workflow figures of {self.taken_at:%Y-%m-%d %H:%M}"
