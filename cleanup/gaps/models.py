"""Gap checks of coalescing workflows, kept per check, and the alerts they open."""

from django.db import models


class GapSnapshot(models.Model):
    """One gap check of one workflow: distinct entities in extracted, in core, and missing from core."""

    workflow = models.ForeignKey("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                 db_column="workflow_name", related_name="gap_snapshots")
    checked_at = models.DateTimeField()
    coalesces_to_core = models.BooleanField()
    keys_in_extracted = models.IntegerField()
    keys_in_core = models.IntegerField(null=True, blank=True, help_text="empty when the workflow has no core table")
    gap = models.IntegerField(help_text="entities in extracted that core lacks (all of them when it has no core)")
    invalid_keys = models.IntegerField(default=0)
    rows_waiting = models.BigIntegerField(
        null=True, blank=True, help_text="extracted rows that never reached core: rows of the missing keys, or, "
                                         "where core names its source row, rows no core row came from")
    full_recount = models.BooleanField(default=False, help_text="counted from scratch, not from the last marks")
    drift_keys = models.IntegerField(null=True, blank=True,
                                     help_text="a full recount's gap minus the incremental gap it replaced")
    drift_rows = models.BigIntegerField(null=True, blank=True)
    seconds = models.FloatField()

    class Meta:
        db_table = "cleanup_gap_snapshots"
        ordering = ["-checked_at", "workflow"]
        indexes = [
            # The history of one workflow's gap, newest first (admin, alerts, trends).
            models.Index(fields=["workflow", "-checked_at"], name="gap_snapshots_workflow_time"),
            # The dashboard's trends start from the most recent checks.
            models.Index(fields=["-checked_at"], name="gap_snapshots_time"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id} gap {self.gap} at {self.checked_at:%Y-%m-%d %H:%M}"


class GapAlert(models.Model):
    """A workflow whose gap exceeded its registry threshold, or grew check after check; open
    until neither holds."""

    class Reason(models.TextChoices):
        THRESHOLD = "threshold", "over its threshold"
        GROWING = "growing", "growing check after check"

    workflow = models.ForeignKey("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                 db_column="workflow_name", related_name="gap_alerts")
    threshold = models.IntegerField(null=True, blank=True, help_text="the workflow's threshold when it opened")
    gap_at_open = models.IntegerField()
    last_gap = models.IntegerField()
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True, default="", help_text="why the last notification failed, if it did")
    reason = models.TextField(choices=Reason.choices, default=Reason.THRESHOLD)

    class Meta:
        db_table = "cleanup_gap_alerts"
        ordering = ["-opened_at"]
        constraints = [
            # At most one open alert per workflow: a check that races another cannot open a second.
            models.UniqueConstraint(fields=["workflow"], condition=models.Q(resolved_at__isnull=True),
                                    name="gap_alerts_one_open_per_workflow"),
        ]

    def __str__(self) -> str:
        state = "open" if self.resolved_at is None else "resolved"
        return f"{self.workflow_id}: gap {self.last_gap}, {self.get_reason_display()} ({state})"


class GapLedger(models.Model):
    """What the gap check knows of one key source: the distinct normalised keys of a table's key
    column (only rows with `filled_column` filled, if named), counted up to a high-water mark on
    the table's id. The hourly check reads only rows past the mark; a full recount starts over."""

    class Role(models.TextChoices):
        EXTRACTED = "extracted", "extracted: keys and their rows"
        # The gap needs only which keys core holds; skipping each known key's row count keeps
        # the hourly check from rewriting a ledger key for every core row that repeats one.
        CORE = "core", "core: keys only"

    source_table = models.TextField()
    key_column = models.TextField()
    role = models.TextField(choices=Role.choices, default=Role.EXTRACTED)
    filled_column = models.TextField(blank=True, default="")
    link_column = models.TextField(blank=True, default="", help_text="core rows with it set are counted as linked")
    entity_type = models.TextField()
    counted_through_id = models.BigIntegerField(default=0)
    changes_counted = models.BigIntegerField(
        default=-1, help_text="for a table without an id: its rows inserted, updated and deleted when last counted")
    keys = models.BigIntegerField(default=0)
    rows = models.BigIntegerField(default=0, help_text="rows with a valid key")
    invalid_keys = models.BigIntegerField(default=0)
    invalid_rows = models.BigIntegerField(default=0)
    linked_rows = models.BigIntegerField(default=0)
    counted_at = models.DateTimeField(null=True, blank=True)
    recounted_at = models.DateTimeField(null=True, blank=True, help_text="the last count from scratch")

    class Meta:
        db_table = "cleanup_gap_ledgers"
        constraints = [models.UniqueConstraint(
            fields=["source_table", "key_column", "filled_column", "link_column", "entity_type", "role"],
            name="gap_ledgers_one_per_source")]

    def __str__(self) -> str:
        return f"{self.source_table}.{self.key_column} through id {self.counted_through_id:,}"


class GapLedgerKey(models.Model):
    """One distinct key of a ledger and its rows; an invalid raw value is kept as itself, marked
    invalid, so that it is counted once however many rows repeat it. A core ledger's key keeps
    the rows of the window that first brought it: core keys are counted, not their rows."""

    pk = models.CompositePrimaryKey("ledger_id", "key")
    # No constraint in the database: a first count or a recount inserts millions of keys, and
    # checking each against its ledger at commit took longer than inserting it. Keys are only
    # ever written for the ledger row the writing transaction holds locked, and ledgers are
    # never deleted but through the ORM, which deletes their keys first.
    ledger = models.ForeignKey(GapLedger, on_delete=models.CASCADE, db_index=False,  # the key leads with it
                               db_constraint=False)
    key = models.TextField()
    rows = models.BigIntegerField()
    valid = models.BooleanField()

    class Meta:
        db_table = "cleanup_gap_ledger_keys"

    def __str__(self) -> str:
        return f"{self.key} ({self.rows:,} rows{'' if self.valid else ', invalid'})"


class GapTally(models.Model):
    """One workflow's gap kept current: keys of its extracted ledger missing from its core ledger,
    and their rows. Recomputed by an anti-join whenever either ledger was counted from scratch."""

    workflow = models.OneToOneField("registry.Workflow", on_delete=models.CASCADE, to_field="workflow_name",
                                    db_column="workflow_name", primary_key=True, related_name="gap_tally")
    extracted_ledger = models.ForeignKey(GapLedger, on_delete=models.CASCADE, related_name="+")
    core_ledger = models.ForeignKey(GapLedger, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    missing_keys = models.BigIntegerField(default=0)
    missing_rows = models.BigIntegerField(default=0)
    stale = models.BooleanField(default=True, help_text="to be recomputed from the ledgers before it is read")

    class Meta:
        db_table = "cleanup_gap_tallies"

    def __str__(self) -> str:
        return f"{self.workflow_id}: {self.missing_keys:,} keys, {self.missing_rows:,} rows missing from core"
