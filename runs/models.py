"""reference.enrichment_runs (the seed's Phase 2) and the API keys that report into it."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now

from kernel import TimeOrderedUUID, time_ordered_uuid
from registry.models import Workflow


class Run(models.Model):
    """The latest enrichment of one entity by one workflow (one row per pair, as the seed says)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    class EntityType(models.TextChoices):
        COMPANY = "company"
        PERSON = "person"

    # Ids that grow with time (kernel.ids), in Python as well as in the database: bulk_create and
    # admin inlines need the pk before the INSERT, plain-SQL writers rely on the column default.
    # Random ids cost the runs upsert twice the time at 50 million runs.
    id = models.UUIDField(primary_key=True, default=time_ordered_uuid, db_default=TimeOrderedUUID(),
                          editable=False)
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, to_field="workflow_name",
                                 db_column="workflow_name", db_index=False, related_name="runs")
    entity_key = models.TextField(help_text="normalised: a domain or linkedin.com/in/<name>")
    entity_type = models.TextField(choices=EntityType.choices)
    status = models.TextField(choices=Status.choices, default=Status.PENDING, db_default=Status.PENDING)
    records_processed = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(db_default=Now())
    completed_at = models.DateTimeField(null=True, blank=True, help_text="last successful completion")
    source = models.TextField(null=True, blank=True, help_text="clay, apollo, manual, backfill, …")
    error = models.TextField(blank=True, default="", db_default="")
    attempts = models.PositiveIntegerField(default=1, db_default=1)
    credits_spent = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    credits_wasted = models.DecimalField(
        max_digits=14, decimal_places=4, default=0, db_default=0,
        help_text="credits of re-enrichments reported while the last completion was still fresh")
    # When the event that last changed this row happened: older events are ignored.
    last_event_at = models.DateTimeField(db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        db_table = "enrichment_runs"  # in schema reference: see migration 0001
        constraints = [
            models.UniqueConstraint(fields=["workflow", "entity_key"], name="enrichment_runs_workflow_entity_key"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "running", "completed", "failed"]),
                                   name="enrichment_runs_status_known"),
            models.CheckConstraint(condition=models.Q(entity_type__in=["company", "person"]),
                                   name="enrichment_runs_entity_type_known"),
        ]
        indexes = [
            # The status API: every run of one entity.
            models.Index(fields=["entity_type", "entity_key"], name="idx_enrichment_runs_entity"),
            # The admin's per-workflow counts and the jobs that pick runs by state.
            models.Index(fields=["workflow", "status"], name="idx_enrichment_runs_workflow"),
            # Coalescing picks up the runs completed since its last look.
            models.Index(fields=["workflow", "status", "updated_at"], name="idx_enrichment_runs_changed"),
            # A plan re-reads the runs changed since its hidden leads were counted.
            models.Index(fields=["entity_type", "updated_at"], name="idx_enrichment_runs_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} · {self.entity_key}"


class ApiKey(models.Model):
    """A key for the API. Only a SHA-256 of the key is stored; the key is shown once."""

    name = models.TextField(unique=True, help_text="who uses it, e.g. modal-ingest or frontend")
    prefix = models.TextField(unique=True, editable=False, help_text="the key's public first part, to tell keys apart")
    key_hash = models.TextField(editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "enrichhub_api_keys"
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class _RunFigures(models.Model):
    """What a group of runs adds up to: the dashboard's figures per workflow, status and week."""

    workflow_name = models.TextField()
    status = models.TextField()
    # The week (Monday, UTC) of each run's latest event: spend is attributed to it.
    week = models.DateField()
    runs = models.BigIntegerField()
    priced_runs = models.BigIntegerField(help_text="runs that reported credits")
    credits = models.DecimalField(max_digits=24, decimal_places=4)
    wasted = models.DecimalField(max_digits=24, decimal_places=4)
    priced_wasted = models.DecimalField(max_digits=24, decimal_places=4,
                                        help_text="wasted credits of the runs that reported credits")
    last_event_at = models.DateTimeField(null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.workflow_name} · {self.status} · week of {self.week}: {self.runs} runs"


class RunTally(_RunFigures):
    """The runs table summed per (workflow, status, week), so that the dashboard's refresh reads
    a few thousand rows instead of every run. Kept exact by folding in RunTallyChange rows; a
    recount rebuilds it from the runs."""

    class Meta:
        db_table = "runs_tallies"
        constraints = [models.UniqueConstraint(fields=["workflow_name", "status", "week"],
                                               name="runs_tallies_one_per_group")]


class RunTallyChange(_RunFigures):
    """What one statement on the runs table changed, signed: written by the table's triggers in
    the writer's own transaction (so a rolled-back write leaves none), insert-only so that writers
    never wait on each other or on the fold, and folded into RunTally by the dashboard refresh."""

    id = models.BigAutoField(primary_key=True)

    class Meta:
        db_table = "runs_tally_changes"
        # The admin's counts add the changes not yet folded, per workflow and status.
        indexes = [models.Index(fields=["workflow_name", "status"], name="runs_tally_changes_group")]
