"""Lines that apps above the registry add under each workflow's name in its admin list (the
planner adds its measured fill rates and costs). The registry offers the hook; the app that has
the figures registers itself in its AppConfig.ready, so no arrow points up."""

from collections.abc import Callable

WorkflowLines = Callable[[], dict[str, list[str]]]
_providers: dict[str, WorkflowLines] = {}


def workflow_lines_provide(name: str, provider: WorkflowLines) -> None:
    """Register (or replace, by name) a provider of {workflow name: lines}."""
    _providers[name] = provider


def workflow_lines() -> dict[str, list[str]]:
    """Every provider's lines per workflow, in the order the providers registered."""
    lines: dict[str, list[str]] = {}
    for provider in _providers.values():
        for workflow_name, more in provider().items():
            lines.setdefault(workflow_name, []).extend(more)
    return lines
