"""The enrichment API: ingest functions report runs here (POST bodies, per the seed's convention)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from kernel import InvalidEntityKey, normalise_entity_key
from runs import services, status
from runs.schemas import (
    MAX_BATCH,
    EntityStatusBatchIn,
    EntityStatusBatchOut,
    EntityStatusIn,
    EntityStatusOut,
    ErrorOut,
    RunEventBatchIn,
    RunEventIn,
    RunEventsOut,
    ValidationErrorOut,
)

router = Router(tags=["enrichment"])  # the API key and its rate: set once, on the NinjaAPI

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
def runs_report(request: HttpRequest) -> HttpResponse | Status:
    """Upsert runs from events. Replays and late events change nothing. Invalid items are
    listed with their index and field (422) while the valid items of the batch are recorded."""
    items = _event_items(request.body)
    if isinstance(items, str):
        return Status(422, {"detail": items})
    report = services.run_events_record(items=items)
    body = {
        "received": report.received,
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
    except RecursionError:
        return "the body nests too deeply to be a run event"
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


_STATUS_EXAMPLES = {"requestBody": {"content": {"application/json": {"examples": {
    "a company": {"value": {"entity_type": "company", "entity_key": "ironclad.com"}},
    "a person": {"value": {"entity_type": "person", "entity_key": "linkedin.com/in/johndoe"}},
}}}}}
_BATCH_EXAMPLES = {"requestBody": {"content": {"application/json": {"examples": {
    "two entities": {"value": {"entities": [{"entity_type": "company", "entity_key": "ironclad.com"},
                                            {"entity_type": "person", "entity_key": "linkedin.com/in/johndoe"}]}},
}}}}}


@router.post("/status", response={200: EntityStatusOut, 422: ValidationErrorOut}, openapi_extra=_STATUS_EXAMPLES,
             summary="Has this company or person been enriched, and did it reach core?")
def enrichment_status(request: HttpRequest, payload: EntityStatusIn) -> HttpResponse | Status:
    """One item per active workflow of the entity's type, with counts in extracted and core,
    and whether enriching now would buy again what is still fresh."""
    try:
        found = status.entity_status_get(entity_type=payload.entity_type, entity_key=payload.entity_key)
    except InvalidEntityKey as exc:
        return Status(422, {"detail": [_key_error(exc, ["body", "payload", "entity_key"])]})
    return _json(found.as_dict())


@router.post("/status/batch", response={200: EntityStatusBatchOut, 422: ValidationErrorOut},
             openapi_extra=_BATCH_EXAMPLES, summary="The status of up to 500 entities in one call")
def enrichment_status_batch(request: HttpRequest, payload: EntityStatusBatchIn) -> HttpResponse | Status:
    problems: list[dict] = []
    entities: list[tuple[str, str]] = []
    for index, entity in enumerate(payload.entities):
        try:
            entities.append((entity.entity_type, normalise_entity_key(entity_type=entity.entity_type,
                                                                      raw=entity.entity_key)))
        except InvalidEntityKey as exc:
            problems.append(_key_error(exc, ["body", "payload", "entities", index, "entity_key"]))
    if problems:
        return Status(422, {"detail": problems})
    results = status.normalised_entity_statuses_get(entities=entities)
    return _json({"results": [result.as_dict() for result in results]})


def _json(body: dict) -> HttpResponse:
    """Serialised directly: re-validating our own output against the response schema cost
    about a millisecond per status (27 items). The schema documents the response, and
    tests/enrichhub/test_api_schema.py checks every answer against it."""
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


def _key_error(exc: InvalidEntityKey, loc: list) -> dict:
    """Shaped like django-ninja's own validation errors, so clients parse one format."""
    return {"type": "value_error", "loc": loc, "msg": str(exc)}


# The body is parsed by hand (one bad item must not reject the batch), so ninja does not see
# these models; enrichhub.api adds them to the OpenAPI components that the body refers to.
DOCUMENTED_SCHEMAS = (RunEventIn, RunEventBatchIn)
