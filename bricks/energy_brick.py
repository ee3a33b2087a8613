"""Energy and wavelength: show both, set either."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QFormLayout, QLabel, QLineEdit, QWidget

from hardware_objects.abstract.energy import AbstractEnergy
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style
from mxgui.gui.widgets import SetpointSpinBox


class EnergyBrick(Brick):
    """Current energy (keV) and wavelength (Å), coloured by state; type a new energy
    or wavelength and press Enter to move."""

    PROPERTIES = (
        p.hardware_object("energy", "/energy", "the energy object", interface=AbstractEnergy),
        p.boolean("allow_set", True, "let the user change the energy"),
    )
    energyChanged = pyqtSignal(float)
    SIGNALS = ("energyChanged",)
    SLOTS = ("set_energy",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.energy: AbstractEnergy | None = None
        self.energy_label = QLabel("-")
        self.wavelength_label = QLabel("-")
        self.energy_input = SetpointSpinBox()
        self.energy_input.setDecimals(4)
        self.energy_input.setSuffix(" keV")
        self.wavelength_input = QLineEdit()
        self.wavelength_input.setPlaceholderText("wavelength in Å, Enter to move")
        self.energy_input.valueEntered.connect(self.set_energy)
        self.wavelength_input.returnPressed.connect(self._on_wavelength_entered)
        form = QFormLayout(self)
        form.setContentsMargins(2, 2, 2, 2)
        form.addRow("Energy:", self.energy_label)
        form.addRow("Wavelength:", self.wavelength_label)
        form.addRow("Set energy:", self.energy_input)
        form.addRow("Set wavelength:", self.wavelength_input)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "energy":
            self.energy = self.hardware_object("energy", AbstractEnergy)
            if self.energy is not None:
                low, high = self.energy.get_limits()
                self.energy_input.setRange(low, high)
                self.bind(self.energy, "valueChanged", self._on_value, scope="energy")
                self.bind(self.energy, "stateChanged", self._on_state, scope="energy")
                self._on_value(self.energy.get_value())
                self.energy_input.setValue(self.energy.get_value() or low)
                self._on_state(self.energy.get_state())
        elif name == "allow_set":
            self.energy_input.setEnabled(new_value)
            self.wavelength_input.setEnabled(new_value)

    def _on_value(self, value) -> None:
        if value is None or self.energy is None:
            return
        self.energy_label.setText(f"{value:.4f} keV")
        self.wavelength_label.setText(f"{self.energy.get_wavelength():.5f} Å")
        self.energyChanged.emit(float(value))

    def _on_state(self, state: HardwareObjectState) -> None:
        for label in (self.energy_label, self.wavelength_label):
            label.setStyleSheet(f"QLabel {{ {state_style(state)} padding: 2px; }}")
            label.setToolTip(f"energy: {state.name}")

    def _on_wavelength_entered(self) -> None:
        energy = self.energy
        if energy is None:
            return
        text = self.wavelength_input.text().strip()
        self.start(
            lambda: energy.set_wavelength(float(text)),
            "energy change failed",
            self.energy_input,
            refused=f"wavelength {text!r}",
        )

    def set_energy(self, energy: float) -> None:
        """Move the energy to ``energy`` keV."""
        hardware = self.energy
        if hardware is not None:
            self.start(
                lambda: hardware.set_value(energy), "energy change failed", self.energy_input
            )
