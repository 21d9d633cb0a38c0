"""Demo spend: run events with credits over the last weeks, some of them re-enrichments
bought while the last one was still fresh, reported through the one event path."""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from dashboard import sql
from runs.services import run_events_record

# (workflow, credits per run) for a few paid workflows of the demo registry.
PAID = [("company_firmographics", "2.0"), ("company_technographics", "1.5"), ("person_email", "1.0"),
        ("person_phone", "3.0")]
WEEKS = 8


def demo_spend_record(*, per_workflow: int = 400, seed: int = 7) -> int:
    """Report paid runs spread over WEEKS weeks; a tenth are bought again a few days later.
    Returns the events reported. Deterministic for a seed."""
    rng = random.Random(seed)
    now = timezone.now()
    reported = 0
    for workflow, credits in PAID:
        kind = "person" if workflow.startswith("person_") else "company"
        keys = sql.sample_keys(entity_type=kind, count=per_workflow)
        first, again = [], []
        for key in keys:
            at = now - timedelta(days=rng.uniform(7, WEEKS * 7))
            first.append(_event(workflow, kind, key, at, credits))
            if rng.random() < 0.1:
                again.append(_event(workflow, kind, key, at + timedelta(days=rng.uniform(1, 6)), credits))
        for events in (first, again):
            for start in range(0, len(events), 1000):
                run_events_record(items=events[start:start + 1000])
            reported += len(events)
    return reported


def _event(workflow: str, kind: str, key: str, at: datetime, credits: str) -> dict:
    return {"workflow_name": workflow, "entity_type": kind, "entity_key": key, "status": "completed",
            "at": at.isoformat(), "credits_spent": credits, "source": "demo"}
