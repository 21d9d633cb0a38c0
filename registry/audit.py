"""Find the ingest functions in a source tree without importing or running any of it.

The code is parsed with tree-sitter's Python grammar, not with the `ast` of the interpreter
enrichhub runs on: ingest repositories are written for Python 3.12 to 3.14 (PEP 695 generics
and type aliases, `except A, B:`, template strings), which an older `ast` cannot read.
tree-sitter also keeps going past a syntax error, so one broken line hides nothing else.

Modal functions are recognised in the ways Modal declares them (the decorator names come
from settings): `@app.function` with or without options, the `@modal.method` members of
`@app.cls` classes (lifecycle hooks such as `@modal.enter` are not functions), and
`app.function(**options)(fn)` called directly. Ingest functions are those whose name
matches a pattern whose `workflow` group gives the registry name.
"""

import functools
import gc
import multiprocessing
import os
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import tree_sitter_python
from tree_sitter import Language, Node, Parser, Query, QueryCursor

_TABLE_LITERAL = re.compile(rb"^(raw|extracted|core)\.[a-z_][a-z0-9_]*$")
PARALLEL_FROM_FILES = 400  # below this, starting the workers costs more than they save
CHUNK_FILES = 100
MAX_WORKERS = 8
_SKIPPED_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", "site-packages", ".tox"}

_PYTHON = Language(tree_sitter_python.language())
# One pass over each file collects everything the audit looks at; the functions then take
# their share by byte range (one query per file is several times faster than one per function).
_FILE_QUERY = Query(_PYTHON, """
    (decorated_definition) @decorated
    (call function: (call) arguments: (argument_list . (identifier) .)) @direct_call
    (call function: (_) @callee)
    (string_content) @content
""")


class AuditPathError(Exception):
    """A path given to the audit does not exist."""


class DeclarationStyle(StrEnum):
    DECORATOR = "@app.function"
    DECORATOR_WITH_OPTIONS = "@app.function(...)"
    CLASS_METHOD = "@app.cls + @modal.method"
    DIRECT_CALL = "app.function(...)(fn)"


class Reporting(StrEnum):
    DECORATOR = "@track_enrichment"
    WITH_BLOCK = "with track_enrichment"
    CLIENT_CALL = "client call"


@dataclass(frozen=True)
class AuditRules:
    function_decorators: frozenset[str]
    class_decorators: frozenset[str]
    name_pattern: re.Pattern[str]
    key_columns: dict[str, str]  # key column literal -> key_type it implies
    method_decorators: frozenset[str] = frozenset({"modal.method", "method"})
    # The last part of a called name that reports a run: `track_enrichment`, `client.report_run`.
    reporting_calls: frozenset[str] = frozenset({"track_enrichment", "report_run"})

    @functools.cached_property
    def key_column_bytes(self) -> frozenset[bytes]:
        return frozenset(column.encode() for column in self.key_columns)


@dataclass(frozen=True)
class IngestFunction:
    workflow: str
    function: str
    path: str
    line: int
    tables: dict[str, str]  # raw_table / extracted_table / core_table -> schema.table written
    key_column: str | None
    key_type: str | None
    style: DeclarationStyle = DeclarationStyle.DECORATOR
    reporting: Reporting | None = None  # how it reports its runs to enrichhub; None: it does not

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
    """Scan files and folders. A file with a syntax error is recorded, and the functions in
    its readable parts are still found. Large trees are parsed by one process per core."""
    files = list(_python_files(paths))
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(files) < PARALLEL_FROM_FILES or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _files_scan(files, rules=rules)
    chunks = [files[start:start + CHUNK_FILES] for start in range(0, len(files), CHUNK_FILES)]
    scan = TreeScan()
    # fork: the workers inherit the loaded modules and the rules instead of importing them again.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for part in pool.map(functools.partial(_files_scan, rules=rules), chunks):
            scan.functions += part.functions
            scan.failures += part.failures
            scan.files_scanned += part.files_scanned
    return scan


