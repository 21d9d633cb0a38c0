"""The coalescing job kinds, registered with the engine when the app is ready (cleanup.apps)."""

from cleanup.coalescing.kinds.experience import CoalescePersonExperience
from cleanup.coalescing.kinds.mapped import CoalesceMapped
from cleanup.coalescing.kinds.profile import CoalescePersonProfile
from cleanup.coalescing.kinds.titles import ClassifyPeopleTitles
from cleanup.jobs.kinds import kind_register


def kinds_register() -> None:
    for kind in (CoalescePersonExperience(), CoalesceMapped(), CoalescePersonProfile(), ClassifyPeopleTitles()):
        kind_register(kind)
