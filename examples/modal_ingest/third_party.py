"""Enrichments from smaller vendors (Crunchbase, G2, GitHub, …)."""

import modal

from .common import write_rows

app = modal.App("third-party-ingest")
image = modal.Image.debian_slim().pip_install("psycopg[binary]")


@app.function(image=image, timeout=600)
def ingest_company_technographics(payload: dict) -> dict:
    """Company enrichment from builtwith: company technographics."""
    write_rows("raw.company_technographics", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_technographics", rows)}


@app.function(image=image, timeout=600)
def ingest_company_investors(payload: dict) -> dict:
    """Company enrichment from crunchbase: company investors."""
    write_rows("raw.company_investors", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_investors", rows)}


@app.function(image=image, timeout=600)
def ingest_company_acquisitions(payload: dict) -> dict:
    """Company enrichment from crunchbase: company acquisitions."""
    write_rows("raw.company_acquisitions", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_acquisitions", rows)}


@app.function(image=image, timeout=600)
def ingest_company_web_traffic(payload: dict) -> dict:
    """Company enrichment from similarweb: company web traffic."""
    write_rows("raw.company_web_traffic", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_web_traffic", rows)}


@app.function(image=image, timeout=600)
def ingest_company_reviews(payload: dict) -> dict:
    """Company enrichment from g2: company reviews."""
    write_rows("raw.company_reviews", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_reviews", rows)}


@app.function(image=image, timeout=600)
def ingest_company_subsidiaries(payload: dict) -> dict:
    """Company enrichment from crunchbase: company subsidiaries."""
    write_rows("raw.company_subsidiaries", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_subsidiaries", rows)}


@app.function(image=image, timeout=600)
def ingest_company_github_activity(payload: dict) -> dict:
    """Company enrichment from github: company github activity."""
    write_rows("raw.company_github_activity", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_github_activity", rows)}


@app.function(image=image, timeout=600)
def ingest_person_github(payload: dict) -> dict:
    """Person enrichment from github: person github."""
    write_rows("raw.person_github", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.person_github", rows)}


def _normalise(value: str) -> str:
    return value.strip().lower()
