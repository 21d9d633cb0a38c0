"""Apollo ingest: one class holds the API client, one method per enrichment."""

import modal

from runs.client import Reporter

from .common import write_rows

app = modal.App("apollo-ingest")


@app.cls(secrets=[modal.Secret.from_name("apollo")], concurrency_limit=4)
class ApolloIngest:
    @modal.enter()
    def connect(self) -> None:
        # One reporter per container: the events of every call share its batches.
        self.runs = Reporter()

    @modal.exit()
    def ingest_flush(self) -> None:
        # A lifecycle hook, not a Modal function, although its name looks like one.
        self.runs.close()

    @modal.method()
    def ingest_company_firmographics(self, payload: dict) -> dict:
        """Company enrichment from apollo: company firmographics."""
        write_rows("raw.company_firmographics", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.company_firmographics", rows)
        self.runs.report_run("company_firmographics", payload["domain"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_company_hq_address(self, payload: dict) -> dict:
        """Company enrichment from apollo: company hq address."""
        write_rows("raw.company_hq_address", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.company_hq_address", rows)
        self.runs.report_run("company_hq_address", payload["domain"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_company_revenue_estimate(self, payload: dict) -> dict:
        """Company enrichment from apollo: company revenue estimate."""
        write_rows("raw.company_revenue_estimate", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.company_revenue_estimate", rows)
        self.runs.report_run("company_revenue_estimate", payload["domain"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_company_leadership(self, payload: dict) -> dict:
        """Company enrichment from apollo: company leadership."""
        write_rows("raw.company_leadership", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.company_leadership", rows)
        self.runs.report_run("company_leadership", payload["domain"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_person_email(self, payload: dict) -> dict:
        """Person enrichment from apollo: person email."""
        write_rows("raw.person_email", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.person_email", rows)
        self.runs.report_run("person_email", payload["linkedin_url"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_person_phone(self, payload: dict) -> dict:
        """Person enrichment from apollo: person phone."""
        write_rows("raw.person_phone", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.person_phone", rows)
        self.runs.report_run("person_phone", payload["linkedin_url"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_person_apollo_new_in_role(self, payload: dict) -> dict:
        """Person enrichment from apollo: person apollo new in role."""
        write_rows("raw.person_apollo_new_in_role", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.person_apollo_new_in_role", rows)
        self.runs.report_run("person_apollo_new_in_role", payload["linkedin_url"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_person_mobile_verification(self, payload: dict) -> dict:
        """Person enrichment from apollo: person mobile verification."""
        write_rows("raw.person_mobile_verification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.person_mobile_verification", rows)
        self.runs.report_run("person_mobile_verification", payload["linkedin_url"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}

    @modal.method()
    def ingest_person_email_verification(self, payload: dict) -> dict:
        """Person enrichment from apollo: person email verification."""
        write_rows("raw.person_email_verification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        written = write_rows("extracted.person_email_verification", rows)
        self.runs.report_run("person_email_verification", payload["linkedin_url"], "completed", source="apollo",
                             records_processed=written)
        return {"written": written}


@app.local_entrypoint()
def ingest_one(domain: str) -> None:
    """`modal run apollo.py --domain ironclad.com`: runs on the laptop, not an ingest function."""
    ApolloIngest().ingest_company_firmographics.remote({"domain": domain})


@app.function()
def healthcheck() -> str:
    return "ok"
