"""The actuator model shared by every motor-like thing."""

from __future__ import annotations

import abc
import math
from concurrent.futures import Future
from typing import Any, ClassVar, Generic, SupportsFloat, SupportsIndex, TypeVar

from mxgui.core.futures import wait
from mxgui.core.hardware_object import HardwareObject, HOProperty

#: the type of an actuator's value: ``float`` for a motor, ``str`` for an N-state one
ValueT = TypeVar("ValueT")


class AbstractActuator(HardwareObject, abc.ABC, Generic[ValueT]):
    """Something with a value that can be read and set: a motor, the energy, ...

    ``set_value`` checks the value at once (:meth:`validate_value`: ``ValueError``
    naming the limit), starts the change and returns a
    :class:`concurrent.futures.Future` that completes when the change ends; it never
    blocks unless asked to with ``timeout``. ``ValueT`` is the type of the value:
    :class:`AbstractNumericActuator` for numbers, ``AbstractNState`` for names.

    Signals: ``valueChanged(value)``, ``stateChanged(state)``, ``limitsChanged((low, high))``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("valueChanged", "limitsChanged")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "", "name shown to the user"),
        "unit": HOProperty(str, "", "unit of the value"),
        "read_only": HOProperty(bool, False, "refuse set_value"),
        "low_limit": HOProperty(float, -math.inf, "lowest value allowed"),
        "high_limit": HOProperty(float, math.inf, "highest value allowed"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._value: ValueT | None = None
        self._limits = (-math.inf, math.inf)

    def init(self) -> None:
        low, high = self.get_property("low_limit"), self.get_property("high_limit")
        if low > high:
            raise self.config_error(f"low_limit {low} is above high_limit {high}", "low_limit")
        self._limits = (low, high)

    @property
    def username(self) -> str:
        """Name shown to the user (the object name when none is configured)."""
        return self.get_property("username") or self.name.strip("/")

    @property
    def unit(self) -> str:
        return self.get_property("unit") or ""

    def get_value(self) -> ValueT | None:
        """The current value (``None`` before the first reading)."""
        return self._value

    def get_known_value(self) -> ValueT:
        """The current value; ``RuntimeError`` naming the actuator before the first
        reading (where a step cannot go on without it)."""
        value = self._value
        if value is None:
            raise RuntimeError(f"{self.username}: no value read yet")
        return value

    def get_limits(self) -> tuple[float, float]:
        """``(low, high)`` limits of the value."""
        return self._limits

    def set_limits(self, limits: tuple[float, float]) -> None:
        """Change the limits and emit ``limitsChanged``."""
        low, high = float(limits[0]), float(limits[1])
        if low > high:
            raise ValueError(f"{self.username}: low limit {low} is above high limit {high}")
        self._limits = (low, high)
        self.emit("limitsChanged", self._limits)

    @abc.abstractmethod
    def validate_value(self, value: object) -> ValueT:
        """``value`` as this actuator's type, or ``ValueError`` saying why not (any
        value may come in: typed by a user, sent over XML-RPC)."""

    def set_value(self, value: object, timeout: float | None = 0) -> Future[Any]:
        """Start changing the value; return a Future that ends with the change.

        ``timeout=0`` returns at once, ``None`` waits for the end, a number waits at most
        that many seconds (``TimeoutError`` after).
        """
        if self.get_property("read_only"):
            raise ValueError(f"{self.username} is read-only")
        self.check_interlock(f"{self.username}: the move to {value!r}")
        return wait(self._set_value(self.validate_value(value)), timeout)

    def update_value(self, value: ValueT) -> None:
        """Record a new reading and emit ``valueChanged`` if it changed."""
        if value != self._value:
            self._value = value
            self.emit("valueChanged", value)

    @abc.abstractmethod
    def _set_value(self, value: ValueT) -> Future[Any]:
        """Start the change to an already validated value."""

    def abort(self) -> None:
        """Stop a change in progress (no-op by default)."""


class AbstractNumericActuator(AbstractActuator[float]):
    """An actuator whose value is a number within limits: a motor, the energy, the
    transmission, the resolution."""

    def validate_value(self, value: object) -> float:
        """``value`` as a float within the limits, or ``ValueError`` saying why not."""
        if not isinstance(value, (str, bytes, SupportsFloat, SupportsIndex)):
            raise ValueError(f"{self.username}: {value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.username}: {value!r} is not a number") from None
        if math.isnan(number):
            raise ValueError(f"{self.username}: NaN is not a position")
        low, high = self.get_limits()
        if number < low:
            raise ValueError(self._limit_message(number, "below the low", low))
        if number > high:
            raise ValueError(self._limit_message(number, "above the high", high))
        return number

    def _limit_message(self, value: float, which: str, limit: float) -> str:
        return f"{self.username}: {value:g} is {which} limit {limit:g} {self.unit}".rstrip()
