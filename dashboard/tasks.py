"""django-q2 entry point: the dashboard's figures, refreshed on a schedule."""

from dashboard.services import dashboard_refresh


def dashboard_refresh_task() -> str:
    snapshot = dashboard_refresh()
    return f"dashboard figures computed in {snapshot.seconds:.1f}s"
