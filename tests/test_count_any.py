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


def test_counts_parameters_typed_any_and_with_contains_those_with_any_inside(tmp_path):
    # typed Any: plain's a, *args, **kwargs; inner's x (typing.Any), y (Any | None);
    # with Any inside too: plain's d (dict[str, Any]), method's value (a string
    # annotation); never the Literal's value "Any" nor an unannotated parameter
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("def f(x: int, y: str) -> None: ...\n")
    (package / "sub" / "things.py").write_text(SOURCE)
    result = run_script(str(package))
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    # per package, the package with none listed with 0, then the total
    assert lines == [["pkg", "0"], ["pkg.sub", "5"], ["total", "5"]]
    by_module = run_script(str(package), "--by-module")
    assert "pkg.sub.things      5" in by_module.stdout
    contains = run_script(str(package), "--contains")
    assert contains.stdout.splitlines()[-1].split() == ["total", "7"]


def test_optional_any_is_any_and_a_union_with_more_is_not(tmp_path):
    module = tmp_path / "unions.py"
    module.write_text(
        "from typing import Any, Optional\n"
        "def f(a: Optional[Any], b: 'None | Any', c: Any | int | None, d: int | None):\n"
        "    pass\n"
    )
    result = run_script(str(module))
    assert result.stdout.splitlines()[-1].split() == ["total", "2"]


def test_max_fails_above_the_target(tmp_path):
    module = tmp_path / "loose.py"
    module.write_text(SOURCE)
    assert run_script(str(module), "--max", "5").returncode == 0
    over = run_script(str(module), "--max", "4")
    assert over.returncode == 1
    assert "5 parameters typed Any, more than 4" in over.stderr


def test_a_missing_path_is_named(tmp_path):
    result = run_script(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "nowhere" in result.stderr


def test_the_project_count_runs():
    result = run_script()
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"mxgui.core", "hardware_objects.abstract", "bricks", "mxwf", "total"} <= set(names)
