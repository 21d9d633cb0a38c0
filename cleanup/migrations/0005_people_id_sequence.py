from django.db import migrations


class Migration(migrations.Migration):
    """Ids for the people coalescing adds to core.people, whose id column has no default."""

    dependencies = [("cleanup", "0004_coalesce_mappings_triggers_alert_reason")]

    operations = [
        migrations.RunSQL("CREATE SEQUENCE IF NOT EXISTS reference.enrichhub_people_id_seq",
                          "DROP SEQUENCE IF EXISTS reference.enrichhub_people_id_seq"),
    ]
