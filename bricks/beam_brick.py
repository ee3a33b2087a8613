"""Beam size and shape at the sample, the aperture that sets them, and the flux."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.flux import AbstractFlux
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style


def format_size(size: tuple[float, float]) -> str:
    """``(0.05, 0.03)`` mm -> ``"50 × 30 µm"``."""
    return f"{size[0] * 1000:.3g} × {size[1] * 1000:.3g} µm"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_flux(flux: float) -> str:
    """``2.5e12`` -> ``"2.50 × 10¹² ph/s"``; ``0`` -> ``"0 ph/s"``."""
    if not flux > 0:
        return "0 ph/s"
    mantissa, exponent = f"{flux:.2e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)} ph/s"


class BeamBrick(Brick):
    """Beam size (µm) and shape; choose the aperture in the list to change them. With a
    flux object, the flux at the sample too."""

    PROPERTIES = (
        p.hardware_object("beam", "/beam", "the beam object", interface=AbstractBeam),
        p.hardware_object("flux", "", "the flux object (empty: no flux row)", AbstractFlux),
        p.boolean("allow_set", True, "let the user change the aperture"),
    )
    beamSizeChanged = pyqtSignal(float, float)
    SIGNALS = ("beamSizeChanged",)
    SLOTS = ("set_aperture",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.beam: AbstractBeam | None = None
        self.flux: AbstractFlux | None = None
        self.size_label = QLabel("-")
        self.shape_label = QLabel("-")
        self.aperture_box = QComboBox()
        self.aperture_box.activated[str].connect(self.set_aperture)  # the user's choices only
        self.flux_label = QLabel("-")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(2, 2, 2, 2)
        self.form.addRow("Beam size:", self.size_label)
        self.form.addRow("Shape:", self.shape_label)
        self.form.addRow("Aperture:", self.aperture_box)
        self.form.addRow("Flux:", self.flux_label)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "beam":
            self._set_beam(self.hardware_object("beam", AbstractBeam))
        elif name == "flux":
            self.flux = self.hardware_object("flux", AbstractFlux)
            self.flux_label.setVisible(self.flux is not None)
            self.form.labelForField(self.flux_label).setVisible(self.flux is not None)
            if self.flux is not None:
                self.bind(self.flux, "valueChanged", self._on_flux, scope="flux")
                self._on_flux(self.flux.get_value())
        elif name == "allow_set":
            self.aperture_box.setEnabled(
                new_value and self.beam is not None and bool(self.beam.get_aperture_list())
            )

    def _set_beam(self, beam: AbstractBeam | None) -> None:
        self.beam = beam
        if beam is None:
            return
        self.aperture_box.clear()
        self.aperture_box.addItems(beam.get_aperture_list())
        self.aperture_box.setEnabled(
            bool(beam.get_aperture_list()) and self.get_property("allow_set")
        )
        self.bind(beam, "beamSizeChanged", self._on_size, scope="beam")
        self.bind(beam, "apertureChanged", self._on_aperture, scope="beam")
        self.bind(beam, "stateChanged", self._on_state, scope="beam")
        self._on_size(beam.get_beam_size())
        self._on_aperture(beam.get_aperture())
        self._on_state(beam.get_state())

    def _on_size(self, size) -> None:
        self.size_label.setText(format_size(size))
        if self.beam is not None:
            self.shape_label.setText(self.beam.get_beam_shape())
        self.beamSizeChanged.emit(float(size[0]), float(size[1]))

    def _on_aperture(self, name) -> None:
        if name is None:  # not known (its device has not answered): no name, not the first
            self.aperture_box.setCurrentIndex(-1)
        else:
            self.aperture_box.setCurrentText(str(name))

    def _on_state(self, state: HardwareObjectState) -> None:
        self.aperture_box.setStyleSheet(f"QComboBox {{ {state_style(state)} }}")
        self.aperture_box.setToolTip(f"aperture: {state.name}")

    def _on_flux(self, flux: float) -> None:
        self.flux_label.setText(format_flux(flux))

    def set_aperture(self, name: str) -> None:
        """Put aperture ``name`` in the beam."""
        beam = self.beam
        if beam is not None:
            self.start(
                lambda: beam.set_aperture(name),
                "aperture change failed",
                self.aperture_box,
                restore=lambda: self._on_aperture(beam.get_aperture()),
            )
