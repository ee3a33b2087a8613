"""Find brick classes by name: ``MotorBrick`` lives in ``bricks/motor_brick.py``."""

from __future__ import annotations

import importlib
import pkgutil
import re

import bricks
from mxgui.gui.brick import Brick


class UnknownBrickError(LookupError):
    """No brick of that class name (the message lists the known ones)."""


def module_name(class_name: str) -> str:
    """``MotorBrick`` -> ``motor_brick`` (snake case of the class name)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


def available_bricks() -> list[str]:
    """Class names of every brick module in ``bricks/`` (module names in CamelCase)."""
    names = []
    for info in pkgutil.iter_modules(bricks.__path__):
        if not info.name.startswith("_"):
            names.append("".join(part.capitalize() for part in info.name.split("_")))
    return sorted(names)


def brick_class(class_name: str) -> type[Brick]:
    """The brick class called ``class_name``; ``UnknownBrickError`` saying why not."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", class_name or ""):
        raise UnknownBrickError(f"{class_name!r} is not a brick class name")
    module = f"bricks.{module_name(class_name)}"
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise UnknownBrickError(f"importing {module} failed: {exc}") from exc
        raise UnknownBrickError(
            f"unknown brick class {class_name!r}; known: {', '.join(available_bricks())}"
        ) from None
    except Exception as exc:
        raise UnknownBrickError(f"importing {module} failed: {type(exc).__name__}: {exc}") from exc
    cls = getattr(imported, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Brick)):
        raise UnknownBrickError(f"{module} defines no Brick subclass named {class_name!r}")
    return cls
