from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Enrichment planning"

    def ready(self) -> None:
        from cleanup.jobs.signals import job_completed
        from planning.figures import figures_display
        from planning.leads import hidden_leads_after_job
        from registry.workflow_lines import workflow_lines_provide

        # A job changed which leads are hidden: plans choose from a new count, not a stale one.
        job_completed.connect(hidden_leads_after_job, dispatch_uid="planning-hidden-leads-after-job")
        # The registry's list shows each workflow's measured fill rates and cost under its name.
        workflow_lines_provide("planning", figures_display)
