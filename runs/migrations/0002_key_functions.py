"""The SQL key functions moved to the kernel app (kernel/migrations/0001_key_functions.py).

This migration stays, empty, because databases have it recorded as applied and later
migrations of runs depend on it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("runs", "0001_initial")]

    operations: list = []
