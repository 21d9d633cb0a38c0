"""Schedules people make on enrichhub's screen: which entry point, with which arguments, for whom."""

from django.conf import settings
from django.db import models


class OwnedSchedule(models.Model):
    """The django-q2 Schedule runs enrichhub.tasks.owned_schedule_run with this row's id; that task
    checks the entry point, its arguments and its owner's permissions each time it runs, so a
    permission taken away stops the schedule too."""

    schedule = models.OneToOneField("django_q.Schedule", on_delete=models.CASCADE, related_name="owned")
    entry_point = models.TextField(help_text="the dotted path of one of enrichhub's entry points")
    arguments = models.JSONField(default=dict, blank=True,
                                 help_text="keyword arguments, typed as the function declares")
    # Whoever saved it last: an edit by another person must not run with the first one's permissions.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_schedules")
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "enrichhub_owned_schedules"
        verbose_name = "schedule"
        ordering = ["schedule__name"]

    def __str__(self) -> str:
        return self.schedule.name or f"schedule #{self.schedule_id}"


class TaskStart(models.Model):
    """A q2 task running now: noted before it runs, forgotten when it returns. One still here past
    the time limit was cut off (enrichhub.task_records)."""

    task_id = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=100)
    func = models.CharField(max_length=256)
    started_at = models.DateTimeField()

    class Meta:
        db_table = "enrichhub_task_starts"

    def __str__(self) -> str:
        return f"{self.name} ({self.func}) since {self.started_at:%Y-%m-%d %H:%M:%S}"
