"""Read-only views of the warehouse tables: ops inspect here and change data through jobs."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property

from warehouse import models
from warehouse.hidden import hidden_queryset, missing_combinations
from warehouse.review_lists import REVIEW_LISTS, review_list_waiting


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows, so a page of a multi-million-row table stays cheap.

    A full count(*) of core.person_work_history takes seconds; counting a LIMITed subquery
    stops early. Ops reach rows beyond the cap through search and filters.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        # Without the page's ORDER BY: ordered, the LIMIT walks the sort index, filtering, until
        # it has COUNT_CAP rows (0.3 s for a status filter on 50 million runs); unordered, any
        # index that answers the filter serves.
        return self.object_list.order_by()[: self.COUNT_CAP].count()  # type: ignore[attr-defined]  # a QuerySet


class WarehouseAdmin(admin.ModelAdmin):
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and changelist.result_count >= CappedCountPaginator.COUNT_CAP:
            self.message_user(request, _capped_count_message(request, changelist.queryset), level=messages.INFO)
        return response


def _capped_count_message(request: HttpRequest, queryset: QuerySet) -> str:
    cap = f"{CappedCountPaginator.COUNT_CAP:,}"
    if request.GET.get(HiddenLeadFilter.parameter_name):
        # The dashboard's drill-down: ops came for the figure it showed, and one filtered count
        # of the companies or people is cheap next to a count of work history.
        return f"{queryset.count():,} rows in all; the lists count at most {cap} to stay fast."
    return f"More than {cap} rows: the lists count at most {cap} to stay fast. Search or filter to narrow them."


class HiddenLeadFilter(admin.SimpleListFilter):
    """Rows the product hides because exactly these required fields are missing (the
    dashboard's drill-down)."""

    title = "hidden: missing"
    parameter_name = "missing"
    entity = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(",".join(combo), " + ".join(combo)) for combo in missing_combinations(self.entity)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        missing = tuple(value.split(","))
        try:
            return queryset & hidden_queryset(entity=self.entity, missing=missing)
        except ValueError as exc:
            raise IncorrectLookupParameters(str(exc)) from exc


class ReviewListFilter(admin.SimpleListFilter):
    """Rows a review list still waits for: what keeps it from being retired."""

    title = "waiting in a review list"
    parameter_name = "review_list"
    entity = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, f"reference.{name}") for name, review in REVIEW_LISTS.items() if review.entity == self.entity]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if value not in REVIEW_LISTS or REVIEW_LISTS[value].entity != self.entity:
            raise IncorrectLookupParameters(f"no review list {value!r} of {self.entity} rows")
        return queryset & review_list_waiting(value)


class CompanyReviewListFilter(ReviewListFilter):
    entity = "company"


class PersonReviewListFilter(ReviewListFilter):
    entity = "person"


class HiddenCompanyFilter(HiddenLeadFilter):
    entity = "company"


class HiddenPersonFilter(HiddenLeadFilter):
    entity = "person"


@admin.register(models.Company)
class CompanyAdmin(WarehouseAdmin):
    list_display = ["id", "domain", "company_name", "company_country", "discovery_location", "salesnav_location"]
    search_fields = ["=domain"]
    list_filter = [HiddenCompanyFilter, CompanyReviewListFilter]


@admin.register(models.Person)
class PersonAdmin(WarehouseAdmin):
    list_display = ["id", "linkedin_url", "full_name", "person_country", "matched_job_function",
                    "matched_seniority"]
    search_fields = ["=linkedin_url"]
    list_filter = [HiddenPersonFilter, PersonReviewListFilter]


@admin.register(models.PersonWorkHistory)
class PersonWorkHistoryAdmin(WarehouseAdmin):
    list_display = ["id", "linkedin_url", "company_domain", "title", "start_date", "end_date", "source"]
    search_fields = ["=linkedin_url"]
    raw_id_fields = ["person", "company"]


@admin.register(models.CompanyDiscovery)
class CompanyDiscoveryAdmin(WarehouseAdmin):
    list_display = ["id", "domain", "company_name", "total_funding_amount_range_usd", "created_at"]
    search_fields = ["=domain"]


@admin.register(models.CompanyFunding)
class CompanyFundingAdmin(WarehouseAdmin):
    list_display = ["domain", "raw_funding_range", "source", "created_at"]
    search_fields = ["=domain"]


@admin.register(models.JobTitleMapping)
class JobTitleMappingAdmin(WarehouseAdmin):
    list_display = ["raw_title", "matched_job_function", "matched_seniority"]
    search_fields = ["raw_title"]
