"""Transmission: the percentage of the beam let through, set by typing."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QWidget

from hardware_objects.abstract.transmission import AbstractTransmission
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style
from mxgui.gui.widgets import SetpointSpinBox


class TransmissionBrick(Brick):
    """Transmission in %, coloured by state, with its limits; type a value and press
    Enter to change the attenuators."""

    PROPERTIES = (
        p.hardware_object(
            "transmission", "/transmission", "the transmission", interface=AbstractTransmission
        ),
        p.boolean("allow_set", True, "let the user change the transmission"),
    )
    transmissionChanged = pyqtSignal(float)
    SIGNALS = ("transmissionChanged",)
    SLOTS = ("set_transmission",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.transmission: AbstractTransmission | None = None
        self.label = QLabel("Transmission:")
        self.value_input = SetpointSpinBox()
        # any number is accepted here: the hardware object refuses out-of-limit values
        # with a message naming the limit
        self.value_input.setRange(-1e6, 1e6)
        self.value_input.setSuffix(" %")
        self.value_input.setMinimumWidth(100)
        self.value_input.valueEntered.connect(self.set_transmission)
        self.value_input.valueReverted.connect(self._show_value)
        self.limits_label = QLabel("-")
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 2, 2, 2)
        row.addWidget(self.label)
        row.addWidget(self.value_input, 1)
        row.addWidget(self.limits_label)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "transmission":
            self.transmission = self.hardware_object("transmission", AbstractTransmission)
            if self.transmission is None:
                return
            self.label.setText(f"{self.transmission.username}:")
            self.value_input.setDecimals(self.transmission.get_property("decimals", 2))
            for signal, slot in (
                ("valueChanged", self._on_value),
                ("limitsChanged", self._on_limits),
                ("stateChanged", self._on_state),
            ):
                self.bind(self.transmission, signal, slot, scope="transmission")
            self._show_value()
            self._on_limits(self.transmission.get_limits())
            self._on_state(self.transmission.get_state())
        elif name == "allow_set":
            self.value_input.setReadOnly(not new_value)

    def _show_value(self) -> None:
        if self.transmission is not None:
            self._on_value(self.transmission.get_value())

    def _on_value(self, value) -> None:
        if value is None:
            return
        self.value_input.show_value(value)
        self.transmissionChanged.emit(float(value))

    def _on_limits(self, limits) -> None:
        self.limits_label.setText(f"{limits[0]:g} – {limits[1]:g} %")

    def _on_state(self, state: HardwareObjectState) -> None:
        self.value_input.setStyleSheet(f"QDoubleSpinBox {{ {state_style(state)} }}")
        self.value_input.setToolTip(f"transmission: {state.name}")

    def set_transmission(self, value: float) -> None:
        """Change the transmission to ``value`` %."""
        transmission = self.transmission
        if transmission is not None:
            self.start(
                lambda: transmission.set_value(value),
                "transmission change failed",
                self.value_input,
                restore=self._show_value,
            )
