"""The registry audit over a generated 2,000-file ingest tree, nothing imported; and the
parsers it could have been built on, over the same files."""

import ast
import compileall
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import libcst
import tree_sitter_python
from tree_sitter import Language, Parser

from bench.environment import PROJECT_ROOT, manage

FILES = 2_000
FUNCTIONS_PER_FILE = 3
BROKEN_EVERY = 100  # one file in a hundred does not parse, as in a repository mid-refactor
MODERN_EVERY = 10  # one in ten uses Python 3.12+ syntax (a PEP 695 generic helper)
REPEATS = 3


def _module_source(index: int) -> str:
    if index % BROKEN_EVERY == 0:
        return "@app.function()\ndef ingest_broken(:\n    pass\n"
    functions = "\n\n".join(
        f'@app.function(image=image, timeout=600)\ndef ingest_company_signal_{index}_{n}(payload: dict) -> dict:\n'
        f'    write_rows("raw.company_signal_{index}_{n}", [payload])\n'
        f'    rows = [{{"domain": payload["domain"], **item}} for item in payload.get("items", [])]\n'
        f'    return {{"written": write_rows("extracted.company_signal_{index}_{n}", rows)}}\n'
        for n in range(FUNCTIONS_PER_FILE)
    )
    helpers = "def _normalise(value: str) -> str:\n    return value.strip().lower()\n"
    if index % MODERN_EVERY == 1:
        helpers = "def _normalise[T: str](value: T) -> T:\n    return value.strip().lower()\n"
    return f'import modal\n\napp = modal.App("vendor-{index}")\nimage = modal.Image.debian_slim()\n\n\n' \
           f"{functions}\n\n{helpers}"


def _generate(root: Path) -> None:
    for index in range(FILES):
        folder = root / f"vendor_{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"ingest_{index:04d}.py").write_text(_module_source(index))


def run() -> str:
    manage("migrate", "--verbosity", "0")
    # Start-up as an installed deployment has it, with bytecode written: `make install`
    # compiles the dependencies, and this compiles the project (this machine sets
    # PYTHONDONTWRITEBYTECODE, so no run would ever leave it behind).
    compileall.compile_dir(str(PROJECT_ROOT), quiet=1, rx=re.compile(r"/(\.venv|var|examples|\.git)/"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _generate(root)
        size_mb = sum(p.stat().st_size for p in root.rglob("*.py")) / 1e6
        seconds, report = [], {}
        for _ in range(REPEATS):
            began = time.perf_counter()
            report = json.loads(manage("registry_audit", str(root), "--format", "json").stdout)
            seconds.append(time.perf_counter() - began)
        parsers = _parsers_compared(sorted(root.rglob("*.py")))
    median = statistics.median(seconds)
    return "\n".join([
        f"- command: `python manage.py registry_audit TREE --format json` (whole process, {REPEATS} runs) over "
        f"{FILES:,} generated files ({size_mb:.1f} MB), {FUNCTIONS_PER_FILE} ingest functions each, "
        f"1 in {BROKEN_EVERY} files with a syntax error",
        f"- found: {report['functions_found']:,} functions, {len(report['parse_errors'])} files reported as "
        f"unparseable, {len(report['unregistered']):,} unregistered",
        f"- wall time: median {median:.2f} s, best {min(seconds):.2f} s, worst {max(seconds):.2f} s "
        f"({FILES / median:,.0f} files/s including Django start-up and the registry query)",
        f"- parsers over the same files, parse only, in one process (1 in {MODERN_EVERY} files uses 3.12+ syntax):",
        *parsers,
    ])


def _parsers_compared(files: list[Path]) -> list[str]:
    sources = [path.read_bytes() for path in files]
    tree_sitter = Parser(Language(tree_sitter_python.language()))
    newest = libcst.PartialParserConfig(python_version="3.14")
    candidates: dict[str, Callable[[bytes], bool]] = {
        "tree-sitter-python (the audit's)": lambda source: not tree_sitter.parse(source).root_node.has_error,
        "ast of this interpreter": lambda source: bool(ast.parse(source)),
        "libcst (python_version 3.14)": lambda source: bool(libcst.parse_module(source, newest)),
    }
    return [f"  - {name}: {rate:,.0f} files/s, {unread:,} files not read"
            for name, (rate, unread) in ((name, _parse_rate(parse, sources)) for name, parse in candidates.items())]


def _parse_rate(parse: Callable[[bytes], bool], sources: list[bytes]) -> tuple[float, int]:
    unread = 0
    began = time.perf_counter()
    for source in sources:
        try:
            unread += not parse(source)
        except Exception:  # noqa: BLE001 -- each parser signals a syntax error its own way
            unread += 1
    return len(sources) / (time.perf_counter() - began), unread
