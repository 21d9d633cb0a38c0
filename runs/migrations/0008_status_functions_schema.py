"""The schema where a web server behind a transaction-mode pooler keeps the status statement as
a function (runs/sql/status.py): nothing else lives there, so a role may be given CREATE on it
alone (`manage.py db_roles` grants it to the web role)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("runs", "0007_time_ordered_run_ids"),
    ]

    operations = [
        migrations.RunSQL("CREATE SCHEMA IF NOT EXISTS enrichhub_status",
                          "DROP SCHEMA IF EXISTS enrichhub_status CASCADE"),
    ]
