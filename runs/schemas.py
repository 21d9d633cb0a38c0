"""Request and response bodies of the runs API."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictInt
from pydantic.config import JsonDict

MAX_BATCH = 1000


def _without_nul(text: str) -> str:
    # Valid JSON ("\u0000") and valid Python, but PostgreSQL text cannot hold it: one such
    # value used to fail the whole batch's INSERT.
    if "\x00" in text:
        raise ValueError("contains a NUL character (\\u0000), which PostgreSQL text cannot store")
    return text


# Every text field of every request body.
Text = Annotated[str, AfterValidator(_without_nul)]


class RunEventIn(Schema):
    """One thing that happened to one enrichment of one entity."""

    model_config = ConfigDict(extra="forbid")

    workflow_name: Text = Field(min_length=1, max_length=200, examples=["company_discovery"])
    entity_key: Text = Field(min_length=1, max_length=2048, examples=["ironclad.com"])
    entity_type: Literal["company", "person"]
    status: Literal["pending", "running", "completed", "failed"]
    # Strict: the schema says integer, so true or "12" are refused by name, not read as 1 or 12.
    records_processed: StrictInt | None = Field(None, ge=0, le=2_147_483_647)
    source: Text | None = Field(None, max_length=100, examples=["clay"])
    at: datetime | None = Field(None, description="when it happened; default: when received. Naive means UTC.")
    credits_spent: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    error: Text | None = Field(None, max_length=10_000, description="what went wrong, for status failed")


class RunEventBatchIn(Schema):
    events: list[RunEventIn] = Field(min_length=1, max_length=MAX_BATCH)


class RejectedEventOut(Schema):
    index: int
    field: str | None
    error: str


class RecordedEventOut(Schema):
    index: int
    workflow_name: str
    entity_key: str = Field(description="as normalised")
    outcome: Literal["applied", "ignored"] = Field(
        description="ignored: an event at least as new was already recorded (a replay or a late arrival)")


class RunEventsOut(Schema):
    received: int
    applied: int = Field(description="events written (each upserted its run)")
    ignored: int = Field(description="events that changed nothing: a replay, or older than the run's last event")
    rejected: list[RejectedEventOut]
    results: list[RecordedEventOut]


class ErrorOut(Schema):
    detail: str


MAX_STATUS_BATCH = 500
_COMPANY_EXAMPLE: JsonDict = {"entity_type": "company", "entity_key": "ironclad.com"}
_PERSON_EXAMPLE: JsonDict = {"entity_type": "person", "entity_key": "linkedin.com/in/johndoe"}


class EntityStatusIn(Schema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_COMPANY_EXAMPLE, _PERSON_EXAMPLE]})

    entity_type: Literal["company", "person"]
    entity_key: Text = Field(min_length=1, max_length=2048, description="a domain or LinkedIn URL, any spelling")


class EntityStatusBatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    entities: list[EntityStatusIn] = Field(min_length=1, max_length=MAX_STATUS_BATCH)


class EnrichmentStatusOut(Schema):
    workflow_name: str
    status: Literal["completed", "pending", "running", "failed", "not_run"]
    completed_at: datetime | None = Field(description="the last successful completion")
    coalesces_to_core: bool
    records_in_extracted: int | None = Field(description="null when the table cannot be read (see error)")
    records_in_core: int | None
    missing_in_core: bool = Field(description="coalesces to core, has rows in extracted, none in core: a gap")
    fresh_until: datetime | None = Field(description="completed_at plus the workflow's refresh_after_days")
    should_enrich: bool = Field(description="false while a run is pending/running or a completion is fresh")
    attempts: int
    error: str | None = Field(description="why this workflow's figures are missing, or its last failure")


class CoverageOut(Schema):
    total_workflows: int
    completed: int
    pending: int
    running: int
    failed: int
    not_run: int


class EntityStatusOut(Schema):
    entity_type: Literal["company", "person"]
    entity_key: str = Field(description="as normalised")
    enrichments: list[EnrichmentStatusOut]
    coverage: CoverageOut


class EntityStatusBatchOut(Schema):
    results: list[EntityStatusOut]


class ValidationErrorOut(Schema):
    detail: list[dict]
