"""scripts/count_any.py: the count of parameters typed ``Any`` that issue 12 tracks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "count_any.py"

SOURCE = textwrap.dedent(
    '''
    import typing
    from typing import Any, Literal

    def plain(a: Any, b: int, c, *args: Any, d: dict[str, Any], **kwargs: Any) -> Any:
        """Any four times among the parameters (the return does not count)."""

    class Thing:
        async def method(self, value: "list[Any] | None", mode: Literal["Any"]) -> None:
            def inner(x: typing.Any, /, y: Any | None = None) -> None: ...

    lambda z: z
    '''
)


def run_script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60
    )


def test_counts_parameters_whose_annotation_is_or_contains_any(tmp_path):
    # plain: a, *args, d, **kwargs; method: value (a string annotation), not the
    # Literal; inner: x (typing.Any), y (Any | None)
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("def f(x: int, y: str) -> None: ...\n")
    (package / "sub" / "things.py").write_text(SOURCE)
    result = run_script(str(package))
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    # per package, the package with none listed with 0, then the total
    assert lines == [["pkg", "0"], ["pkg.sub", "7"], ["total", "7"]]
    by_module = run_script(str(package), "--by-module")
    assert "pkg.sub.things      7" in by_module.stdout


def test_max_fails_above_the_target(tmp_path):
    module = tmp_path / "loose.py"
    module.write_text(SOURCE)
    assert run_script(str(module), "--max", "7").returncode == 0
    over = run_script(str(module), "--max", "6")
    assert over.returncode == 1
    assert "7 parameters typed Any, more than 6" in over.stderr


def test_a_missing_path_is_named(tmp_path):
    result = run_script(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "nowhere" in result.stderr


def test_the_project_count_runs():
    result = run_script()
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"mxgui.core", "hardware_objects.abstract", "bricks", "mxwf", "total"} <= set(names)
