"""How extracted rows reach core: declarative mappings, and how far reported runs were handed on."""

from django.db import models


class CoalesceMapping(models.Model):
    """How a simple workflow's extracted rows reach its core table, as data: which core column
    takes which extracted column (or field of a jsonb column), matched on the normalised key.
    Adding such a workflow needs its registry row and this mapping, no code."""

    workflow = models.OneToOneField("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                    db_column="workflow_name", related_name="coalesce_mapping", primary_key=True)
    columns = models.JSONField(help_text='core column -> extracted column, or "payload.field" for a field of a '
                                         'jsonb column, e.g. {"cleaned_name": "payload.company"}')
    create_missing = models.BooleanField(
        default=False, help_text="insert core rows for keys core lacks (the core key column must be unique); "
                                 "otherwise only existing core rows are filled")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "cleanup_coalesce_mappings"

    def __str__(self) -> str:
        return f"{self.workflow_id} -> {', '.join(self.columns)}"


class CoalesceWatermark(models.Model):
    """Per coalescing workflow, up to when completed runs were already handed to a coalescing
    job: the next tick takes the runs completed since."""

    workflow = models.OneToOneField("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                    db_column="workflow_name", primary_key=True, related_name="+")
    runs_seen_until = models.DateTimeField()

    class Meta:
        db_table = "cleanup_coalesce_watermarks"

    def __str__(self) -> str:
        return f"{self.workflow_id}: runs seen until {self.runs_seen_until:%Y-%m-%d %H:%M:%S}"
