from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Coverage dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cleanup.jobs.signals import job_completed
        from dashboard.services import dashboard_refresh_after_job

        # A job changed what the figures count: they are computed again, not five minutes later.
        job_completed.connect(dashboard_refresh_after_job, dispatch_uid="dashboard-after-job")
