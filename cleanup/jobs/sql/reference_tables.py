"""Retiring reference tables once their purpose is served: moved to archive, never dropped."""

from dataclasses import dataclass

from django.db import connection
from psycopg import sql


@dataclass(frozen=True)
class Retirable:
    # The review list (warehouse/review_lists.py) that says which rows still wait; its table's name.
    review_list: str
    reason: str
    # The job that fills what the rows wait for: (kind, params, what it does).
    filled_by: tuple[str, dict, str]
    schema: str = "reference"

    @property
    def table(self) -> str:
        return self.review_list


RETIRABLE = {
    "reference.companies_missing_cleaned_name": Retirable(
        "companies_missing_cleaned_name",
        "listed companies still without cleaned_name whose Clay enrichment is not complete (never answered, "
        "or answered with a name core lacks)",
        ("coalesce_mapped", {"workflow": "company_cleaned_name"},
         "coalesce the cleaned names Clay returned into core (coalesce_mapped, company_cleaned_name)")),
    "reference.people_missing_country": Retirable(
        "people_missing_country",
        "listed people still without person_country although an extracted profile has it (the backfill is not "
        "complete)",
        ("coalesce_person_profile", {"mode": "sweep"},
         "bring the countries of extracted person profiles into core (coalesce_person_profile)")),
}


def archived_name(*, table: str, job_id: int) -> str:
    return f"{table}__retired_job{int(job_id)}"


def exists(*, schema: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"{schema}.{table}"])
        return cursor.fetchone()[0]


def row_count(*, schema: str, table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
        return cursor.fetchone()[0]


def move(*, from_schema: str, from_table: str, to_schema: str, to_table: str) -> None:
    """Rename, then change schema: both in the caller's transaction, so all or nothing."""
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(
            sql.Identifier(from_schema, from_table), sql.Identifier(to_table)))
        cursor.execute(sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
            sql.Identifier(from_schema, to_table), sql.Identifier(to_schema)))
