"""The planner's recurring work as django-q2 Schedules (enrichhub.schedules installs every app's),
and its entry points (kernel.entry_points)."""

from django_q.models import Schedule

from kernel import EntryPoint
from planning.tasks import figures_refresh_task, hidden_leads_count_task, plan_webhook_deliver_task

SCHEDULES = [
    # name, function, args, schedule type, minutes between runs
    ("enrichhub: workflow fill rates and costs", "planning.tasks.figures_refresh_task", "", Schedule.MINUTES, 60),
    ("enrichhub: hidden leads for plans", "planning.tasks.hidden_leads_count_task", "", Schedule.MINUTES, 5),
]

ENTRY_POINTS = [
    EntryPoint(figures_refresh_task, "Measure each workflow's fill rates and cost"),
    EntryPoint(hidden_leads_count_task, "Count the hidden leads plans choose from"),
    EntryPoint(plan_webhook_deliver_task, "Send a saved plan to the webhook", schedulable=False),
]
