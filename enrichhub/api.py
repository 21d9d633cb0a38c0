"""The one NinjaAPI of the project; each app mounts its router here."""

from django.db import connection
from ninja import NinjaAPI, Schema

api = NinjaAPI(
    title="enrichhub",
    version="1",
    description="Enrichment workflow registry, run tracking and status for the lead warehouse.",
    docs_url="/docs",
)


class HealthOut(Schema):
    status: str
    database: str


@api.get("/health", response=HealthOut, tags=["meta"], summary="Liveness and database reachability")
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        (version,) = cursor.fetchone()
    return {"status": "ok", "database": f"PostgreSQL {version}"}
