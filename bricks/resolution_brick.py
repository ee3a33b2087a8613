"""Resolution and detector distance: show both with their limits, set either."""

from __future__ import annotations

import math

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QLabel, QWidget

from hardware_objects.abstract.actuator import AbstractActuator
from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.abstract.resolution import AbstractResolution
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style
from mxgui.gui.widgets import SetpointSpinBox

#: the fields accept any number; the hardware object refuses what is out of its limits
#: (the message names the limit), so a refusal is seen instead of a silent clamp
FIELD_RANGE = (0.0, 1e6)


def format_limits(limits: tuple[float, float], decimals: int, unit: str) -> str:
    """``"2.693 – 25.602 Å"`` (``∞`` for an infinite limit)."""

    def one(value: float) -> str:
        return f"{value:.{decimals}f}" if math.isfinite(value) else ("∞" if value > 0 else "-∞")

    return f"{one(limits[0])} – {one(limits[1])} {unit}".rstrip()


class ResolutionBrick(Brick):
    """Resolution (Å) at the detector edge and the detector distance (mm), each coloured
    by state and shown with its limits; type either and press Enter to move the detector."""

    PROPERTIES = (
        p.hardware_object(
            "resolution", "/resolution", "the resolution object", interface=AbstractResolution
        ),
        p.boolean("show_distance", True, "show the detector distance row"),
        p.boolean("allow_set", True, "let the user move the detector"),
    )
    resolutionChanged = pyqtSignal(float)
    SIGNALS = ("resolutionChanged",)
    SLOTS = ("set_resolution", "set_distance")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.resolution: AbstractResolution | None = None
        self.distance_motor: AbstractMotor | None = None
        self.resolution_input = self._field(" Å", self.set_resolution)
        self.distance_input = self._field(" mm", self.set_distance)
        self.resolution_limits = QLabel("-")
        self.distance_limits = QLabel("-")
        self.distance_label = QLabel("Distance:")
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 2, 2, 2)
        grid.addWidget(QLabel("Resolution:"), 0, 0)
        grid.addWidget(self.resolution_input, 0, 1)
        grid.addWidget(self.resolution_limits, 0, 2)
        grid.addWidget(self.distance_label, 1, 0)
        grid.addWidget(self.distance_input, 1, 1)
        grid.addWidget(self.distance_limits, 1, 2)
        grid.setColumnStretch(1, 1)

    def _field(self, suffix: str, on_enter) -> SetpointSpinBox:
        field = SetpointSpinBox()
        field.setRange(*FIELD_RANGE)
        field.setSuffix(suffix)
        field.setMinimumWidth(110)
        field.valueEntered.connect(on_enter)
        field.valueReverted.connect(self._show_values)
        return field

    # properties --------------------------------------------------------------------------
    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "resolution":
            self._set_resolution_object(self.hardware_object("resolution", AbstractResolution))
        elif name == "show_distance":
            for widget in (self.distance_label, self.distance_input, self.distance_limits):
                widget.setVisible(new_value)
        elif name == "allow_set":
            self.resolution_input.setReadOnly(not new_value)
            self.distance_input.setReadOnly(not new_value)

    def _set_resolution_object(self, resolution: AbstractResolution | None) -> None:
        self.resolution = resolution
        self.distance_motor = None if resolution is None else resolution.get_distance_motor()
        motor = self.distance_motor
        if resolution is None or motor is None:
            return
        self.resolution_input.setDecimals(resolution.get_property("decimals", 3))
        self.distance_input.setDecimals(motor.get_property("decimals", 2))
        self.distance_input.setSuffix(f" {motor.unit}" if motor.unit else " mm")
        self.bind(resolution, "valueChanged", self._on_resolution, scope="resolution")
        self.bind(resolution, "limitsChanged", self._on_resolution_limits, scope="resolution")
        self.bind(resolution, "stateChanged", self._on_resolution_state, scope="resolution")
        self.bind(motor, "valueChanged", self._on_distance, scope="resolution")
        self.bind(motor, "limitsChanged", self._on_distance_limits, scope="resolution")
        self.bind(motor, "stateChanged", self._on_distance_state, scope="resolution")
        self._show_values()
        self._on_resolution_limits(resolution.get_limits())
        self._on_distance_limits(motor.get_limits())
        self._on_resolution_state(resolution.get_state())
        self._on_distance_state(motor.get_state())

    # hardware -> display ----------------------------------------------------------------------
    def _show_values(self) -> None:
        if self.resolution is None or self.distance_motor is None:
            return
        self._on_resolution(self.resolution.get_value())
        self._on_distance(self.distance_motor.get_value())

    def _on_resolution(self, value) -> None:
        if value is None:
            return
        self.resolution_input.show_value(value)
        self.resolutionChanged.emit(float(value))

    def _on_distance(self, value) -> None:
        if value is not None:
            self.distance_input.show_value(value)

    def _on_resolution_limits(self, limits: tuple[float, float]) -> None:
        unit = self.resolution.unit if self.resolution is not None else ""
        self.resolution_limits.setText(
            format_limits(limits, self.resolution_input.decimals(), unit)
        )

    def _on_distance_limits(self, limits: tuple[float, float]) -> None:
        unit = self.distance_motor.unit if self.distance_motor is not None else ""
        self.distance_limits.setText(format_limits(limits, 0, unit))

    def _on_resolution_state(self, state: HardwareObjectState) -> None:
        self._colour(self.resolution_input, state, "resolution")

    def _on_distance_state(self, state: HardwareObjectState) -> None:
        self._colour(self.distance_input, state, "detector distance")

    @staticmethod
    def _colour(field: SetpointSpinBox, state: HardwareObjectState, what: str) -> None:
        field.setStyleSheet(f"QDoubleSpinBox {{ {state_style(state)} }}")
        field.setToolTip(f"{what}: {state.name}")

    # user -> hardware ------------------------------------------------------------------------
    def set_resolution(self, value: float) -> None:
        """Move the detector to reach ``value`` Å at the edge."""
        self._move(self.resolution, value, self.resolution_input, "resolution")

    def set_distance(self, value: float) -> None:
        """Move the detector to ``value`` mm."""
        self._move(self.distance_motor, value, self.distance_input, "detector distance")

    def _move(
        self, target: AbstractActuator | None, value: float, field: SetpointSpinBox, what: str
    ) -> None:
        if target is not None:
            self.start(
                lambda: target.set_value(value),
                f"{what}: move failed",
                field,
                restore=self._show_values,
            )
