"""The warehouse's review lists (reference.companies_missing_cleaned_name and
reference.people_missing_country): rows flagged for a field some work should fill. The seed
retires each once that work is complete: the Clay enrichment for the first, the backfill for
the second. So a listed row still waits while its field is missing in core and the work is not
done: Clay never answered for the company, or answered with a name core lacks; the
warehouse holds a country for the person that core lacks. A row whose field no source has is
settled: the work is done and found nothing. The drill-down, the retire job's dry run and its
refusal all count with this one definition."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from warehouse import sql
from warehouse.hidden import missing_q
from warehouse.models import Company, Person


@dataclass(frozen=True)
class ReviewList:
    table: str  # in the reference schema
    entity: str  # "company" or "person"
    field: str  # the core field the list waits for
    work: str  # what completes it, for people


REVIEW_LISTS = {
    "companies_missing_cleaned_name": ReviewList("companies_missing_cleaned_name", "company", "cleaned_name",
                                                 "the Clay enrichment"),
    "people_missing_country": ReviewList("people_missing_country", "person", "person_country",
                                         "the backfill from extracted person profiles"),
}
_MODELS: dict[str, type[Company] | type[Person]] = {"company": Company, "person": Person}


def review_list_missing(name: str) -> QuerySet:
    """The listed rows whose field is still missing, waiting or settled; none once retired."""
    review = REVIEW_LISTS[name]
    rows = _MODELS[review.entity].objects.filter(missing_q(review.field))
    if not sql.reference_table_exists(table=review.table):
        return rows.none()
    return rows.filter(id__in=RawSQL(sql.review_list_ids(table=review.table), []))


def review_list_waiting(name: str) -> QuerySet:
    """The listed rows that still wait for the work: the list may be retired once there are none."""
    rows = review_list_missing(name)
    return rows.filter(id__in=RawSQL(sql.review_list_unsettled_ids(name=name), []))
