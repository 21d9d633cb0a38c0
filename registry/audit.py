"""Find the ingest functions in a source tree without importing or running any of it.

Modal functions are recognised by their decorators (`@app.function`, `@stub.function`,
and the methods of `@app.cls` classes; the names come from settings), and ingest
functions by a name pattern whose `workflow` group gives the registry name.
"""

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

_TABLE_LITERAL = re.compile(r"^(raw|extracted|core)\.[a-z_][a-z0-9_]*$")
_SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox"}


class AuditPathError(Exception):
    """A path given to the audit does not exist."""


@dataclass(frozen=True)
class AuditRules:
    function_decorators: frozenset[str]
    class_decorators: frozenset[str]
    name_pattern: re.Pattern[str]
    key_columns: dict[str, str]  # key column literal -> key_type it implies


@dataclass(frozen=True)
class IngestFunction:
    workflow: str
    function: str
    path: str
    line: int
    tables: dict[str, str]  # raw_table / extracted_table / core_table -> schema.table written
    key_column: str | None
    key_type: str | None

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ParseFailure:
    path: str
    error: str


@dataclass
class TreeScan:
    functions: list[IngestFunction] = field(default_factory=list)
    failures: list[ParseFailure] = field(default_factory=list)
    files_scanned: int = 0

    def by_workflow(self) -> dict[str, list[IngestFunction]]:
        grouped: dict[str, list[IngestFunction]] = {}
        for function in self.functions:
            grouped.setdefault(function.workflow, []).append(function)
        return grouped


def tree_scan(*, paths: Iterable[Path], rules: AuditRules) -> TreeScan:
    """Scan files and folders; a file that does not parse is recorded and skipped."""
    scan = TreeScan()
    for source in _python_files(paths):
        scan.files_scanned += 1
        try:
            tree = ast.parse(source.read_bytes(), filename=str(source))
        except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
            scan.failures.append(ParseFailure(path=str(source), error=_describe(exc)))
            continue
        scan.functions.extend(_ingest_functions(tree, path=str(source), rules=rules))
    return scan


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise AuditPathError(f"no such file or folder: {', '.join(missing)}")
    for path in paths:
        if path.is_file():
            yield path
            continue
        for candidate in sorted(path.rglob("*.py")):
            if not _SKIPPED_DIRS.intersection(candidate.relative_to(path).parts[:-1]):
                yield candidate


def _describe(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"syntax error at line {exc.lineno}: {exc.msg}"
    return f"{type(exc).__name__}: {exc}"


def _ingest_functions(tree: ast.Module, *, path: str, rules: AuditRules) -> Iterator[IngestFunction]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _decorated_by(node, rules.function_decorators):
            candidates = [node]
        elif isinstance(node, ast.ClassDef) and _decorated_by(node, rules.class_decorators):
            candidates = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        else:
            continue
        for function in candidates:
            match = rules.name_pattern.match(function.name)
            if match:
                yield _describe_function(function, match, path=path, rules=rules)


def _decorated_by(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, names: frozenset[str]) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _dotted_name(target) in names:
            return True
    return False


def _dotted_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parent = _dotted_name(node.value)
        return f"{parent}.{node.attr}" if parent else None
    return None


def _describe_function(function: ast.FunctionDef | ast.AsyncFunctionDef, match: re.Match[str], *,
                       path: str, rules: AuditRules) -> IngestFunction:
    literals = [n.value for n in ast.walk(function) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    tables: dict[str, str] = {}
    for literal in literals:
        if _TABLE_LITERAL.match(literal):
            tables.setdefault(f"{literal.split('.')[0]}_table", literal)
    key_column = next((lit for lit in literals if lit in rules.key_columns), None)
    workflow = match.groupdict().get("workflow") or function.name
    return IngestFunction(workflow=workflow, function=function.name, path=path, line=function.lineno,
                          tables=tables, key_column=key_column,
                          key_type=rules.key_columns.get(key_column) if key_column else None)
