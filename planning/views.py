"""The admin's plan page: a budget box, the plan, and its export as CSV, as a file for the ingest
side or to a webhook. Viewing needs the permission to view plans; exporting, to add one."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import reverse

from kernel import csv_lines
from planning.models import EnrichmentPlan
from planning.services import (
    PlanRefused,
    PlanRequest,
    PlanResult,
    plan_build,
    plan_csv_rows,
    plan_save,
    plan_send_file,
    plan_send_webhook,
)
from registry.models import Workflow

SHOWN_PAIRS = 200


class PlanForm(forms.Form):
    budget_credits = forms.DecimalField(min_value=Decimal(0), max_digits=14, decimal_places=4, initial=5000,
                                        label="Budget (credits)")
    entity_type = forms.ChoiceField(choices=[("company", "company"), ("person", "person")])
    limit = forms.IntegerField(min_value=1, required=False, initial=1000, help_text="the most leads in the plan")
    vendor = forms.ChoiceField(required=False)
    workflow_name = forms.ChoiceField(required=False, label="Workflow")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        declaring = Workflow.objects.filter(is_active=True, fills_fields__len__gt=0)
        vendors = sorted({vendor for vendor in declaring.values_list("vendor", flat=True) if vendor})
        self.fields["vendor"].choices = [("", "any"), *((vendor, vendor) for vendor in vendors)]  # type: ignore[attr-defined]
        self.fields["workflow_name"].choices = [  # type: ignore[attr-defined]
            ("", "any"), *((name, name) for name in declaring.values_list("workflow_name", flat=True))]

    def plan_request(self) -> PlanRequest:
        data = self.cleaned_data
        return PlanRequest(budget_credits=data["budget_credits"], entity_type=data["entity_type"], limit=data["limit"],
                           vendor=data["vendor"], workflow_name=data["workflow_name"])


def plan_page(request: HttpRequest) -> HttpResponseBase:
    if not request.user.has_perm("planning.view_enrichmentplan"):
        raise PermissionDenied("planning needs the permission to view enrichment plans")
    form = PlanForm(request.POST if request.method == "POST" else (request.GET or None))
    context = {**admin.site.each_context(request), "title": "Plan enrichment", "form": form,
               "can_export": request.user.has_perm("planning.add_enrichmentplan"), "shown": SHOWN_PAIRS}
    if form.is_bound and form.is_valid():
        plan_request = form.plan_request()
        try:
            result = plan_build(plan_request)
            if request.method == "POST":
                return _export(request, plan_request, result)
        except PlanRefused as exc:
            form.add_error(None, str(exc))
        else:
            context.update(result=result, totals=result.totals(), pairs=result.pairs()[:SHOWN_PAIRS],
                           query=request.GET.urlencode())
    return TemplateResponse(request, "admin/planning/plan.html", context)


def _export(request: HttpRequest, plan_request: PlanRequest, result: PlanResult) -> HttpResponseBase:
    """Saving a plan is adding one: it needs that permission, whatever the button."""
    if not request.user.has_perm("planning.add_enrichmentplan"):
        raise PermissionDenied("exporting a plan saves it: it needs the permission to add enrichment plans")
    action = request.POST.get("send", "")
    if action == "csv":
        plan = plan_save(request=plan_request, result=result, destination=EnrichmentPlan.Destination.CSV,
                         user=request.user)
        return _csv_response(plan, result)
    if action == "file":
        plan = plan_send_file(request=plan_request, result=result, user=request.user)
        messages.success(request, f"Plan #{plan.pk} written to {plan.sent_to} for the ingest side.")
    elif action == "webhook":
        plan = plan_send_webhook(request=plan_request, result=result, user=request.user)
        messages.success(request, f"Plan #{plan.pk} queued for the {plan.sent_to}; the saved plans show when it "
                                  "is delivered.")
    else:
        raise PlanRefused(f"unknown export {action!r}: choose csv, file or webhook")
    return HttpResponseRedirect(reverse("admin:planning_enrichmentplan_changelist"))


def _csv_response(plan: EnrichmentPlan, result: PlanResult) -> HttpResponseBase:
    response = StreamingHttpResponse(csv_lines(plan_csv_rows(result.pairs())), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}-{plan.entity_type}.csv"'
    return response
