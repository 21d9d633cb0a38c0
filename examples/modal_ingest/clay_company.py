"""Clay company enrichments."""

import modal

from runs.client import track_enrichment

from .common import write_rows

app = modal.App("clay-company-ingest")
image = modal.Image.debian_slim().pip_install("psycopg[binary]")


@app.function(image=image, timeout=600)
def ingest_company_discovery(payload: dict) -> dict:
    """Company enrichment from clay: company discovery."""
    with track_enrichment("company_discovery", payload["domain"], source="clay") as run:
        write_rows("raw.company_discovery", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_discovery", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_funding(payload: dict) -> dict:
    """Company enrichment from clay: company funding."""
    with track_enrichment("company_funding", payload["domain"], source="clay") as run:
        write_rows("raw.company_discovery", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_discovery", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_customers(payload: dict) -> dict:
    """Company enrichment from clay: company customers."""
    with track_enrichment("company_customers", payload["domain"], source="clay") as run:
        write_rows("raw.company_customers", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_customers", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_job_postings(payload: dict) -> dict:
    """Company enrichment from clay: company job postings."""
    with track_enrichment("company_job_postings", payload["domain"], source="clay") as run:
        write_rows("raw.company_job_postings", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_job_postings", rows)
    return {"written": run.records_processed}


@app.function
def ingest_company_news(payload: dict) -> dict:
    """Company enrichment from clay: company news."""
    with track_enrichment("company_news", payload["domain"], source="clay") as run:
        write_rows("raw.company_news", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_news", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_competitors(payload: dict) -> dict:
    """Company enrichment from clay: company competitors."""
    with track_enrichment("company_competitors", payload["domain"], source="clay") as run:
        write_rows("raw.company_competitors", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_competitors", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_social_profiles(payload: dict) -> dict:
    """Company enrichment from clay: company social profiles."""
    with track_enrichment("company_social_profiles", payload["domain"], source="clay") as run:
        write_rows("raw.company_social_profiles", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_social_profiles", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_cleaned_name(payload: dict) -> dict:
    """Company enrichment from clay: company cleaned name."""
    with track_enrichment("company_cleaned_name", payload["domain"], source="clay") as run:
        write_rows("raw.company_cleaned_name", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_cleaned_name", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_industry_classification(payload: dict) -> dict:
    """Company enrichment from clay: company industry classification."""
    with track_enrichment("company_industry_classification", payload["domain"], source="clay") as run:
        write_rows("raw.company_industry_classification", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_industry_classification", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_patents(payload: dict) -> dict:
    """Company enrichment from clay: company patents."""
    with track_enrichment("company_patents", payload["domain"], source="clay") as run:
        write_rows("raw.company_patents", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_patents", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_app_store(payload: dict) -> dict:
    """Company enrichment from clay: company app store."""
    with track_enrichment("company_app_store", payload["domain"], source="clay") as run:
        write_rows("raw.company_app_store", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_app_store", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_ads(payload: dict) -> dict:
    """Company enrichment from clay: company ads."""
    with track_enrichment("company_ads", payload["domain"], source="clay") as run:
        write_rows("raw.company_ads", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_ads", rows)
    return {"written": run.records_processed}


@app.function(image=image, timeout=600)
def ingest_company_press_releases(payload: dict) -> dict:
    """Company enrichment from clay: company press releases."""
    with track_enrichment("company_press_releases", payload["domain"], source="clay") as run:
        write_rows("raw.company_press_releases", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        run.records_processed = write_rows("extracted.company_press_releases", rows)
    return {"written": run.records_processed}


def _normalise(value: str) -> str:
    return value.strip().lower()
