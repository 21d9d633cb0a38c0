"""SalesNav ingest, still on the pre-1.0 Modal Stub API."""

import modal

from .common import write_rows

stub = modal.Stub("salesnav-ingest")


@stub.function(timeout=900, retries=2)
def ingest_company_headcount(payload: dict) -> dict:
    """Company enrichment from salesnav: company headcount."""
    write_rows("raw.company_headcount", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_headcount", rows)}


@stub.function(timeout=900, retries=2)
def ingest_company_salesnav_location(payload: dict) -> dict:
    """Company enrichment from salesnav: company salesnav location."""
    write_rows("raw.company_salesnav_location", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_salesnav_location", rows)}


@stub.function(timeout=900, retries=2)
def ingest_company_hiring_velocity(payload: dict) -> dict:
    """Company enrichment from salesnav: company hiring velocity."""
    write_rows("raw.company_hiring_velocity", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_hiring_velocity", rows)}


@stub.function(timeout=900, retries=2)
def ingest_person_salesnav_profile(payload: dict) -> dict:
    """Person enrichment from salesnav: person salesnav profile."""
    write_rows("raw.person_salesnav_profile", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.person_salesnav_profile", rows)}


@stub.function(timeout=900, retries=2)
def ingest_person_connections(payload: dict) -> dict:
    """Person enrichment from salesnav: person connections."""
    write_rows("raw.person_connections", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.person_connections", rows)}
