"""Clean-ups, backfills and coalescing, in three rooms whose dependencies point one way:

    gaps  ->  coalescing  ->  jobs

- jobs: the batch job engine and the seed's clean-up and backfill kinds;
- coalescing: extracted rows into core, as job kinds, and the tick that starts them;
- gaps: what is stuck in extracted, alerts about it, and its repair.

The modules at this level only assemble the rooms for Django: models, admin, apps, schedules.
"""
