"""Finding 4: three simultaneous starts of one kind made two active jobs that split the work."""

import threading

import pytest
from django.db import connection

from cleanup.jobs.models import BatchJob
from cleanup.jobs.services import ACTIVE, JobRefused
from tests.factories import queued_job

KIND = "delete_companies_missing_location"
STARTERS = 3


def _start_at_once(kind: str) -> list[str]:
    barrier = threading.Barrier(STARTERS)
    outcomes: list[str] = []

    def start() -> None:
        try:
            barrier.wait(timeout=30)
            queued_job(kind=kind)
            outcomes.append("started")
        except JobRefused as exc:
            outcomes.append(f"refused: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(STARTERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_starts_of_one_kind_make_exactly_one_active_job(committed_demo):
    outcomes = _start_at_once(KIND)

    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["refused", "refused", "started"]
    assert BatchJob.objects.filter(kind=KIND, status__in=ACTIVE).count() == 1
    assert all("is queued" in outcome for outcome in outcomes if outcome.startswith("refused"))
