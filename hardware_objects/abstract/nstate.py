"""Actuators with a few named positions: zoom levels, apertures, shutters, filters."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.actuator import AbstractActuator
from mxgui.core.hardware_object import HOProperty


class AbstractNState(AbstractActuator[str]):
    """An actuator whose value is one of a list of names (``get_values()``).

    The names come from repeated ``<value>`` elements in the XML file, in order.
    ``set_value(name)`` refuses a name not in the list, naming the allowed ones.

    Signals: ``valueChanged(name)``, ``stateChanged(state)``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "value": HOProperty(list, None, "the names of the positions, one element each")
    }

    def init(self) -> None:
        super().init()
        values = self.get_property("value")
        if values is None:
            raise self.config_error(
                f"{type(self).__name__} needs <value> elements (one per position)"
            )
        values = values if isinstance(values, list) else [values]
        self._values = [str(v) for v in values]
        if len(set(self._values)) != len(self._values):
            raise self.config_error("the <value> names must be different", "value")

    def get_values(self) -> list[str]:
        """The names of the positions, in order."""
        return list(self._values)

    def validate_value(self, value: object) -> str:
        name = str(value)
        if name not in self._values:
            raise ValueError(f"{self.username}: {value!r} is not one of {', '.join(self._values)}")
        return name
