"""The 53 ingest workflows of the demo warehouse.

This is demo data, not enrichhub's registry: it describes which raw/extracted tables the
demo DDL creates, which 16 workflows the seed's original registry already lists, and which
functions the sample Modal tree under examples/modal_ingest/ defines.
"""

from dataclasses import dataclass

COMPANY_KEY = "domain"
PERSON_KEY = "linkedin_url"


@dataclass(frozen=True)
class DemoWorkflow:
    name: str
    key_type: str  # "company" | "person"
    vendor: str
    core_table: str | None = None
    registered: bool = False
    # Workflows that read another workflow's landing tables instead of their own.
    shares_tables_of: str | None = None
    # Only extracted rows with this column filled are meant for core.
    coalesce_when_filled: str | None = None
    # The core column that names the extracted row a core row was made from.
    core_source_column: str | None = None

    @property
    def key_column(self) -> str:
        return COMPANY_KEY if self.key_type == "company" else PERSON_KEY

    @property
    def table_stem(self) -> str:
        return self.shares_tables_of or self.name

    @property
    def raw_table(self) -> str:
        return f"raw.{self.table_stem}"

    @property
    def extracted_table(self) -> str:
        return f"extracted.{self.table_stem}"

    @property
    def function_name(self) -> str:
        return f"ingest_{self.name}"


def _company(name: str, vendor: str, core: str | None = None, registered: bool = False,
             shares: str | None = None, when_filled: str | None = None) -> DemoWorkflow:
    return DemoWorkflow(name, "company", vendor, core, registered, shares, when_filled)


def _person(name: str, vendor: str, core: str | None = None, registered: bool = False,
            source_column: str | None = None) -> DemoWorkflow:
    return DemoWorkflow(name, "person", vendor, core, registered, core_source_column=source_column)


DEMO_WORKFLOWS: tuple[DemoWorkflow, ...] = (
    _company("company_discovery", "clay", "core.companies", registered=True),
    _company("company_funding", "clay", "core.company_funding", registered=True, shares="company_discovery",
             when_filled="total_funding_amount_range_usd"),
    _company("company_customers", "clay", registered=True),
    _company("company_firmographics", "apollo", registered=True),
    _company("company_technographics", "builtwith", registered=True),
    _company("company_headcount", "salesnav", registered=True),
    _company("company_job_postings", "clay", registered=True),
    _company("company_news", "clay", registered=True),
    _company("company_competitors", "clay"),
    _company("company_investors", "crunchbase"),
    _company("company_acquisitions", "crunchbase"),
    _company("company_social_profiles", "clay"),
    _company("company_web_traffic", "similarweb"),
    _company("company_reviews", "g2"),
    _company("company_cleaned_name", "clay", "core.companies"),
    _company("company_salesnav_location", "salesnav", "core.companies"),
    _company("company_hq_address", "apollo"),
    _company("company_revenue_estimate", "apollo"),
    _company("company_industry_classification", "clay"),
    _company("company_subsidiaries", "crunchbase"),
    _company("company_leadership", "apollo"),
    _company("company_patents", "clay"),
    _company("company_github_activity", "github"),
    _company("company_app_store", "clay"),
    _company("company_ads", "clay"),
    _company("company_press_releases", "clay"),
    _company("company_hiring_velocity", "salesnav"),
    _person("person_profile", "clay", "core.people", registered=True),
    _person("person_experience", "clay", "core.person_work_history", registered=True,
            source_column="source_record_id"),
    _person("person_education", "clay", registered=True),
    _person("person_skills", "clay", registered=True),
    _person("person_email", "apollo", registered=True),
    _person("person_phone", "apollo", registered=True),
    _person("person_salesnav_profile", "salesnav", "core.person_job_start_dates", registered=True),
    _person("person_apollo_new_in_role", "apollo", "core.person_job_start_dates", registered=True),
    _person("person_social_profiles", "clay"),
    _person("person_job_change", "clay"),
    _person("person_certifications", "clay"),
    _person("person_languages", "clay"),
    _person("person_publications", "clay"),
    _person("person_volunteering", "clay"),
    _person("person_recommendations", "clay"),
    _person("person_activity_posts", "clay"),
    _person("person_github", "github"),
    _person("person_twitter", "clay"),
    _person("person_seniority_classification", "clay", "core.person_job_titles"),
    _person("person_job_function_classification", "clay", "core.person_job_titles"),
    _person("person_location", "clay", "core.person_locations"),
    _person("person_mobile_verification", "apollo"),
    _person("person_email_verification", "apollo"),
    _person("person_intent_signals", "clay"),
    _person("person_connections", "salesnav"),
    _person("person_clay_waterfall", "clay"),
)

# What the demo's curators say a workflow fills of the required fields (warehouse/hidden.py), and
# what one run costs, until runs show otherwise. A workflow is listed only for the fields its
# coalescing writes: discovery's location is free text ("Berlin, Germany") that nothing turns
# into a country, and the cleaned name goes to cleaned_name, which no lead needs.
DEMO_FILLS: dict[str, tuple[tuple[str, ...], str]] = {
    # Workflows whose core table is the entity's own (core.companies, core.people), and the work
    # history, whose current titles give people their job function and seniority. The profile's
    # title is mapped the same way when it is coalesced.
    "company_discovery": (("company_name",), "2.0"),
    "company_salesnav_location": (("company_country",), "1.0"),
    "person_profile": (("person_country", "matched_job_function", "matched_seniority"), "2.0"),
    "person_experience": (("matched_job_function", "matched_seniority"), "1.5"),
}

# Tables with hand-written DDL and demo data of their own (warehouse/ddl/warehouse.sql);
# every other workflow lands in a generic key + payload table.
SPECIFIC_TABLE_STEMS = frozenset({"company_discovery", "person_profile", "person_experience"})


def generic_landing_workflows() -> list[DemoWorkflow]:
    """Workflows whose raw and extracted tables have the generic shape."""
    return [w for w in DEMO_WORKFLOWS if w.shares_tables_of is None and w.name not in SPECIFIC_TABLE_STEMS]
