"""Raw SQL of the runs app, one module per concern: run events and the backfill (events),
the status statement (status), and the indexes entity lookups need (indexes)."""
