"""`POST /api/enrichment/plan`: what to enrich next for a credit budget."""

import json
from decimal import Decimal
from typing import Literal

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictInt

from planning.services import PlanRefused, PlanRequest, plan_build
from runs.schemas import ErrorOut, Text, ValidationErrorOut

router = Router(tags=["enrichment"])  # the API key and its rate: set once, on the NinjaAPI
MAX_KEYS = 10_000


class PlanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    budget_credits: Decimal = Field(ge=0, max_digits=14, decimal_places=4, examples=[5000])
    entity_type: Literal["company", "person"]
    limit: StrictInt | None = Field(1000, ge=1, le=1_000_000, description="the most leads the plan may include")
    vendor: Text = Field("", max_length=100, description="only this vendor's workflows")
    workflow_name: Text = Field("", max_length=200, description="only this workflow")
    entity_keys: list[Text] | None = Field(None, max_length=MAX_KEYS, description="only these entities")


class PlanPairOut(Schema):
    entity_key: str
    workflow_name: str
    expected_credits: Decimal
    fills: dict[str, float] = Field(description="field -> probability that this run fills it")
    visible_probability: float = Field(description="that the lead becomes visible with all its planned runs")


class PlanTotalsOut(Schema):
    credits: Decimal = Field(description="what the planned runs are expected to spend")
    expected_newly_visible: float = Field(description="leads expected to become visible")
    expected_newly_visible_sd: float = Field(description="its standard deviation")
    leads: int
    pairs: int
    hidden_leads_considered: int
    figures: str = Field(description="where the fill rates and costs come from")
    hidden_leads_counted_at: str | None = Field(description="when the hidden leads were counted (ISO 8601)")
    seconds: float


class PlanOut(Schema):
    pairs: list[PlanPairOut]
    totals: PlanTotalsOut
    left_out: dict[str, str] = Field(description="declaring workflows the plan could not offer, and why")


@router.post("/plan", response={200: PlanOut, 422: ValidationErrorOut | ErrorOut},
             summary="Which hidden leads to enrich, with which workflow, for a credit budget")
def enrichment_plan(request: HttpRequest, payload: PlanIn) -> HttpResponse | Status:
    """The pairs that make the most leads visible per credit within the budget (expected, from each
    workflow's measured fill rates), never a workflow still fresh for the entity or failing there."""
    try:
        result = plan_build(PlanRequest(
            budget_credits=payload.budget_credits, entity_type=payload.entity_type, limit=payload.limit,
            vendor=payload.vendor, workflow_name=payload.workflow_name,
            entity_keys=tuple(payload.entity_keys) if payload.entity_keys is not None else None))
    except PlanRefused as exc:
        return Status(422, {"detail": str(exc)})
    body = {"pairs": result.pairs(), "totals": result.totals(), "left_out": result.left_out}
    # Serialised directly: a plan may hold a million pairs, too many to validate one by one on the
    # way out. tests/enrichhub/test_api_schema.py checks the answers against PlanOut instead.
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")
