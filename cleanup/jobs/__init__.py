"""The job engine: batched, resumable jobs with checkpoints, dry runs, permissions and
throttling (engine, services, tasks), and the plain clean-up and backfill kinds of the seed
(kinds, sql). The other rooms of cleanup add their kinds through kinds.kind_register."""
