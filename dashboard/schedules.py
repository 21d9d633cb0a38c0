"""The dashboard's recurring work as django-q2 Schedules (enrichhub.schedules installs every app's),
and its entry point (kernel.entry_points)."""

from django_q.models import Schedule

from dashboard.tasks import dashboard_refresh_task
from kernel import EntryPoint

SCHEDULES = [
    # name, function, args, schedule type, minutes between runs
    ("enrichhub: dashboard figures", "dashboard.tasks.dashboard_refresh_task", "", Schedule.MINUTES, 5),
]

ENTRY_POINTS = [EntryPoint(dashboard_refresh_task, "Refresh the dashboard's figures")]
