"""The documentation points into the repository, and what it names is there.

``docs/`` names modules by their path (``mxgui/core/queue/engine.py``) and, in the
paths of a call, functions by ``path: name``. A module renamed or a function removed
without its documentation fails here, naming the page and the line.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [*DOCS, ROOT / "README.md"]
#: the throwaway examples that docs/recipes.md shows, which are not in the repository
RECIPE_EXAMPLES = ("humidity", "rotate.py", "environment.py")

_TOPS = (
    "mxgui bricks hardware_objects workflows tests benchmarks layouts scripts docs resources "
    "HardwareRepository"
)
_TOP = "(?:" + "|".join(_TOPS.split()) + ")"
_PATH = re.compile(rf"(?<![\w/.<-])({_TOP}/[\w./-]*[\w])")
_DEFINED_IN = re.compile(rf"`({_TOP}/[\w/]+\.py): (\w+)`")
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _lines(page: Path):
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        yield f"{page.relative_to(ROOT)}:{number}", line


def test_there_is_an_architecture_page_with_the_paths_of_a_call():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for heading in (
        "## The layers",
        "## Threads and how values cross them",
        "## The path of one XML-RPC call",
        '## The path of one "Run all", down to a file on disk',
        "## Checks",
    ):
        assert heading in text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_path_named_in_the_docs_exists(page):
    missing = []
    for where, line in _lines(page):
        for path in _PATH.findall(line):
            if page.name == "recipes.md" and any(e in path for e in RECIPE_EXAMPLES):
                continue
            if not (ROOT / path).exists():
                missing.append(f"{where}: {path}")
    assert not missing, "paths named but not in the repository:\n" + "\n".join(missing)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    broken = []
    for where, line in _lines(page):
        for target in _LINK.findall(line):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{where}: {target}")
    assert not broken, "links that lead nowhere:\n" + "\n".join(broken)


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_functions_named_with_their_module_are_defined_there(page):
    absent = []
    for where, line in _lines(page):
        for path, name in _DEFINED_IN.findall(line):
            source = ROOT / path
            if page.name == "recipes.md" and any(e in path for e in RECIPE_EXAMPLES):
                continue
            text = source.read_text(encoding="utf-8") if source.is_file() else ""
            if not re.search(rf"^\s*(?:def|class) {name}\b", text, re.MULTILINE):
                absent.append(f"{where}: {name} in {path}")
    assert not absent, "functions named but not defined there:\n" + "\n".join(absent)


def _classes() -> dict[str, list[Path]]:
    """Where each class of the project is defined (its module's path)."""
    found: dict[str, list[Path]] = {}
    for top in ("mxgui", "bricks", "hardware_objects"):
        for source in (ROOT / top).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            for name in re.findall(r"^class (\w+)", text, re.MULTILINE):
                found.setdefault(name, []).append(source)
    return found


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_methods_named_with_their_class_exist(page):
    """``QueueEngine.run_all`` in the docs: ``run_all`` is defined in the module of
    ``QueueEngine`` or beside it (a collaborator in the same package)."""
    classes = _classes()
    absent = []
    for where, line in _lines(page):
        for cls, attr in re.findall(r"`(?:\w+ = )?([A-Z]\w+)\.(\w+)", line):
            if cls not in classes:
                continue
            texts = [
                other.read_text(encoding="utf-8")
                for module in classes[cls]
                for other in module.parent.glob("*.py")
            ]
            pattern = rf"^\s*(?:def {attr}\b|{attr}\s*[:=]|class {attr}\b)"
            if not any(re.search(pattern, text, re.MULTILINE) for text in texts):
                absent.append(f"{where}: {cls}.{attr}")
    assert not absent, "methods named but not defined:\n" + "\n".join(absent)


def test_nothing_points_at_design_pages_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.md", "*.cfg", "*.toml", "*.yml", "*.xml", ".ci/run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if tracked.returncode != 0:
        pytest.skip(f"not a git checkout: {tracked.stderr.strip()}")
    outside = re.compile(r"\.\./shared|\b(?:DESIGN|DOMAIN|STYLE)\.md")
    found = []
    for name in tracked.stdout.split():
        path = ROOT / name
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if outside.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "references outside the repository:\n" + "\n".join(found)
