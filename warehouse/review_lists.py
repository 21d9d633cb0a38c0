"""The warehouse's review lists (reference.companies_missing_cleaned_name and
reference.people_missing_country): rows flagged for a field some work should fill. A list's
rows still waiting are those whose field is still NULL; once there are none, it may be retired."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from warehouse import sql
from warehouse.models import Company, Person


@dataclass(frozen=True)
class ReviewList:
    table: str  # in the reference schema
    entity: str  # "company" or "person"
    field: str  # the core field the list waits for


REVIEW_LISTS = {
    "companies_missing_cleaned_name": ReviewList("companies_missing_cleaned_name", "company", "cleaned_name"),
    "people_missing_country": ReviewList("people_missing_country", "person", "person_country"),
}
_MODELS: dict[str, type[Company] | type[Person]] = {"company": Company, "person": Person}


def review_list_waiting(name: str) -> QuerySet:
    """The listed rows whose field is still missing; none once the list was retired."""
    review = REVIEW_LISTS[name]
    rows = _MODELS[review.entity].objects.filter(**{f"{review.field}__isnull": True})
    if not sql.reference_table_exists(table=review.table):
        return rows.none()
    return rows.filter(id__in=RawSQL(sql.review_list_ids(table=review.table), []))
