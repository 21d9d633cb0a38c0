"""What the q2 cluster may run: each app declares its entry points (in its `schedules` module),
enrichhub collects them, and nothing else is run, however it reached the queue.

A schedule or a resubmitted task names a function by its dotted path; django-q2 would import and
call any importable function with any arguments (`os.system` included). An entry point states
the arguments its function takes, typed, and the permission the person who scheduled it must
hold when it runs.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

from pydantic import TypeAdapter, ValidationError


class EntryPointRefused(Exception):
    """The function is no entry point, or its arguments are not what it takes; the message says which."""


@dataclass(frozen=True)
class EntryPoint:
    func: Callable[..., Any]
    label: str
    # The permission the schedule's owner needs, checked when it runs. None: upkeep that changes
    # no warehouse data, which whoever may manage schedules may schedule.
    permission: str | None = None
    # Whether people may schedule it; the engine's own steps (a job's next slice) are queued by code only.
    schedulable: bool = True
    # Entry points that act for a person take `user_id`: the schedule's owner, checked and recorded.
    acts_for_user: bool = False
    # Stored schedules and queued tasks name functions by these paths as well as the function's own.
    aliases: tuple[str, ...] = field(default=())
    # Checks that depend on the arguments (a job kind that deletes needs more): (user, kwargs) ->
    # the reason to refuse, or None.
    owner_check: Callable[[Any, dict[str, Any]], str | None] | None = None

    @property
    def path(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    @property
    def paths(self) -> tuple[str, ...]:
        return (*self.aliases, self.path)

    def parameters(self) -> dict[str, inspect.Parameter]:
        """What a person may set: everything the function takes, but whom it acts for."""
        return {name: parameter for name, parameter in inspect.signature(self.func).parameters.items()
                if name != "user_id"}

    def arguments_check(self, args: tuple | list, kwargs: dict[str, Any], *, from_person: bool = False) -> None:
        """Refuse arguments the function does not take, or of another type than it declares."""
        if from_person and "user_id" in kwargs:
            raise EntryPointRefused(f"{self.path}: user_id is set by enrichhub to the schedule's owner")
        try:
            bound = inspect.signature(self.func).bind(*args, **kwargs)
        except TypeError as exc:
            raise EntryPointRefused(f"{self.path}: {exc}") from None
        hints = get_type_hints(self.func)
        for name, value in bound.arguments.items():
            try:
                TypeAdapter(hints.get(name, Any)).validate_python(value, strict=True)
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"]
                raise EntryPointRefused(f"{self.path}: argument {name}={value!r}: {problem}") from None
