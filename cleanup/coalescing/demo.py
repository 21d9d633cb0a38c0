"""The demo's declarative coalescing: a workflow that reaches core through data, not code."""

from cleanup.coalescing.models import CoalesceMapping

DEMO_MAPPINGS = {
    # The name discovery found, into the company's core row; its free-text location stays out.
    "company_discovery": {"company_name": "company_name"},
    # The cleaned company name the vendor returns, into the company's core row.
    "company_cleaned_name": {"cleaned_name": "payload.company"},
    # The country Sales Navigator gives a company: its location there, and the country the
    # product requires.
    "company_salesnav_location": {"salesnav_location": "payload.country", "company_country": "payload.country"},
}


def demo_mappings_ensure() -> int:
    """Create the demo mappings that are missing; returns how many were created."""
    created = 0
    for workflow, columns in DEMO_MAPPINGS.items():
        _, is_new = CoalesceMapping.objects.get_or_create(workflow_id=workflow, defaults={"columns": columns})
        created += is_new
    return created


def title_classification_run() -> dict:
    """The demo's first title classification, run here so that the dashboard shows from the
    first minute how many people it made visible. Returns the job's checkpoint figures."""
    from cleanup.coalescing.kinds.titles import ClassifyPeopleTitles
    from cleanup.jobs.engine import job_run
    from cleanup.jobs.services import job_start

    job = job_start(kind=ClassifyPeopleTitles.name, enqueue=False)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job.checkpoint
