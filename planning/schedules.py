"""The planner's recurring work as django-q2 Schedules (enrichhub.schedules installs every app's)."""

from django_q.models import Schedule

SCHEDULES = [
    # name, function, args, schedule type, minutes between runs
    ("enrichhub: workflow fill rates and costs", "planning.tasks.figures_refresh_task", "", Schedule.MINUTES, 60),
]
