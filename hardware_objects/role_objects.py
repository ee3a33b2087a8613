"""The objects attached to a hardware object by role, typed by the interface expected.

``get_object_by_role`` gives a plain ``HardwareObject`` (or ``None``); a hardware object
that calls methods of its role objects asks for them here with the interface it needs
(as a brick does with ``Brick.hardware_object``), so a wrong or missing object is a
configuration error naming the file, and the type checker knows what it holds.
"""

from __future__ import annotations

from typing import TypeVar

from mxgui.core.hardware_object import HardwareObject

T = TypeVar("T")


def role_object(owner: HardwareObject, role: str, kind: type[T] | tuple[type[T], ...]) -> T:
    """The object under ``role`` of ``owner``, a ``kind`` (an interface, or a tuple of
    them); a ``ConfigError`` at the owner's file when the role is missing or holds
    something else.

    ``kind`` may be an abstract class: mypy refuses those for a bare ``type[T]``
    parameter (its ``type-abstract`` check), not for this union, which
    ``Brick.hardware_object`` uses for the same reason.
    """
    found = owner.get_object_by_role(role)
    if not isinstance(found, kind):
        kinds = (kind,) if isinstance(kind, type) else kind
        wanted = " or ".join(k.__name__ for k in kinds)
        what = "nothing" if found is None else f"{found.name}, a {type(found).__name__}"
        raise owner.config_error(f'role "{role}" must be a {wanted}, got {what}')
    return found


def optional_role_object(
    owner: HardwareObject, role: str, kind: type[T] | tuple[type[T], ...]
) -> T | None:
    """Like :func:`role_object` for a role that may be left out (``None`` then)."""
    if owner.get_object_by_role(role) is None:
        return None
    return role_object(owner, role, kind)
