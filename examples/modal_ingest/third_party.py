"""Enrichments from smaller vendors (BuiltWith, Crunchbase, Similarweb).

The functions are plain Python, wrapped into Modal functions at the bottom with shared
options, so that they stay callable in unit tests without Modal.
"""

import modal

from runs.client import report_run

from .common import write_rows

app = modal.App("third-party-ingest")
image = modal.Image.debian_slim().pip_install("psycopg[binary]")
VENDOR_OPTIONS = {"image": image, "timeout": 600, "retries": 1}


def _land(raw_table: str, extracted_table: str, payload: dict) -> int:
    write_rows(raw_table, [{"domain": payload["domain"], "payload": payload}])
    return write_rows(extracted_table, [{"domain": payload["domain"], **item} for item in payload.get("items", [])])


def ingest_company_technographics(payload: dict) -> dict:
    """Company enrichment from builtwith: company technographics."""
    written = _land("raw.company_technographics", "extracted.company_technographics", payload)
    report_run("company_technographics", payload["domain"], "completed", source="builtwith",
               records_processed=written)
    return {"written": written}


def ingest_company_investors(payload: dict) -> dict:
    """Company enrichment from crunchbase: company investors."""
    written = _land("raw.company_investors", "extracted.company_investors", payload)
    report_run("company_investors", payload["domain"], "completed", source="crunchbase", records_processed=written)
    return {"written": written}


def ingest_company_acquisitions(payload: dict) -> dict:
    """Company enrichment from crunchbase: company acquisitions."""
    written = _land("raw.company_acquisitions", "extracted.company_acquisitions", payload)
    report_run("company_acquisitions", payload["domain"], "completed", source="crunchbase",
               records_processed=written)
    return {"written": written}


def ingest_company_web_traffic(payload: dict) -> dict:
    """Company enrichment from similarweb: company web traffic. Written before the run client
    existed: it lands rows but reports nothing, so enrichhub cannot tell that it ran."""
    return {"written": _land("raw.company_web_traffic", "extracted.company_web_traffic", payload)}


def ingest_company_subsidiaries(payload: dict) -> dict:
    """Company enrichment from crunchbase: company subsidiaries."""
    try:
        written = _land("raw.company_subsidiaries", "extracted.company_subsidiaries", payload)
    except Exception as exc:
        report_run("company_subsidiaries", payload["domain"], "failed", source="crunchbase", error=str(exc))
        raise
    report_run("company_subsidiaries", payload["domain"], "completed", source="crunchbase",
               records_processed=written)
    return {"written": written}


technographics = app.function(**VENDOR_OPTIONS)(ingest_company_technographics)
investors = app.function(**VENDOR_OPTIONS)(ingest_company_investors)
acquisitions = app.function(**VENDOR_OPTIONS)(ingest_company_acquisitions)
web_traffic = app.function(**VENDOR_OPTIONS)(ingest_company_web_traffic)
subsidiaries = app.function(**VENDOR_OPTIONS)(ingest_company_subsidiaries)


def _normalise(value: str) -> str:
    return value.strip().lower()
