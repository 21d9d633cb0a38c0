"""Clay person enrichments."""

import modal

from runs.client import track_enrichment

from .common import write_rows

app = modal.App("clay-person-ingest")
image = modal.Image.debian_slim().pip_install("psycopg[binary]")


@app.function(image=image, timeout=600)
@track_enrichment("person_profile", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_profile(payload: dict) -> dict:
    """Person enrichment from clay: person profile."""
    write_rows("raw.person_profile", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_profile", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_experience", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_experience(payload: dict) -> dict:
    """Person enrichment from clay: person experience."""
    write_rows("raw.person_experience", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_experience", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_education", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_education(payload: dict) -> dict:
    """Person enrichment from clay: person education."""
    write_rows("raw.person_education", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_education", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_skills", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_skills(payload: dict) -> dict:
    """Person enrichment from clay: person skills."""
    write_rows("raw.person_skills", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_skills", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_social_profiles", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_social_profiles(payload: dict) -> dict:
    """Person enrichment from clay: person social profiles."""
    write_rows("raw.person_social_profiles", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_social_profiles", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_job_change", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_job_change(payload: dict) -> dict:
    """Person enrichment from clay: person job change."""
    write_rows("raw.person_job_change", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_job_change", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_certifications", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_certifications(payload: dict) -> dict:
    """Person enrichment from clay: person certifications."""
    write_rows("raw.person_certifications", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_certifications", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_languages", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_languages(payload: dict) -> dict:
    """Person enrichment from clay: person languages."""
    write_rows("raw.person_languages", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_languages", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_publications", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_publications(payload: dict) -> dict:
    """Person enrichment from clay: person publications."""
    write_rows("raw.person_publications", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_publications", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_volunteering", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_volunteering(payload: dict) -> dict:
    """Person enrichment from clay: person volunteering."""
    write_rows("raw.person_volunteering", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_volunteering", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_recommendations", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_recommendations(payload: dict) -> dict:
    """Person enrichment from clay: person recommendations."""
    write_rows("raw.person_recommendations", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_recommendations", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_activity_posts", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_activity_posts(payload: dict) -> dict:
    """Person enrichment from clay: person activity posts."""
    write_rows("raw.person_activity_posts", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_activity_posts", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_twitter", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_twitter(payload: dict) -> dict:
    """Person enrichment from clay: person twitter."""
    write_rows("raw.person_twitter", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_twitter", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_seniority_classification", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_seniority_classification(payload: dict) -> dict:
    """Person enrichment from clay: person seniority classification."""
    write_rows("raw.person_seniority_classification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_seniority_classification", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_job_function_classification", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_job_function_classification(payload: dict) -> dict:
    """Person enrichment from clay: person job function classification."""
    write_rows("raw.person_job_function_classification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_job_function_classification", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_location", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_location(payload: dict) -> dict:
    """Person enrichment from clay: person location."""
    write_rows("raw.person_location", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_location", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_intent_signals", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_intent_signals(payload: dict) -> dict:
    """Person enrichment from clay: person intent signals."""
    write_rows("raw.person_intent_signals", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_intent_signals", rows)}


@app.function(image=image, timeout=600)
@track_enrichment("person_clay_waterfall", lambda payload: payload["linkedin_url"], source="clay")
def ingest_person_clay_waterfall(payload: dict) -> dict:
    """Person enrichment from clay: person clay waterfall."""
    write_rows("raw.person_clay_waterfall", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
    rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
    return {"records_processed": write_rows("extracted.person_clay_waterfall", rows)}


def _normalise(value: str) -> str:
    return value.strip().lower()
