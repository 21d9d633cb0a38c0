"""Hidden leads: the product shows a company or person only when its required fields are
filled (the seed's Notes). This module is the one definition of those fields and of
"missing": NULL, empty, or only spaces. The ORM's and SQL's spellings of it are side by side
here, so that the dashboard's counts, its drill-down lists, its CSV and the jobs that fill the
fields agree."""

from itertools import combinations

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Trim
from django.db.models.lookups import Exact
from psycopg import sql

from warehouse.models import Company, Person

REQUIRED_FIELDS = {
    "company": ("company_name", "company_country"),
    "person": ("person_country", "matched_job_function", "matched_seniority"),
}
MODELS: dict[str, type[Company] | type[Person]] = {"company": Company, "person": Person}


def missing_q(field: str) -> Q:
    return Q(**{f"{field}__isnull": True}) | Q(Exact(Trim(field), Value("")))


def missing_sql(column: str) -> sql.Composed:
    """The same test in SQL, for statements composed with psycopg."""
    return sql.SQL("({0} IS NULL OR btrim({0}) = '')").format(sql.Identifier(column))


def hidden_queryset(*, entity: str, missing: tuple[str, ...]) -> QuerySet:
    """Rows missing exactly these required fields (the others filled)."""
    fields = REQUIRED_FIELDS[entity]
    unknown = set(missing) - set(fields)
    if unknown or not missing:
        raise ValueError(f"missing must name some of {', '.join(fields)}; got {', '.join(missing) or 'none'}")
    condition = Q()
    for field in fields:
        condition &= missing_q(field) if field in missing else ~missing_q(field)
    return MODELS[entity].objects.filter(condition)


def missing_combinations(entity: str) -> list[tuple[str, ...]]:
    """Every non-empty combination of the entity's required fields, smallest first."""
    fields = REQUIRED_FIELDS[entity]
    return [combo for size in range(1, len(fields) + 1) for combo in combinations(fields, size)]
