"""The README and docs/ name only what exists: commands, make targets, settings, benchmarks, files
and the headings they link to. The README stays a short guide."""

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

PROJECT = Path(__file__).resolve().parents[1]
PAGES = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
CODE = "\n".join(path.read_text() for folder in ("enrichhub", "kernel", "warehouse", "registry", "runs", "cleanup",
                                                 "planning", "dashboard", "bench")
                 for path in (PROJECT / folder).rglob("*.py") if "migrations" not in path.parts)
# Variables Django, the shell or a library read by their own name.
THIRD_PARTY_VARIABLES = {"DEBUG", "LOG_LEVEL", "EMAIL_BACKEND", "DEFAULT_FROM_EMAIL", "CI"}


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(PROJECT)) for path in paths]


def test_the_readme_is_a_short_guide():
    text = (PROJECT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    for heading in ("## The two commands", "## Ten minutes with the seed's tasks", "## Reference"):
        assert heading in text


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_no_page_points_outside_the_clone(page):
    assert "../shared" not in page.read_text()


def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_link_reaches_a_file_and_heading(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path_part, _, anchor = target.partition("#")
        linked = (page.parent / path_part).resolve() if path_part else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor and linked.suffix == ".md":
            headings = {_slug(line.lstrip("#")) for line in linked.read_text().splitlines() if line.startswith("#")}
            assert anchor in headings, f"{page.name}: {target}"


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_command_the_page_names_exists(page):
    commands = set(get_commands())
    named = set(re.findall(r"manage\.py ([a-z_]+)", page.read_text()))
    assert named - commands == set()


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_make_target_and_benchmark_the_page_names_exists(page):
    makefile = (PROJECT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    text = page.read_text()
    named = set(re.findall(r"(?:`|^|[A-Z_]+=\S+ )make ([a-z][a-z-]*)", text, re.M))  # as code, not as a verb
    assert named - targets == set()
    from bench.run import BENCHMARKS

    assert set(re.findall(r"BENCH=([a-z_0-9]+)", text)) - {"name", *BENCHMARKS} == set()


@pytest.mark.parametrize("page", PAGES, ids=_ids(PAGES))
def test_every_setting_the_page_names_is_read_by_the_code(page):
    named = set(re.findall(r"`([A-Z][A-Z0-9_]*_[A-Z0-9_]+|[A-Z]{4,})`", page.read_text()))
    variables = {name for name in named if name.startswith("ENRICHHUB_") or name.endswith(("_URL", "_KEY"))}
    for name in variables - THIRD_PARTY_VARIABLES:
        if name.endswith("_"):  # a family, e.g. ENRICHHUB_AUDIT_
            assert f'"{name}' in CODE, name
        else:
            assert f'"{name}"' in CODE or f"'{name}'" in CODE, name
