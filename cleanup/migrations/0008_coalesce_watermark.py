"""The per-workflow mark of runs already handed to coalescing is a watermark, not a trigger."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cleanup", "0007_gap_snapshots_time"), ("registry", "0003_registry_tables_never_owned")]

    operations = [
        migrations.RenameModel("CoalesceTrigger", "CoalesceWatermark"),
        migrations.AlterModelTable("CoalesceWatermark", "cleanup_coalesce_watermarks"),
    ]
