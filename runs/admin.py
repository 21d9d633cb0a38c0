"""Run inspection and API keys in the admin; run figures added to the registry's list."""

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from kernel import COMPANY, PERSON, InvalidEntityKey, normalise_entity_key
from registry.admin import WorkflowAdmin
from registry.models import Workflow
from runs import selectors, services
from runs.models import ApiKey, Run
from warehouse.admin import CappedCountPaginator


class SourceFilter(admin.SimpleListFilter):
    """Sources from the registry's vendors: Django's own filter would scan every run for its
    distinct values (over a second on a million runs)."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        vendors = set(Workflow.objects.exclude(vendor="").values_list("vendor", flat=True))
        return [(name, name) for name in sorted(vendors | {"backfill", "manual"})]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Run]) -> QuerySet[Run]:
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    # Entity type and source are filters; the start time and record count are on the run's page.
    list_display = ["entity_key", "workflow", "status", "attempts", "completed_at"]
    # No date_hierarchy: it asks for the min and max of an unindexed column on every page.
    list_filter = ["status", "entity_type", "workflow", SourceFilter, ("completed_at", admin.DateFieldListFilter)]
    list_select_related = ["workflow"]
    search_fields = ["=entity_key"]
    search_help_text = "An exact domain or LinkedIn URL, in any spelling: it is normalised first."
    actions = ["mark_pending"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    change_list_template = "admin/runs/run/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Run | None = None) -> bool:
        return False

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Run],
                           search_term: str) -> tuple[QuerySet[Run], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        # Each key with its entity type, so the (entity_type, entity_key) index answers.
        matches = Q(pk__in=[])
        for entity_type in (COMPANY, PERSON):
            try:
                key = normalise_entity_key(entity_type=entity_type, raw=term)
            except InvalidEntityKey:
                continue
            matches |= Q(entity_type=entity_type, entity_key=key)
        return queryset.filter(matches), False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", {})
        changelist = context.get("cl")
        if changelist is not None:
            context["status_counts"] = _status_counts(changelist)
        return response

    def has_mark_pending_permission(self, request: HttpRequest) -> bool:
        """The run's page is read-only for everyone; re-enriching one is a change to it."""
        return request.user.has_perm("runs.change_run")

    @admin.action(description="Mark selected failed runs pending (re-enrich)", permissions=["mark_pending"])
    def mark_pending(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        changed = services.runs_mark_pending(runs=queryset)
        skipped = queryset.count() - changed
        self.message_user(request, f"{changed} failed runs marked pending.")
        if skipped:
            self.message_user(request, f"{skipped} selected runs were not failed and were left alone.",
                              level=messages.WARNING)


# The list's filters the run tallies answer (per workflow and status); any other filter or a
# search counts the matching runs themselves, up to a cap.
_TALLIED_FILTERS = {"workflow__workflow_name__exact": "workflow", "status__exact": "status"}
STATUS_COUNT_CAP = 10_000


def _status_counts(changelist: ChangeList) -> dict[str, str]:
    filters = changelist.get_filters_params()
    if not changelist.query and set(filters) <= set(_TALLIED_FILTERS):
        wanted = {_TALLIED_FILTERS[name]: values[-1] for name, values in filters.items()}
        return {status: f"{count:,}" for status, count in selectors.run_status_counts_tallied(**wanted).items()}
    counts = selectors.run_status_counts(runs=changelist.queryset, cap=STATUS_COUNT_CAP)
    return {status: f"{count:,}" if count < STATUS_COUNT_CAP else f"{STATUS_COUNT_CAP:,}+"
            for status, count in counts.items()}


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "is_active", "created_at", "created_by", "last_used_at"]
    list_filter = ["is_active"]
    fields = ["name", "is_active"]
    actions = ["deactivate"]

    @admin.action(description="Deactivate selected API keys", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = services.api_keys_deactivate(keys=queryset)
        self.message_user(request, f"{count} API keys deactivated.")

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            services.api_keys_trust_revoke()  # a deactivation takes effect at once
            return
        key, plain = services.api_key_create(name=obj.name, created_by=request.user)
        # The admin names the saved object in its messages: let it be the key just created.
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = key.pk, key.prefix, key.key_hash, key.created_at
        obj._state.adding = False
        request._created_api_key = plain  # type: ignore[attr-defined]  # for response_add, this request only

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None) -> HttpResponse:
        """The new key on a page of its own, once: in a message it would travel in a cookie."""
        context = {**self.admin_site.each_context(request), "title": f"API key for {obj.name}", "key": obj,
                   "plain": getattr(request, "_created_api_key", ""), "opts": self.opts}
        response = TemplateResponse(request, "admin/runs/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response


class WorkflowWithRunsAdmin(WorkflowAdmin):
    """The registry's list with each workflow's run counts and last completion."""

    list_display = [*WorkflowAdmin.list_display, "runs_completed", "runs_failed", "last_completed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workflow]:
        return super().get_queryset(request).annotate(**selectors.workflow_run_figures())

    @admin.display(description="runs done", ordering="completed_count")
    def runs_completed(self, obj: Workflow) -> int:
        return obj.completed_count  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="failed", ordering="failed_count")
    def runs_failed(self, obj: Workflow) -> int:
        return obj.failed_count  # type: ignore[attr-defined]  # annotated by get_queryset

    @admin.display(description="last done", ordering="last_completed")
    def last_completed_at(self, obj: Workflow) -> datetime | None:
        return obj.last_completed  # type: ignore[attr-defined]  # annotated by get_queryset


admin.site.unregister(Workflow)
admin.site.register(Workflow, WorkflowWithRunsAdmin)
