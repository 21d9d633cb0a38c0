"""GitHub and G2 ingest, written for Python 3.14 (Modal images run it): PEP 695 generics and
type aliases, `match`, `except` without parentheses and template strings. enrichhub never
imports this file; the audit reads it whatever Python enrichhub itself runs on."""

from collections.abc import Callable, Iterable

import modal

from runs.client import track_enrichment

from .common import write_rows

app = modal.App("github-g2-ingest")
image = modal.Image.debian_slim(python_version="3.14").pip_install("psycopg[binary]")

type Row = dict[str, object]
type Extractor[T] = Callable[[dict], Iterable[T]]


def _rows[T: Row](payload: dict, key: str, extract: Extractor[T]) -> list[T]:
    return [{key: payload[key], **item} for item in extract(payload)]


def _items(payload: dict) -> list[Row]:
    match payload:
        case {"items": list(items)}:
            return items
        case {"data": {"nodes": list(nodes)}}:
            return nodes
        case _:
            return []


@app.function(image=image, timeout=600)
def ingest_company_reviews(payload: dict) -> dict:
    """Company enrichment from g2: company reviews."""
    with track_enrichment("company_reviews", payload["domain"], source="g2") as run:
        write_rows("raw.company_reviews", [{"domain": payload["domain"], "payload": payload}])
        try:
            run.records_processed = write_rows("extracted.company_reviews", _rows(payload, "domain", _items))
        except KeyError, TypeError:
            run.records_processed = 0
    return {"written": run.records_processed}


@app.function(image=image, timeout=600, max_containers=2)
@track_enrichment("company_github_activity", lambda payload: payload["domain"], source="github")
def ingest_company_github_activity(payload: dict) -> dict:
    """Company enrichment from github: company github activity."""
    write_rows("raw.company_github_activity", [{"domain": payload["domain"], "payload": payload}])
    return {"records_processed": write_rows("extracted.company_github_activity", _rows(payload, "domain", _items))}


@app.function(image=image)
def ingest_person_github(payload: dict) -> dict:
    """Person enrichment from github: person github."""
    login = payload.get("login", "")
    with track_enrichment("person_github", payload["linkedin_url"], source="github") as run:
        write_rows("raw.person_github", [{"linkedin_url": payload["linkedin_url"], "payload": payload,
                                          "query": t"user:{login} sort:updated"}])
        run.records_processed = write_rows("extracted.person_github", _rows(payload, "linkedin_url", _items))
    return {"written": run.records_processed}
