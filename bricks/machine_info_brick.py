"""The storage ring as the beamline sees it: current, lifetime, fill mode, message."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QFormLayout, QLabel, QWidget

from hardware_objects.abstract.machine_info import AbstractMachineInfo
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext

#: background of the current: beam fine, current low, no beam
CURRENT_COLOURS = {"ok": "#c8e6c9", "low": "#ffd54f", "lost": "#ef9a9a"}


class MachineInfoBrick(Brick):
    """Ring current (green; yellow below ``low_current``; red without beam), lifetime,
    fill mode and the operators' message, updated as the machine reports them."""

    PROPERTIES = (
        p.hardware_object(
            "machine_info", "/machine_info", "the machine information", AbstractMachineInfo
        ),
        p.floating("low_current", 50.0, "current (mA) below which it is shown yellow", 0.0),
    )
    beamAvailable = pyqtSignal(bool)
    SIGNALS = ("beamAvailable",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.machine: AbstractMachineInfo | None = None
        self.current_label = QLabel("-")
        self.current_label.setAlignment(Qt.AlignCenter)
        font = self.current_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.current_label.setFont(font)
        self.lifetime_label = QLabel("-")
        self.fill_mode_label = QLabel("-")
        self.message_label = QLabel("-")
        self.message_label.setWordWrap(True)
        self.status = "ok"
        self._beam_available: bool | None = None
        form = QFormLayout(self)
        form.setContentsMargins(2, 2, 2, 2)
        form.addRow("Current:", self.current_label)
        form.addRow("Lifetime:", self.lifetime_label)
        form.addRow("Fill mode:", self.fill_mode_label)
        form.addRow("Message:", self.message_label)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "machine_info":
            self.machine = self.hardware_object("machine_info", AbstractMachineInfo)
            if self.machine is not None:
                self.bind(self.machine, "valueChanged", self._on_values, scope="machine_info")
                self._on_values(self.machine.get_value())
        elif name == "low_current" and self.machine is not None:
            self._on_values(self.machine.get_value())

    def _on_values(self, values: dict) -> None:
        current = values.get("current")
        available = bool(values.get("beam_available"))
        if current is None:
            self.current_label.setText("-")
        else:
            self.current_label.setText(f"{current:.1f} mA")
        if not available:
            self.status = "lost"
        elif current is not None and current < self.get_property("low_current"):
            self.status = "low"
        else:
            self.status = "ok"
        self.current_label.setStyleSheet(
            f"QLabel {{ background-color: {CURRENT_COLOURS[self.status]}; padding: 4px; "
            "border-radius: 3px; }"
        )
        self.current_label.setToolTip(
            {"ok": "beam", "low": "low current", "lost": "no beam"}[self.status]
        )
        lifetime = values.get("lifetime")
        self.lifetime_label.setText("-" if not lifetime else f"{lifetime:.1f} h")
        self.fill_mode_label.setText(str(values.get("fill_mode") or "-"))
        self.message_label.setText(str(values.get("message") or ""))
        if available != self._beam_available:
            self._beam_available = available
            self.beamAvailable.emit(available)
