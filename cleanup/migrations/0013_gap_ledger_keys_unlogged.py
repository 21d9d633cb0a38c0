"""The ledger keys are a cache of the warehouse that a full recount rebuilds: they need no
write-ahead log. Logged, the hourly upsert and the weekly recount wrote every key twice, once
as a full-page image after each checkpoint. After a crash the server empties an unlogged table;
the next check sees ledgers that claim keys the table no longer holds and counts them again.

A tenth of each page stays free, so that an hourly re-count of a known key (a new version of
its row) stays on its page and adds no index entry."""

from django.db import migrations

UNLOGGED = "ALTER TABLE cleanup_gap_ledger_keys SET UNLOGGED, SET (fillfactor = 90)"
LOGGED = "ALTER TABLE cleanup_gap_ledger_keys SET LOGGED, RESET (fillfactor)"


class Migration(migrations.Migration):

    dependencies = [
        ('cleanup', '0012_gap_ledger_keys_unconstrained'),
    ]

    operations = [migrations.RunSQL(UNLOGGED, LOGGED)]
