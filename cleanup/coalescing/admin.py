"""Coalesce mappings in the admin, checked against the live catalog when saved."""

from django import forms
from django.contrib import admin

from cleanup.coalescing.mapping import mapping_problems
from cleanup.coalescing.models import CoalesceMapping


class CoalesceMappingForm(forms.ModelForm):
    class Meta:
        model = CoalesceMapping
        fields = ["workflow", "columns", "create_missing", "is_active"]

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if not self.errors:
            mapping = self.instance
            for field, value in cleaned.items():
                setattr(mapping, field, value)
            for field, problems in mapping_problems(mapping).items():
                for problem in problems:
                    self.add_error(field if field in self.fields else None, problem)
        return cleaned


@admin.register(CoalesceMapping)
class CoalesceMappingAdmin(admin.ModelAdmin):
    """Declarative coalescing: checked against the live catalog when saved."""

    form = CoalesceMappingForm
    list_display = ["workflow", "columns", "create_missing", "is_active", "updated_at"]
    list_filter = ["is_active", "create_missing"]