def _files_scan(files: list[Path], *, rules: AuditRules) -> TreeScan:
    with _collector_paused():
        return _files_scan_unpaused(files, rules=rules)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The scan makes many small objects and no reference cycles: the collector's passes are
    pure cost (about a tenth of the scan)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _files_scan_unpaused(files: list[Path], *, rules: AuditRules) -> TreeScan:
    scan = TreeScan()
    parser = Parser(_PYTHON)
    for source in files:
        scan.files_scanned += 1
        data = source.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            error = f"not UTF-8 text: {exc.reason} at byte {exc.start}"
            scan.failures.append(ParseFailure(path=str(source), error=error))
            continue
        root = parser.parse(data).root_node
        if root.has_error:
            scan.failures.append(ParseFailure(path=str(source), error=_syntax_error(root)))
        scan.functions.extend(_ingest_functions(_SourceFile(root, str(source)), rules=rules))
    return scan


class _SourceFile:
    """A parsed file and what the file query captured in it, in source order."""

    def __init__(self, root: Node, path: str) -> None:
        self.root, self.path = root, path
        captures = QueryCursor(_FILE_QUERY).captures(root)
        self.decorated = captures.get("decorated", [])
        self.direct_calls = captures.get("direct_call", [])
        self._callees = sorted(captures.get("callee", []), key=lambda node: node.start_byte)
        self._contents = sorted(captures.get("content", []), key=lambda node: node.start_byte)
        self._callee_starts = [node.start_byte for node in self._callees]
        self._content_starts = [node.start_byte for node in self._contents]

    def callees_in(self, node: Node) -> list[Node]:
        return self._callees[bisect_left(self._callee_starts, node.start_byte):
                             bisect_left(self._callee_starts, node.end_byte)]

    def strings_in(self, node: Node) -> list[bytes]:
        """The literal strings' bytes: most are never decoded, only compared."""
        return [content.text or b"" for content in self._contents[bisect_left(self._content_starts, node.start_byte):
                                                               bisect_left(self._content_starts, node.end_byte)]]


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


def _syntax_error(root: Node) -> str:
    broken = _first_broken(root)
    line = (broken or root).start_point[0] + 1
    what = f"missing {broken.type!r}" if broken is not None and broken.is_missing else "invalid syntax"
    return f"syntax error at line {line}: {what}"


