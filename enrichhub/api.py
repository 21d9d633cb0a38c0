"""The one NinjaAPI of the project; each app mounts its router here."""

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from enrichhub.api_errors import api_exception_response, json_error
from planning.api import router as planning_router
from runs.api import DOCUMENTED_SCHEMAS
from runs.api import router as enrichment_router
from runs.auth import ApiKeyAuth
from runs.throttling import SharedKeyRateThrottle

# What any endpoint may answer besides its own responses: who asks without a valid key, too
# often, or while the database is away (enrichhub.api_errors), each as {"detail": "..."}.
_KEYED_ANSWERS = {"401": "no API key, or one that is unknown or revoked",
                  "429": "more requests than the key's rate allows; Retry-After says when to try again"}
_EVERY_ANSWER = {"503": "the database cannot be reached; Retry-After says when to try again"}


class EnrichhubAPI(NinjaAPI):
    """Adds to the OpenAPI document the models of bodies that views parse themselves, and the
    answers every endpoint may give that no view returns (authentication, rate, outage)."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in DOCUMENTED_SCHEMAS:
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        components["Problem"] = {"type": "object", "properties": {"detail": {"type": "string"}},
                                 "required": ["detail"]}
        for operations in schema["paths"].values():
            for operation in operations.values():
                answers = {**_EVERY_ANSWER, **(_KEYED_ANSWERS if operation.get("security") else {})}
                for status, description in answers.items():
                    operation["responses"].setdefault(status, {"description": description, "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
        return schema


api = EnrichhubAPI(
    title="enrichhub",
    version="1",
    description="Enrichment workflow registry, run tracking and status for the lead warehouse.",
    docs_url="/docs",
    # Every endpoint needs an API key and counts against its rate, unless it says otherwise.
    auth=ApiKeyAuth(),
    throttle=[SharedKeyRateThrottle(settings.API_RATE_PER_KEY)],
)


class HealthOut(Schema):
    status: str
    database: str


api.add_router("/enrichment/", enrichment_router)
api.add_router("/enrichment/", planning_router)


@api.exception_handler(HttpError)
def unparseable_body_is_unprocessable(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja answers a body that is not JSON with a bare 400; clients get the same 422
    shape as for any other invalid body instead, with the field (`body`) named."""
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        detail = [{"type": "json_invalid", "loc": ["body"], "msg": "the body is not valid JSON"}]
        return api.create_response(request, {"detail": detail}, status=422)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Exception)
def unexpected_error_is_json(request: HttpRequest, exc: Exception) -> HttpResponse:
    """ninja's default answers a traceback with DEBUG on and Django's HTML page with it off."""
    return api_exception_response(exc)


@api.get("/health", response=HealthOut, tags=["meta"], summary="Liveness and database reachability", auth=None,
         throttle=[])
def health(request: HttpRequest) -> dict:
    """Anyone may ask; the server's exact version, which tells an attacker its known flaws, is for
    superusers (the admin's database page)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": "reachable"}


def api_not_found(request: HttpRequest) -> HttpResponse:
    return json_error(404, f"no API endpoint at {request.path}; see /api/docs")
