"""The cleanup app's models, defined in its three rooms (see cleanup/__init__.py); Django
looks for them here."""

from cleanup.coalescing.models import CoalesceMapping, CoalesceWatermark
from cleanup.gaps.models import GapAlert, GapLedger, GapLedgerKey, GapSnapshot, GapTally
from cleanup.jobs.models import BatchJob

__all__ = ["BatchJob", "CoalesceMapping", "CoalesceWatermark", "GapAlert", "GapLedger", "GapLedgerKey", "GapSnapshot",
           "GapTally"]
