"""Curation of the workflow registry by ops."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from registry import reports, selectors, services
from registry.catalog import catalog_load, workflow_problems
from registry.models import Workflow
from registry.workflow_lines import workflow_lines
from warehouse.hidden import REQUIRED_FIELDS


class WorkflowForm(forms.ModelForm):
    """Refuses rows that disagree with the live catalog, with the message on the field at fault."""

    fills_fields = forms.TypedMultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Fills",
        choices=[(field, f"{field} ({entity})") for entity, fields in REQUIRED_FIELDS.items() for field in fields],
        help_text="the required fields of its entity that a run can fill; the plan expects these of it")

    class Meta:
        model = Workflow
        fields = ["workflow_name", "description", "vendor", "is_active", "key_type", "key_column", "raw_table",
                  "extracted_table", "coalesces_to_core", "core_table", "core_key_column", "coalesce_when_filled",
                  "core_source_column", "refresh_after_days", "gap_alert_threshold", "fills_fields",
                  "default_credit_cost"]
        # Names and table names are one line each; only the description is prose.
        widgets = {
            **{name: forms.TextInput(attrs={"size": 48}) for name in (
                "workflow_name", "vendor", "key_column", "raw_table", "extracted_table", "core_table",
                "core_key_column", "coalesce_when_filled", "core_source_column")},
            "description": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        candidate = Workflow(**{name: value for name, value in cleaned.items() if hasattr(Workflow, name)})
        for field_name, problems in workflow_problems(workflow=candidate, catalog=catalog_load()).items():
            for problem in problems:
                self.add_error(field_name if field_name in self.fields else None, problem)
        return cleaned


@admin.register(Workflow)
class WorkflowAdmin(SimpleHistoryAdmin):
    form = WorkflowForm
    # What ops scan for; vendor, coalescing and raw tables are filters and on the edit page.
    list_display = ["workflow", "key", "active", "extracted_table_status", "core_table_status"]
    list_display_links = ["workflow"]
    list_filter = ["key_type", "is_active", "coalesces_to_core", "vendor"]
    search_fields = ["workflow_name", "description", "raw_table", "extracted_table", "core_table"]
    actions = ["activate", "deactivate", "revalidate"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        ("Identity", {"fields": ["workflow_name", "description", "vendor", "is_active", ("key_type", "key_column")]}),
        ("Tables", {"fields": ["raw_table", "extracted_table", "coalesces_to_core", "core_table", "core_key_column",
                               "coalesce_when_filled", "core_source_column"]}),
        ("Freshness and alerts", {"fields": ["refresh_after_days", "gap_alert_threshold"]}),
        # Folded with the history: curated once, and the form must stay within a screen and a half.
        ("For the plan: fields it fills, cost per run · history",
         {"fields": ["fills_fields", "default_credit_cost", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workflow]:
        return selectors.workflow_list_with_table_status()

    def get_list_display(self, request: HttpRequest) -> list:
        """With the planner's figures, computed hourly: under each workflow's name, how often it
        fills each field it declares and what a run costs, each with the runs behind it. Under the
        name, not in a column of their own, so that the list stays within a laptop's screen."""
        figures = workflow_lines()
        if not figures:
            return list(self.list_display)

        @admin.display(description="workflow · fills, cost (runs behind)", ordering="workflow_name")
        def workflow(obj: Workflow) -> str:
            lines = figures.get(obj.workflow_name)
            if not lines:
                return obj.workflow_name
            return format_html("{}<br><span class=\"quiet\">{}</span>", obj.workflow_name,
                               format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines)))

        return [workflow, *self.list_display[1:]]

    def get_list_display_links(self, request: HttpRequest, list_display: list) -> list:
        return list_display[:1]

    def get_readonly_fields(self, request: HttpRequest, obj: Workflow | None = None) -> list[str]:
        # The name is the key other tables reference; renaming would orphan their runs.
        return [*self.readonly_fields, "workflow_name"] if obj else self.readonly_fields

    # Short headers: a list has eight columns beside the filters on a laptop screen.
    @admin.display(description="workflow", ordering="workflow_name")
    def workflow(self, obj: Workflow) -> str:
        return obj.workflow_name

    @admin.display(description="key", ordering="key_type")
    def key(self, obj: Workflow) -> str:
        return obj.key_type or "—"

    @admin.display(description="active", ordering="is_active", boolean=True)
    def active(self, obj: Workflow) -> bool:
        return obj.is_active

    @admin.display(description="raw")
    def raw_table_status(self, obj: Workflow) -> str:
        return _table_status(obj.raw_table, obj.raw_exists)  # type: ignore[attr-defined]  # annotated

    @admin.display(description="extracted")
    def extracted_table_status(self, obj: Workflow) -> str:
        return _table_status(obj.extracted_table, obj.extracted_exists)  # type: ignore[attr-defined]  # annotated

    @admin.display(description="core")
    def core_table_status(self, obj: Workflow) -> str:
        return _table_status(obj.core_table, obj.core_exists)  # type: ignore[attr-defined]  # annotated

    @admin.action(description="Activate selected workflows", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        result = services.workflow_set_active(workflows=queryset, active=True,
                                              reason=f"admin: activated by {request.user}")
        self.message_user(request, f"{len(result.changed)} workflows activated.")
        for name, problems in result.refused.items():
            self.message_user(request, f"{name} not activated: {'; '.join(problems)}", level=messages.WARNING)

    @admin.action(description="Deactivate selected workflows", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        result = services.workflow_set_active(workflows=queryset, active=False,
                                              reason=f"admin: deactivated by {request.user}")
        self.message_user(request, f"{len(result.changed)} workflows deactivated.")

    @admin.action(description="Re-validate selected workflows against the live catalog")
    def revalidate(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        drifts = selectors.registry_drift(workflows=queryset)
        level = messages.WARNING if drifts else messages.SUCCESS
        for line in reports.drift_as_text(drifts, checked=queryset.count()):
            self.message_user(request, line, level=level)


def _table_status(table: str | None, exists: bool) -> str:
    if not table:
        return "—"
    return f"✓ {table}" if exists else f"✗ {table} (missing)"
