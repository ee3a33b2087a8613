"""Errors that name the place where something went wrong."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem at a known place: ``file:line: what was expected``.

    Parameters
    ----------
    path
        The file the problem is in (``None`` when no file is involved).
    line
        1-based line number, or ``None`` when the line is not known.
    message
        What was wrong and what was expected.
    """

    def __init__(self, path: str | None, line: int | None, message: str) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.message = message
        super().__init__(str(self))

    @property
    def where(self) -> str:
        """``file:line`` (or just ``file``) of the problem."""
        if self.path is None:
            return "<no file>"
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        return f"{self.where}: {self.message}"


class HardwareObjectError(Exception):
    """A hardware object could not be loaded or used; carries the original reason."""


class UnknownSignalError(ValueError):
    """A signal name that the hardware object does not declare."""


class Refused(ValueError):
    """An operation refused at once, before anything moved: the hardware is busy or in
    a state that does not allow it, or an argument is out of range. The message says why.

    Every hardware object refuses with this (or another ``ValueError``), so a brick
    shows one kind of refusal the same way; failures that happen later arrive on the
    operation's Future instead.
    """
