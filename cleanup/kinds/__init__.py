"""Every job kind, by name."""

from cleanup.kinds.base import JobKind, JobParamsError
from cleanup.kinds.coalesce import CoalescePersonExperience
from cleanup.kinds.companies import DeleteCompaniesMissingLocation, RestoreCompaniesMissingLocation
from cleanup.kinds.funding import FundingBackfill
from cleanup.kinds.mapped import CoalesceMapped
from cleanup.kinds.profile import CoalescePersonProfile
from cleanup.kinds.reference_tables import DropReferenceTable, RestoreReferenceTable
from cleanup.kinds.tenure import TenureBackfill

KINDS: dict[str, JobKind] = {kind.name: kind for kind in (
    DeleteCompaniesMissingLocation(), RestoreCompaniesMissingLocation(), FundingBackfill(), TenureBackfill(),
    DropReferenceTable(), RestoreReferenceTable(), CoalescePersonExperience(), CoalesceMapped(),
    CoalescePersonProfile(),
)}


def kind_get(name: str) -> JobKind:
    if name not in KINDS:
        raise JobParamsError(f"unknown job kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[name]
