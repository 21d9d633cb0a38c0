"""reference.enrichment_workflow_registry: every ingest workflow and where its data flows."""

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

TABLE_COLUMNS = ("raw_table", "extracted_table", "core_table")
# The schemas of enrichhub, Django and PostgreSQL (registry/scope.py keeps the same list).
OWN_SCHEMA_PATTERN = r"^(public|reference|archive|information_schema|pg_[a-z0-9_]*)\."

# Other systems insert into this table with plain SQL, so every default also lives in
# the database (db_default); `default` gives unsaved instances the same values in Python.


class Workflow(models.Model):
    class KeyType(models.TextChoices):
        COMPANY = "company", "company"
        PERSON = "person", "person"

    workflow_name = models.TextField(primary_key=True, help_text="as the ingest function is named, without ingest_")
    description = models.TextField(blank=True, default="", db_default="")
    vendor = models.TextField(blank=True, default="", db_default="", db_column="provider",
                              help_text="clay, apollo, salesnav, …")
    # NULL, not '', means "none" for the table columns: the seed's Phase 1 defines core_table
    # as NULL when a workflow does not coalesce, and other readers of this table rely on it.
    raw_table = models.TextField(null=True, blank=True, help_text="schema.table of the raw payloads")
    extracted_table = models.TextField(null=True, blank=True, help_text="schema.table of the extracted rows")
    core_table = models.TextField(null=True, blank=True, help_text="schema.table it coalesces into; empty if none")
    key_column = models.TextField(null=True, blank=True, help_text="domain, linkedin_url, …")
    core_key_column = models.TextField(null=True, blank=True,
                                       help_text="the key's column in core_table when it is named differently")
    key_type = models.TextField(null=True, blank=True, choices=KeyType.choices)
    coalesce_when_filled = models.TextField(
        null=True, blank=True,
        help_text="an extracted column: only rows where it is filled are meant for core (company_funding: "
                  "total_funding_amount_range_usd); the gap check counts only those")
    core_source_column = models.TextField(
        null=True, blank=True,
        help_text="a core_table column holding the id of the extracted row each core row came from "
                  "(person_work_history: source_record_id); lets the gap check count extracted rows that never "
                  "reached core even when their entity is in core")
    coalesces_to_core = models.BooleanField(default=False, db_default=False)
    is_active = models.BooleanField(default=True, db_default=True)
    refresh_after_days = models.PositiveIntegerField(
        default=90, db_default=90, help_text="an enrichment older than this may be bought again")
    gap_alert_threshold = models.PositiveIntegerField(
        null=True, blank=True, help_text="alert when more keys than this are in extracted but not core; empty: never")
    # What the enrichment plan (planning/) may expect of the workflow until enough of its runs
    # show what it really fills and costs.
    fills_fields = ArrayField(
        models.TextField(), null=True, blank=True,
        help_text="the required fields of its entity that a run can fill (warehouse/hidden.py); empty: none")
    default_credit_cost = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)],
        help_text="credits one run costs, until its completed runs say otherwise")
    created_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    history = HistoricalRecords(table_name="enrichment_workflow_registry_history")

    class Meta:
        db_table = "enrichment_workflow_registry"  # in schema reference: see migration 0001
        ordering = ["workflow_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(key_type__in=["company", "person"]) | models.Q(key_type__isnull=True),
                name="registry_key_type_known",
            ),
            models.CheckConstraint(
                condition=models.Q(coalesces_to_core=False) | models.Q(core_table__isnull=False),
                name="registry_coalescing_needs_core_table",
            ),
            models.CheckConstraint(condition=models.Q(default_credit_cost__gte=0),
                                   name="registry_default_credit_cost_not_negative"),
            # Whatever writes the row (admin, SQL, a migration): never a table enrichhub, Django
            # or PostgreSQL owns (registry/scope.py; the configurable part is checked in clean()).
            *[models.CheckConstraint(condition=~models.Q(**{f"{column}__iregex": OWN_SCHEMA_PATTERN}),
                                     name=f"registry_{column}_not_owned") for column in TABLE_COLUMNS],
        ]

    def __str__(self) -> str:
        return self.workflow_name

    def clean(self) -> None:
        from registry.scope import table_scope_problem

        problems = {field: [problem] for field, table in self.tables.items()
                    if (problem := table_scope_problem(table))}
        if problems:
            raise ValidationError(problems)

    @property
    def core_lookup_column(self) -> str | None:
        return self.core_key_column or self.key_column

    @property
    def key_source(self) -> tuple[str, str, str]:
        """(extracted table, key column, key type): what a workflow that passed the catalog check
        is read by. Raises ValueError for a workflow that lacks one of them."""
        if not (self.extracted_table and self.key_column and self.key_type):
            raise ValueError(f"{self.workflow_name} has no extracted table, key column or key type")
        return self.extracted_table, self.key_column, self.key_type

    @property
    def tables(self) -> dict[str, str]:
        """The workflow's table fields that are filled in, by field name."""
        named = {"raw_table": self.raw_table, "extracted_table": self.extracted_table, "core_table": self.core_table}
        return {field: table for field, table in named.items() if table}
