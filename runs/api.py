"""The enrichment API: ingest functions report runs here (POST bodies, per the seed's convention)."""

import json

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status

from runs import services
from runs.auth import ApiKeyAuth
from runs.schemas import MAX_BATCH, ErrorOut, RunEventBatchIn, RunEventIn, RunEventsOut

router = Router(tags=["enrichment"], auth=ApiKeyAuth())

_EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {
            "schema": {"oneOf": [{"$ref": "#/components/schemas/RunEventIn"},
                                 {"$ref": "#/components/schemas/RunEventBatchIn"}]},
            "examples": {
                "one event": {"value": {"workflow_name": "company_discovery", "entity_key": "ironclad.com",
                                        "entity_type": "company", "status": "completed", "records_processed": 1,
                                        "source": "clay", "at": "2024-01-15T10:30:00Z"}},
                "a batch": {"value": {"events": [
                    {"workflow_name": "person_profile", "entity_key": "https://www.linkedin.com/in/johndoe/",
                     "entity_type": "person", "status": "running", "source": "clay"}]}},
            },
        }},
    },
}


@router.post("/runs", response={200: RunEventsOut, 422: RunEventsOut | ErrorOut}, openapi_extra=_EVENTS_BODY,
             summary="Report one run event, or a batch of up to 1,000")
def runs_report(request: HttpRequest):
    """Upsert runs from events. Replays and late events change nothing. Invalid items are
    listed with their index and field (422) while the valid items of the batch are recorded."""
    items = _event_items(request.body)
    if isinstance(items, str):
        return Status(422, {"detail": items})
    report = services.run_events_record(items=items)
    body = {
        "received": report.received,
        "recorded": len(report.results),
        "applied": sum(r.outcome == "applied" for r in report.results),
        "ignored": sum(r.outcome == "ignored" for r in report.results),
        "rejected": [vars(r) for r in report.rejected],
        "results": [vars(r) for r in report.results],
    }
    return Status(422 if report.rejected else 200, body)


def _event_items(body: bytes) -> list | str:
    """The events of a body, or a message saying why the body as a whole is unusable."""
    try:
        payload = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        return f"the body is not valid JSON ({exc})"
    if isinstance(payload, dict) and "events" in payload:
        events = payload["events"]
        if not isinstance(events, list) or not events:
            return "events must be a non-empty list of run events"
        if len(events) > MAX_BATCH:
            return f"events holds {len(events)} items; a batch is at most {MAX_BATCH}"
        return events
    if isinstance(payload, dict):
        return [payload]
    return "the body must be a run event object, or {\"events\": [...]}"


# The body is parsed by hand (one bad item must not reject the batch), so ninja does not see
# these models; enrichhub.api adds them to the OpenAPI components that the body refers to.
DOCUMENTED_SCHEMAS = (RunEventIn, RunEventBatchIn)
