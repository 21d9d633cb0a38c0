"""The registry audit over a generated 2,000-file ingest tree: AST only, nothing imported."""

import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.environment import manage

FILES = 2_000
FUNCTIONS_PER_FILE = 3
BROKEN_EVERY = 100  # one file in a hundred does not parse, as in a repository mid-refactor
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
    return f'import modal\n\napp = modal.App("vendor-{index}")\nimage = modal.Image.debian_slim()\n\n\n' \
           f"{functions}\n\n{helpers}"


def _generate(root: Path) -> None:
    for index in range(FILES):
        folder = root / f"vendor_{index // 100:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"ingest_{index:04d}.py").write_text(_module_source(index))


def run() -> str:
    manage("migrate", "--verbosity", "0")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _generate(root)
        size_mb = sum(p.stat().st_size for p in root.rglob("*.py")) / 1e6
        seconds, report = [], {}
        for _ in range(REPEATS):
            began = time.perf_counter()
            report = json.loads(manage("registry_audit", str(root), "--format", "json").stdout)
            seconds.append(time.perf_counter() - began)
    median = statistics.median(seconds)
    return "\n".join([
        f"- command: `python manage.py registry_audit TREE --format json` (whole process, {REPEATS} runs) over "
        f"{FILES:,} generated files ({size_mb:.1f} MB), {FUNCTIONS_PER_FILE} ingest functions each, "
        f"1 in {BROKEN_EVERY} files with a syntax error",
        f"- found: {report['functions_found']:,} functions, {len(report['parse_errors'])} files reported as "
        f"unparseable, {len(report['unregistered']):,} unregistered",
        f"- wall time: median {median:.2f} s, best {min(seconds):.2f} s, worst {max(seconds):.2f} s "
        f"({FILES / median:,.0f} files/s including Django start-up and the registry query)",
    ])
