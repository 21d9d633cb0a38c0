"""django-q2 entry point: the dashboard's figures, refreshed on a schedule, on request and after jobs."""

from dashboard.services import dashboard_refresh_with_gaps


def dashboard_refresh_task(gap_workflows: list[str] | None = None) -> str:
    """Every five minutes the figures alone; asked for (Refresh now, a job that completed), the
    gaps of `gap_workflows` first."""
    snapshot = dashboard_refresh_with_gaps(gap_workflows=gap_workflows)
    measured = f" after measuring {len(gap_workflows)} gaps" if gap_workflows else ""
    return f"dashboard figures computed in {snapshot.seconds:.1f}s{measured}"
