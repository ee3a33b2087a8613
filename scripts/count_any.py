#!/usr/bin/env python3
"""Count the function parameters typed ``Any``: per package, and in all.

A parameter counts when its type is ``Any`` itself: ``Any``, ``typing.Any``, ``Any | None``
or ``Optional[Any]``, also written as a string. ``*args`` and ``**kwargs`` count like any
other parameter; unannotated parameters do not (mypy's strict modules catch those). With
``--contains`` a parameter also counts when ``Any`` is inside its type (``dict[str, Any]``,
``Future[Any]``): a looser figure, printed too by ``.ci/run``. The source is parsed with
:mod:`ast`, never imported.

    .venv/bin/python scripts/count_any.py            # the project's packages
    .venv/bin/python scripts/count_any.py --by-module mxgui/core
    .venv/bin/python scripts/count_any.py --max 60   # exit 1 above 60
    .venv/bin/python scripts/count_any.py --contains

Issue 12's target: at most 60 in all (parameters typed ``Any`` itself).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: what is counted when no path is given: the application's code, not tests or benchmarks
DEFAULT_PATHS = ("mxgui", "hardware_objects", "bricks", "mxscore", "workflows/mxwf")


def mentions_any(annotation: ast.expr | None) -> bool:
    """Whether the annotation is ``Any`` or contains it (string annotations parsed; the
    values of a ``Literal[...]`` are values, not types)."""
    if annotation is None:
        return False
    pending: list[ast.AST] = [annotation]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                continue  # a string that is no annotation
        if _name(node) == "Any":
            return True
        if isinstance(node, ast.Subscript) and _name(node.value) == "Literal":
            continue
        pending.extend(ast.iter_child_nodes(node))
    return False


def is_any(annotation: ast.expr | None) -> bool:
    """Whether the annotation makes the parameter ``Any``: ``Any``, ``typing.Any``,
    ``Any | None``, ``Optional[Any]`` (string annotations parsed)."""
    node = _parsed(annotation)
    if node is None:
        return False
    if _name(node) == "Any":
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [_parsed(node.left), _parsed(node.right)]
        nones = [s for s in sides if isinstance(s, ast.Constant) and s.value is None]
        anys = [s for s in sides if s is not None and _name(s) == "Any"]
        return len(nones) == 1 and len(anys) == 1
    if isinstance(node, ast.Subscript) and _name(node.value) == "Optional":
        return _name(node.slice) == "Any"
    return False


def _parsed(node: ast.expr | None) -> ast.expr | None:
    """The expression of a string annotation; other nodes as they are."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None  # a string that is no annotation
    return node


def _name(node: ast.AST) -> str | None:
    """``Any`` of ``Any`` and of ``typing.Any``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.arg]:
    """Every parameter of ``function``, ``*args`` and ``**kwargs`` included."""
    arguments = function.args
    yield from arguments.posonlyargs
    yield from arguments.args
    if arguments.vararg is not None:
        yield arguments.vararg
    yield from arguments.kwonlyargs
    if arguments.kwarg is not None:
        yield arguments.kwarg


def count_source(source: str, filename: str = "<source>", contains: bool = False) -> int:
    """How many parameters in ``source`` are typed ``Any`` (with ``contains``: are typed
    ``Any`` or have it inside their type)."""
    tree = ast.parse(source, filename=filename)
    test = mentions_any if contains else is_any
    return sum(
        test(parameter.annotation)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for parameter in parameters(node)
    )


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The ``.py`` files under ``paths`` (files given as such), sorted, caches skipped."""
    for path in paths:
        if path.is_file():
            yield path
        else:
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def package_of(path: Path, base: Path, by_module: bool) -> str:
    """``mxgui/core/queue/engine.py`` -> ``mxgui.core.queue`` (or the module's own name),
    named from ``base``; ``workflows/mxwf/...`` is the ``mxwf`` package."""
    parts = path.resolve().relative_to(base).with_suffix("").parts
    if parts and parts[0] == "workflows":
        parts = parts[1:]
    if not by_module or parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "."


def count(paths: Iterable[Path], by_module: bool = False, contains: bool = False) -> Counter[str]:
    """Parameters typed ``Any`` per package (or module) of the files under ``paths``,
    named from the repository root (from a path's parent outside it); packages with none
    are listed with 0."""
    counts: Counter[str] = Counter()
    for given in paths:
        given = given.resolve()
        base = ROOT if given.is_relative_to(ROOT) else given.parent
        for path in python_files([given]):
            name = package_of(path, base, by_module)
            source = path.read_text(encoding="utf-8")
            counts[name] += count_source(source, str(path), contains)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or directories")
    parser.add_argument("--by-module", action="store_true", help="one line per module")
    parser.add_argument("--max", type=int, default=None, help="exit 1 when the total is above")
    parser.add_argument(
        "--contains", action="store_true", help="count Any inside a type too (dict[str, Any])"
    )
    args = parser.parse_args(argv)
    paths = args.paths or [ROOT / p for p in DEFAULT_PATHS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        parser.error(f"no such file or directory: {', '.join(missing)}")
    counts = count(paths, by_module=args.by_module, contains=args.contains)
    width = max((len(name) for name in counts), default=5)
    for name, number in sorted(counts.items()):
        print(f"{name:<{width}}  {number:>5}")
    total = sum(counts.values())
    print(f"{'total':<{width}}  {total:>5}")
    if args.max is not None and total > args.max:
        what = "with Any in their type" if args.contains else "typed Any"
        print(f"count_any: {total} parameters {what}, more than {args.max}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
