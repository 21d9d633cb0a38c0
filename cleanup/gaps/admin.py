"""Gaps in the admin: their history, the keys behind a gap and its repair, alerts, and the
job titles the mapping lacks."""

from collections.abc import Iterable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from cleanup.coalescing.repairs import repair_for, repair_start
from cleanup.coalescing.reported_runs import NoCoalescer
from cleanup.coalescing.titles import unmapped_titles_list
from cleanup.gaps.checks import gap_missing_keys
from cleanup.gaps.models import GapAlert, GapSnapshot
from cleanup.jobs import services
from cleanup.jobs.kinds.base import JobParamsError
from kernel import SafeCsvWriter
from registry.models import Workflow


@admin.register(GapSnapshot)
class GapSnapshotAdmin(admin.ModelAdmin):
    """The history of coalescing gaps, one row per workflow and check (manage.py check_gaps),
    the keys behind a gap, and its repair."""

    list_display = ["workflow", "checked_at", "coalesces_to_core", "in_extracted", "in_core", "gap_link",
                    "waiting", "invalid", "recount", "took"]
    list_filter = ["coalesces_to_core", "full_recount", "workflow"]
    date_hierarchy = "checked_at"
    list_select_related = ["workflow"]
    actions = ["coalesce_missing"]
    change_list_template = "admin/cleanup/gapsnapshot/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapSnapshot | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [path("missing/<str:workflow>/", view(self.missing_view), name="cleanup_gapsnapshot_missing"),
                path("unmapped-titles/", view(self.unmapped_titles_view), name="cleanup_unmapped_titles"),
                *super().get_urls()]

    # Numbers as people read them: thousands grouped, seconds to two places.
    @admin.display(description="keys in extracted", ordering="keys_in_extracted")
    def in_extracted(self, snapshot: GapSnapshot) -> str:
        return f"{snapshot.keys_in_extracted:,}"

    @admin.display(description="keys in core", ordering="keys_in_core")
    def in_core(self, snapshot: GapSnapshot) -> str:
        return "—" if snapshot.keys_in_core is None else f"{snapshot.keys_in_core:,}"

    @admin.display(description="invalid keys", ordering="invalid_keys")
    def invalid(self, snapshot: GapSnapshot) -> str:
        return f"{snapshot.invalid_keys:,}"

    @admin.display(description="rows waiting", ordering="rows_waiting")
    def waiting(self, snapshot: GapSnapshot) -> str:
        return "—" if snapshot.rows_waiting is None else f"{snapshot.rows_waiting:,}"

    @admin.display(description="full recount (drift)", ordering="full_recount")
    def recount(self, snapshot: GapSnapshot) -> str:
        if not snapshot.full_recount:
            return "—"
        return f"yes ({snapshot.drift_keys or 0:+,} keys, {snapshot.drift_rows or 0:+,} rows)"

    @admin.display(description="took", ordering="seconds")
    def took(self, snapshot: GapSnapshot) -> str:
        return f"{snapshot.seconds:.2f} s"

    @admin.display(description="gap", ordering="gap")
    def gap_link(self, snapshot: GapSnapshot) -> str:
        url = reverse("admin:cleanup_gapsnapshot_missing", args=[snapshot.workflow_id])
        return format_html('<a href="{}" title="the keys missing from core now">{}</a>', url, f"{snapshot.gap:,}")

    def has_start_job_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.START_PERMISSION)

    @admin.action(description="Repair: bring the keys missing from core there (one job per selected workflow)",
                  permissions=["start_job"])
    def coalesce_missing(self, request: HttpRequest, queryset: QuerySet[GapSnapshot]) -> None:
        for workflow in sorted(set(queryset.values_list("workflow_id", flat=True))):
            self._repair(request, workflow)

    def _repair(self, request: HttpRequest, workflow: str) -> None:
        keys = gap_missing_keys(workflow_name=workflow)
        if not keys:
            self.message_user(request, f"{workflow}: nothing is missing from core now.")
            return
        try:
            job = repair_start(Workflow.objects.get(workflow_name=workflow), keys=keys, user=request.user)
        except (NoCoalescer, JobParamsError, services.JobRefused) as exc:
            self.message_user(request, f"{workflow}: {exc}", level=messages.ERROR)
            return
        self.message_user(request, f"{workflow}: job #{job.pk} started — {(job.dry_run_report or {})['summary']}")

    def missing_view(self, request: HttpRequest, workflow: str) -> HttpResponse:
        registered = Workflow.objects.filter(workflow_name=workflow).first()
        if registered is None:
            raise Http404(f"no workflow {workflow!r} in the registry")
        if request.method == "POST":
            if not self.has_start_job_permission(request):
                raise PermissionDenied
            self._repair(request, workflow)
            return HttpResponseRedirect(request.path)
        keys = gap_missing_keys(workflow_name=workflow)
        if request.GET.get("format") == "csv":
            return _csv_response(f"{workflow}-missing-keys.csv", ["entity_key"], ([key] for key in keys))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "workflow": workflow,
                   "repair": repair_for(registered),
                   "keys": keys[:MISSING_KEYS_SHOWN], "total": len(keys), "shown": MISSING_KEYS_SHOWN,
                   "title": f"{workflow}: keys in extracted that core lacks"}
        return TemplateResponse(request, "admin/cleanup/gapsnapshot/missing.html", context)

    def unmapped_titles_view(self, request: HttpRequest) -> HttpResponse:
        titles = unmapped_titles_list()
        if request.GET.get("format") == "csv":
            rows = ([t.raw_title, t.rows, t.suggested_function or "", t.suggested_seniority, t.rule] for t in titles)
            return _csv_response("unmapped-titles.csv", ["raw_title", "rows", "suggested_function",
                                                         "suggested_seniority", "rule"], rows)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "titles": titles[:500],
                   "total": len(titles), "title": "Job titles the mapping table lacks"}
        return TemplateResponse(request, "admin/cleanup/gapsnapshot/unmapped_titles.html", context)


MISSING_KEYS_SHOWN = 500


def _csv_response(filename: str, header: list[str], rows: Iterable[Iterable[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = SafeCsvWriter(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@admin.register(GapAlert)
class GapAlertAdmin(admin.ModelAdmin):
    list_display = ["workflow", "reason", "opened_at", "resolved_at", "threshold", "gap_at_open", "last_gap",
                    "notify_error"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "reason", "workflow"]
    list_select_related = ["workflow"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: GapAlert | None = None) -> bool:
        return False
