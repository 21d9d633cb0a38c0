"""Clay company enrichments."""

import modal

from .common import write_rows

app = modal.App("clay-company-ingest")
image = modal.Image.debian_slim().pip_install("psycopg[binary]")


@app.function(image=image, timeout=600)
def ingest_company_discovery(payload: dict) -> dict:
    """Company enrichment from clay: company discovery."""
    write_rows("raw.company_discovery", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_discovery", rows)}


@app.function(image=image, timeout=600)
def ingest_company_funding(payload: dict) -> dict:
    """Company enrichment from clay: company funding."""
    write_rows("raw.company_discovery", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_discovery", rows)}


@app.function(image=image, timeout=600)
def ingest_company_customers(payload: dict) -> dict:
    """Company enrichment from clay: company customers."""
    write_rows("raw.company_customers", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_customers", rows)}


@app.function(image=image, timeout=600)
def ingest_company_job_postings(payload: dict) -> dict:
    """Company enrichment from clay: company job postings."""
    write_rows("raw.company_job_postings", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_job_postings", rows)}


@app.function(image=image, timeout=600)
def ingest_company_news(payload: dict) -> dict:
    """Company enrichment from clay: company news."""
    write_rows("raw.company_news", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_news", rows)}


@app.function(image=image, timeout=600)
def ingest_company_competitors(payload: dict) -> dict:
    """Company enrichment from clay: company competitors."""
    write_rows("raw.company_competitors", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_competitors", rows)}


@app.function(image=image, timeout=600)
def ingest_company_social_profiles(payload: dict) -> dict:
    """Company enrichment from clay: company social profiles."""
    write_rows("raw.company_social_profiles", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_social_profiles", rows)}


@app.function(image=image, timeout=600)
def ingest_company_cleaned_name(payload: dict) -> dict:
    """Company enrichment from clay: company cleaned name."""
    write_rows("raw.company_cleaned_name", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_cleaned_name", rows)}


@app.function(image=image, timeout=600)
def ingest_company_industry_classification(payload: dict) -> dict:
    """Company enrichment from clay: company industry classification."""
    write_rows("raw.company_industry_classification", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_industry_classification", rows)}


@app.function(image=image, timeout=600)
def ingest_company_patents(payload: dict) -> dict:
    """Company enrichment from clay: company patents."""
    write_rows("raw.company_patents", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_patents", rows)}


@app.function(image=image, timeout=600)
def ingest_company_app_store(payload: dict) -> dict:
    """Company enrichment from clay: company app store."""
    write_rows("raw.company_app_store", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_app_store", rows)}


@app.function(image=image, timeout=600)
def ingest_company_ads(payload: dict) -> dict:
    """Company enrichment from clay: company ads."""
    write_rows("raw.company_ads", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_ads", rows)}


@app.function(image=image, timeout=600)
def ingest_company_press_releases(payload: dict) -> dict:
    """Company enrichment from clay: company press releases."""
    write_rows("raw.company_press_releases", [{"domain": payload["domain"], "payload": payload}])
    rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
    return {"written": write_rows("extracted.company_press_releases", rows)}


def _normalise(value: str) -> str:
    return value.strip().lower()
