"""The coverage dashboard page and the hidden-leads export, served inside the admin."""

from itertools import chain

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from dashboard import charts
from dashboard.services import (
    coalescing_workflow_names,
    dashboard_page,
    dashboard_refresh_pending,
    dashboard_refresh_request,
    database_overview,
    snapshot_age,
)
from kernel import csv_lines, replica_or_primary
from warehouse.hidden import REQUIRED_FIELDS, hidden_queryset

ENTITY_TYPES = ("company", "person")
EXPORT_FIELDS = {"company": ("id", "domain", "company_name", "company_country"),
                 "person": ("id", "linkedin_url", "full_name", "person_country", "matched_job_function",
                            "matched_seniority")}


VIEW_PERMISSION = "dashboard.view_dashboardsnapshot"
REFRESH_PERMISSION = "dashboard.add_dashboardsnapshot"


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Read from the replica when it is current enough (kernel/replica.py)."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied("the dashboard needs the 'view dashboard snapshot' permission")
    return replica_or_primary(lambda: _dashboard_rendered(request))


def _dashboard_rendered(request: HttpRequest) -> HttpResponse:
    entity_type = request.GET.get("entity_type", "")
    entity_type = entity_type if entity_type in ENTITY_TYPES else ""
    vendor = request.GET.get("vendor", "")
    page = dashboard_page(entity_type=entity_type, vendor=vendor)
    for workflow in page.get("workflows", []):
        workflow["coverage_bar"] = charts.percent_bar(workflow["coverage_percent"], width=80)
        workflow["runs"]["in_flight"] = workflow["runs"]["pending"] + workflow["runs"]["running"]
        # Two trends of 100 px: the table fits 1280 px with names that wrap only after underscores.
        workflow["gap_chart"] = charts.sparkline(workflow["gap_trend"], width=100, label=f"gap of {workflow['name']}")
        workflow["coverage_chart"] = charts.sparkline(workflow["coverage_trend"], width=100,
                                                      label=f"completed runs of {workflow['name']}")
    for entity, figures in page.get("hidden_leads", {}).items():
        for combo in figures["combinations"]:
            query = f"?missing={','.join(combo['missing'])}"
            combo["list_url"] = reverse(f"admin:warehouse_{entity}_changelist") + query
            combo["csv_url"] = reverse("dashboard_hidden_csv", args=[entity]) + query
    context = {**admin.site.each_context(request), "title": "Enrichment coverage", "page": page,
               "entity_type": entity_type, "vendor": vendor, "entity_types": ENTITY_TYPES,
               "spend_chart": charts.weekly_bars(page.get("spend_by_week", [])),
               "age_seconds": snapshot_age(page["snapshot"]) if page["snapshot"] else None,
               "refreshing_since": dashboard_refresh_pending()}
    # Rendered here, so that the template's own reads happen where the page's did.
    return TemplateResponse(request, "admin/dashboard.html", context).render()


@require_POST
def dashboard_refresh_view(request: HttpRequest) -> HttpResponse:
    """Computing the figures reads every coalescing table: not for whoever may merely look."""
    if not request.user.has_perm(REFRESH_PERMISSION):
        raise PermissionDenied("refreshing the dashboard needs the 'add dashboard snapshot' permission")
    # What is on screen: the figures and every gap the page shows.
    dashboard_refresh_request(reason=f"asked by {request.user}", gap_workflows=coalescing_workflow_names(),
                              skip_if_pending=True)
    return HttpResponseRedirect(reverse("dashboard"))


def hidden_leads_csv(request: HttpRequest, entity: str) -> HttpResponseBase:
    if entity not in REQUIRED_FIELDS:
        raise Http404(f"no hidden leads of {entity!r}")
    if not request.user.has_perm(f"warehouse.view_{entity}"):
        raise PermissionDenied(f"exporting {entity} rows needs the permission to view them")
    missing = tuple(field for field in request.GET.get("missing", "").split(",") if field)
    try:
        rows = hidden_queryset(entity=entity, missing=missing).order_by("id").values_list(*EXPORT_FIELDS[entity])
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    lines = csv_lines(chain([EXPORT_FIELDS[entity]], rows.iterator(chunk_size=5000)))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="hidden-{entity}-missing-{"-".join(missing)}.csv"'
    return response


def database_view(request: HttpRequest) -> HttpResponse:
    """Top statements by total time: they show every user's SQL text, so superusers only."""
    if not request.user.is_superuser:
        raise PermissionDenied("the database statements page is for superusers")
    context = {**admin.site.each_context(request), "title": "Database statements", "overview": database_overview()}
    return TemplateResponse(request, "admin/database.html", context)
