"""What the job engine tells the apps above it, which it may not import: a job completed."""

from django.dispatch import Signal

# Sent once a job has completed and its completion is saved; with `job` and `tables`, the
# tables it wrote. The dashboard refreshes its figures on it.
job_completed = Signal()
