"""Request and response bodies of the runs API."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_BATCH = 1000


class RunEventIn(Schema):
    """One thing that happened to one enrichment of one entity."""

    model_config = ConfigDict(extra="forbid")

    workflow_name: str = Field(min_length=1, max_length=200, examples=["company_discovery"])
    entity_key: str = Field(min_length=1, max_length=2048, examples=["ironclad.com"])
    entity_type: Literal["company", "person"]
    status: Literal["pending", "running", "completed", "failed"]
    records_processed: int | None = Field(None, ge=0, le=2_147_483_647)
    source: str | None = Field(None, max_length=100, examples=["clay"])
    at: datetime | None = Field(None, description="when it happened; default: when received. Naive means UTC.")
    credits_spent: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    error: str | None = Field(None, max_length=10_000, description="what went wrong, for status failed")


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
    recorded: int
    applied: int
    ignored: int
    rejected: list[RejectedEventOut]
    results: list[RecordedEventOut]


class ErrorOut(Schema):
    detail: str
