"""The one NinjaAPI of the project; each app mounts its router here."""

from django.db import connection
from ninja import NinjaAPI, Schema

from runs.api import DOCUMENTED_SCHEMAS
from runs.api import router as enrichment_router


class EnrichhubAPI(NinjaAPI):
    """Adds to the OpenAPI components the models of bodies that views parse themselves."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in DOCUMENTED_SCHEMAS:
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        return schema


api = EnrichhubAPI(
    title="enrichhub",
    version="1",
    description="Enrichment workflow registry, run tracking and status for the lead warehouse.",
    docs_url="/docs",
)


class HealthOut(Schema):
    status: str
    database: str


api.add_router("/enrichment/", enrichment_router)


@api.get("/health", response=HealthOut, tags=["meta"], summary="Liveness and database reachability")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    return {"status": "ok", "database": f"PostgreSQL {version}"}
