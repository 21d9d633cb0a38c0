"""Apollo ingest: one class holds the API client, one method per enrichment."""

import modal

from .common import write_rows

app = modal.App("apollo-ingest")


@app.cls(secrets=[modal.Secret.from_name("apollo")], concurrency_limit=4)
class ApolloIngest:
    @modal.enter()
    def connect(self) -> None:
        self.session = "apollo"

    @modal.method()
    def ingest_company_firmographics(self, payload: dict) -> dict:
        """Company enrichment from apollo: company firmographics."""
        write_rows("raw.company_firmographics", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.company_firmographics", rows)}

    @modal.method()
    def ingest_company_hq_address(self, payload: dict) -> dict:
        """Company enrichment from apollo: company hq address."""
        write_rows("raw.company_hq_address", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.company_hq_address", rows)}

    @modal.method()
    def ingest_company_revenue_estimate(self, payload: dict) -> dict:
        """Company enrichment from apollo: company revenue estimate."""
        write_rows("raw.company_revenue_estimate", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.company_revenue_estimate", rows)}

    @modal.method()
    def ingest_company_leadership(self, payload: dict) -> dict:
        """Company enrichment from apollo: company leadership."""
        write_rows("raw.company_leadership", [{"domain": payload["domain"], "payload": payload}])
        rows = [{"domain": payload["domain"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.company_leadership", rows)}

    @modal.method()
    def ingest_person_email(self, payload: dict) -> dict:
        """Person enrichment from apollo: person email."""
        write_rows("raw.person_email", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.person_email", rows)}

    @modal.method()
    def ingest_person_phone(self, payload: dict) -> dict:
        """Person enrichment from apollo: person phone."""
        write_rows("raw.person_phone", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.person_phone", rows)}

    @modal.method()
    def ingest_person_apollo_new_in_role(self, payload: dict) -> dict:
        """Person enrichment from apollo: person apollo new in role."""
        write_rows("raw.person_apollo_new_in_role", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.person_apollo_new_in_role", rows)}

    @modal.method()
    def ingest_person_mobile_verification(self, payload: dict) -> dict:
        """Person enrichment from apollo: person mobile verification."""
        write_rows("raw.person_mobile_verification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.person_mobile_verification", rows)}

    @modal.method()
    def ingest_person_email_verification(self, payload: dict) -> dict:
        """Person enrichment from apollo: person email verification."""
        write_rows("raw.person_email_verification", [{"linkedin_url": payload["linkedin_url"], "payload": payload}])
        rows = [{"linkedin_url": payload["linkedin_url"], **item} for item in payload.get("items", [])]
        return {"written": write_rows("extracted.person_email_verification", rows)}


@app.function()
def healthcheck() -> str:
    return "ok"
