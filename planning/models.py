"""Figures the planner and the registry's list read, computed by a scheduled refresh: measuring
fill rates joins every settled run with core, seconds at the seed's scale."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class FiguresSnapshot(models.Model):
    taken_at = models.DateTimeField(db_index=True)
    seconds = models.FloatField(help_text="how long measuring took")
    # workflow name -> its figures (planning.figures.WorkflowFigures as plain data)
    figures = models.JSONField()

    class Meta:
        db_table = "planning_figures_snapshots"
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"workflow figures of {self.taken_at:%Y-%m-%d %H:%M}"


class EnrichmentPlan(models.Model):
    """A plan as it was exported: what it expected, so that its outcome can be held against it."""

    class Destination(models.TextChoices):
        CSV = "csv", "CSV download"
        FILE = "file", "file for the ingest side"
        WEBHOOK = "webhook", "webhook"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entity_type = models.TextField()
    budget_credits = models.DecimalField(max_digits=14, decimal_places=4)
    filters = models.JSONField(default=dict, help_text="limit, vendor, workflow, keys as requested")
    hidden_leads_considered = models.IntegerField()
    leads = models.IntegerField()
    expected_credits = models.DecimalField(max_digits=14, decimal_places=4)
    expected_visible = models.FloatField(help_text="leads expected to become visible")
    expected_visible_sd = models.FloatField(default=0.0, help_text="its standard deviation, from the runs' "
                                                                    "probabilities")
    destination = models.TextField(choices=Destination.choices)
    sent_to = models.TextField(blank=True, default="", help_text="the file written, or the webhook's host (its URL "
                                                                "may hold a secret and is never stored here)")

    class Delivery(models.TextChoices):
        NOT_SENT = "", "not sent"
        QUEUED = "queued", "queued"
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    # A webhook is called by the q2 cluster, after the plan is saved: its state is kept here.
    delivery = models.TextField(choices=Delivery.choices, blank=True, default="")
    delivery_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "planning_plans"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"plan #{self.pk}: {self.leads:,} {self.entity_type} leads, {self.expected_credits} credits"


class PlannedRun(models.Model):
    plan = models.ForeignKey(EnrichmentPlan, on_delete=models.CASCADE, related_name="runs")
    entity_key = models.TextField()
    workflow_name = models.TextField()
    expected_credits = models.DecimalField(max_digits=14, decimal_places=4)
    fills = models.JSONField(help_text="field -> probability that this run fills it")
    visible_probability = models.FloatField()

    class Meta:
        db_table = "planning_planned_runs"
        indexes = [models.Index(fields=["workflow_name", "entity_key"], name="planned_runs_pair")]

    def __str__(self) -> str:
        return f"{self.workflow_name} for {self.entity_key}"


class HiddenLead(models.Model):
    """A lead the product hides, as of its entity type's latest count (HiddenLeadsCount): its
    normalised key, which required fields none of its core rows fills, as bits in
    REQUIRED_FIELDS' order (bit i set: field i missing), and the workflows not to buy for it as
    of the count (in flight, fresh, or failing; NULL: none). Plans read these instead of keying
    and grouping every core row and every run per request."""

    entity_type = models.CharField(max_length=8)
    entity_key = models.TextField()
    missing = models.SmallIntegerField()
    blocked = ArrayField(models.TextField(), null=True)

    class Meta:
        db_table = "planning_hidden_leads"
        constraints = [models.UniqueConstraint(fields=["entity_type", "entity_key"], name="planning_hidden_lead_key")]
        # A class's first keys in key order, read with one index range; the blocked ones apart.
        indexes = [models.Index(fields=["entity_type", "missing", "entity_key"], name="planning_hidden_lead_class"),
                   models.Index(fields=["entity_type", "missing", "entity_key"], name="planning_hidden_lead_blocked",
                                condition=models.Q(blocked__isnull=False))]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_key}"


class RunKeyOutsideCore(models.Model):
    """A normalised key some run was reported for that no core row held, as of its entity type's
    latest count. With the hidden leads it tells the fill-rate measurement the state of every
    run's entity without keying core again: hidden (its missing bits), outside core (nothing
    filled), or else in core with every required field filled."""

    pk = models.CompositePrimaryKey("entity_type", "entity_key")
    entity_type = models.CharField(max_length=8)
    entity_key = models.TextField()

    class Meta:
        db_table = "planning_run_keys_outside_core"

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_key} (not in core)"


class HiddenLeadsCount(models.Model):
    """When an entity type's hidden leads were last counted (the time its snapshot of the tables
    was taken), how long it took, its classes: [missing bits, workflows blocked, leads], and the
    highest run id its snapshot held: a run past it may be for a key the count never saw."""

    entity_type = models.CharField(max_length=8, primary_key=True)
    counted_at = models.DateTimeField()
    seconds = models.FloatField()
    classes = models.JSONField()
    runs_through = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "planning_hidden_leads_counts"

    def __str__(self) -> str:
        return f"{self.entity_type} hidden leads counted at {self.counted_at:%Y-%m-%d %H:%M}"
