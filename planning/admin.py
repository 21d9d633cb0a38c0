"""Saved plans in the admin, read-only: they record what a plan expected when it was exported."""

from django.contrib import admin
from django.http import HttpRequest

from planning.models import EnrichmentPlan


@admin.register(EnrichmentPlan)
class EnrichmentPlanAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "entity_type", "budget_credits", "leads", "expected_credits",
                    "expected_visible", "destination", "delivery", "created_by"]
    list_filter = ["entity_type", "destination"]
    readonly_fields = [field.name for field in EnrichmentPlan._meta.fields]
    change_list_template = "admin/planning/enrichmentplan/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # plans are saved by exporting them from the plan page

    def has_change_permission(self, request: HttpRequest, obj: EnrichmentPlan | None = None) -> bool:
        return False
