"""Reads about coalescing for the pages above cleanup (the dashboard)."""

from cleanup.jobs.models import BatchJob

TITLE_CLASSIFICATION_KIND = "classify_people_titles"


def title_classification_last() -> dict | None:
    """The last completed title classification: people hidden for a title field before and
    after it, and how many it filled."""
    job = (BatchJob.objects.filter(kind=TITLE_CLASSIFICATION_KIND, status=BatchJob.Status.COMPLETED)
           .order_by("-finished_at").first())
    if job is None or "hidden_after" not in job.checkpoint:
        return None
    return {"job": job, "before": job.checkpoint["hidden_before"], "after": job.checkpoint["hidden_after"],
            "filled": job.checkpoint.get("filled", 0), "finished_at": job.finished_at}