def _first_broken(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            return _first_broken(child)
    return None


def _ingest_functions(source: _SourceFile, *, rules: AuditRules) -> Iterator[IngestFunction]:
    for decorated in source.decorated:
        definition = decorated.child_by_field_name("definition")
        if definition is None:
            continue
        decorators = _decorator_names(decorated)
        if definition.type == "function_definition" and decorators.keys() & rules.function_decorators:
            with_options = any(decorators[name] for name in decorators.keys() & rules.function_decorators)
            style = DeclarationStyle.DECORATOR_WITH_OPTIONS if with_options else DeclarationStyle.DECORATOR
            yield from _described(definition, decorators, style=style, source=source, rules=rules)
        elif definition.type == "class_definition" and decorators.keys() & rules.class_decorators:
            yield from _class_methods(definition, source=source, rules=rules)
    yield from _direct_calls(source, rules=rules)


def _class_methods(cls: Node, *, source: _SourceFile, rules: AuditRules) -> Iterator[IngestFunction]:
    body = cls.child_by_field_name("body")
    for member in body.named_children if body else []:
        if member.type != "decorated_definition":
            continue  # an undecorated method is not callable as a Modal function
        definition = member.child_by_field_name("definition")
        decorators = _decorator_names(member)
        if definition is not None and definition.type == "function_definition" \
                and decorators.keys() & rules.method_decorators:
            yield from _described(definition, decorators, style=DeclarationStyle.CLASS_METHOD, source=source,
                                  rules=rules)


def _direct_calls(source: _SourceFile, *, rules: AuditRules) -> Iterator[IngestFunction]:
    """`app.function(**options)(fn)`: a call of what a call returned, given one bare name."""
    definitions: dict[str, Node] | None = None
    for call in source.direct_calls:
        factory_call, arguments = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        factory = factory_call.child_by_field_name("function") if factory_call is not None else None
        if factory is None or arguments is None or _dotted_name(factory) not in rules.function_decorators:
            continue
        if definitions is None:
            definitions = _module_functions(source.root)
        definition = definitions.get(_text(arguments.named_children[0]))
        if definition is None:
            continue  # defined elsewhere: found where it is defined, if it is decorated there
        parent = definition.parent
        decorators = _decorator_names(parent) if parent is not None and parent.type == "decorated_definition" else {}
        yield from _described(definition, decorators, style=DeclarationStyle.DIRECT_CALL, source=source,
                              rules=rules, alias=_assigned_name(call))


def _module_functions(root: Node) -> dict[str, Node]:
    functions = {}
    for statement in root.named_children:
        definition = statement.child_by_field_name("definition") if statement.type == "decorated_definition" \
            else statement
        if definition is not None and definition.type == "function_definition":
            name = definition.child_by_field_name("name")
            if name is not None:
                functions[_text(name)] = definition
    return functions


def _assigned_name(call: Node) -> str | None:
    parent = call.parent
    if parent is not None and parent.type == "assignment":
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return _text(left)
    return None


def _decorator_names(decorated: Node) -> dict[str, bool]:
    """Dotted name of each decorator -> whether it is called with arguments."""
    names = {}
    for decorator in decorated.named_children:
        if decorator.type != "decorator" or not decorator.named_children:
            continue
        expression = decorator.named_children[0]
        called = expression.type == "call"
        target = expression.child_by_field_name("function") if called else expression
        name = _dotted_name(target) if target is not None else None
        if name:
            arguments = expression.child_by_field_name("arguments") if called else None
            names[name] = bool(arguments is not None and arguments.named_children)
    return names


def _dotted_name(node: Node) -> str | None:
    if node.type == "identifier":
        return _text(node)
    if node.type == "attribute":
        owner, attribute = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        parent = _dotted_name(owner) if owner is not None else None
        return f"{parent}.{_text(attribute)}" if parent and attribute is not None else None
    return None


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _described(function: Node, decorators: dict[str, bool], *, style: DeclarationStyle, source: _SourceFile,
               rules: AuditRules, alias: str | None = None) -> Iterator[IngestFunction]:
    name_node = function.child_by_field_name("name")
    if name_node is None:
        return
    name = _text(name_node)
    match = next((m for m in (rules.name_pattern.match(c) for c in (name, alias) if c) if m), None)
    if match is None:
        return
    literals = source.strings_in(function)
    tables: dict[str, str] = {}
    for literal in literals:
        if _TABLE_LITERAL.match(literal):
            table = literal.decode()
            tables.setdefault(f"{table.split('.')[0]}_table", table)
    key_column = next((lit.decode() for lit in literals if lit in rules.key_column_bytes), None)
    yield IngestFunction(
        workflow=match.groupdict().get("workflow") or match.string, function=name, path=source.path,
        line=function.start_point[0] + 1, tables=tables, key_column=key_column,
        key_type=rules.key_columns.get(key_column) if key_column else None,
        style=style, reporting=_reporting(source.callees_in(function), decorators, rules=rules),
    )


def _reporting(callees: list[Node], decorators: dict[str, bool], *, rules: AuditRules) -> Reporting | None:
    if any(name.rsplit(".", 1)[-1] in rules.reporting_calls for name in decorators):
        return Reporting.DECORATOR
    for callee in callees:
        last = callee.child_by_field_name("attribute") if callee.type == "attribute" else callee
        if last is None or last.type != "identifier" or _text(last) not in rules.reporting_calls:
            continue
        return Reporting.WITH_BLOCK if _inside_with_item(callee) else Reporting.CLIENT_CALL
    return None


def _inside_with_item(callee: Node) -> bool:
    node = callee.parent  # the call
    while node is not None and node.type in {"call", "as_pattern"}:
        node = node.parent
    return node is not None and node.type == "with_item"
