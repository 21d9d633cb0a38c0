"""An import-linter contract for what imports cannot show: a dotted path in a string, such as
the task a schedule or async_task names, is an import made at run time. It must name a function
that exists, and point across the same layers as an import would."""

import ast
import importlib.util
import re
from pathlib import Path

from grimp import ImportGraph
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

_DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*){2,}$")


class TaskPathContract(Contract):
    """Every string `package.module.function` whose module is one of the analysed modules names a
    top-level function or name of that module, in the same layer or one below the module that
    holds the string. `layers` lists the top-level packages from highest to lowest, `containers`
    maps a package to its own rooms in the same order ("cleanup: gaps, coalescing, jobs")."""

    layers = fields.ListField(subfield=fields.StringField())
    containers = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        rooms = _rooms(self.containers)
        problems = []
        for module in sorted(graph.modules):
            for line, path in _dotted_strings(module):
                target = path.rsplit(".", 1)[0]
                if target not in graph.modules:
                    continue  # a logger name or a setting, not a path into our code
                if path.rsplit(".", 1)[1] not in _top_level_names(target):
                    problems.append(f"{module}:{line} names {path}, which {target} does not define")
                elif _rank(target, self.layers, rooms) < _rank(module, self.layers, rooms):
                    problems.append(f"{module}:{line} names {path}, in a layer above it")
        return ContractCheck(kept=not problems, metadata={"problems": problems})

    def render_broken_contract(self, check: ContractCheck) -> None:
        from importlinter.application import output

        for problem in check.metadata["problems"]:
            output.print_error(problem)


def _rooms(containers: list[str]) -> dict[str, list[str]]:
    rooms = {}
    for container in containers:
        package, _, names = container.partition(":")
        rooms[package.strip()] = [name.strip() for name in names.split(",")]
    return rooms


def _rank(module: str, layers: list[str], rooms: dict[str, list[str]]) -> tuple[int, int]:
    """Lower is higher up: (its package's layer, its room's place within the package). A module of
    a package with rooms but in none of them (its admin, its task names) sits above them all."""
    package, _, rest = module.partition(".")
    room = rest.partition(".")[0]
    inside = rooms.get(package, [])
    return layers.index(package), inside.index(room) if room in inside else -1


def _source(module: str) -> str:
    """The module's text, found without importing it (its package would import Django)."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)  # a top-level package is located, not imported
    base = Path(spec.submodule_search_locations[0]).joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return ""


def _dotted_strings(module: str) -> list[tuple[int, str]]:
    tree = ast.parse(_source(module))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _DOTTED.match(node.value)]


def _top_level_names(module: str) -> set[str]:
    names = set()
    for node in ast.parse(_source(module)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names
