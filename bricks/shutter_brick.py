"""A shutter: its position in colour, and one button to open or close it."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from hardware_objects.abstract.shutter import CLOSED, OPEN, AbstractShutter
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import STATE_COLOURS

#: background of the position label: open is green (beam may pass), closed grey-red
POSITION_COLOURS = {OPEN: "#81c784", CLOSED: "#e57373"}


class ShutterBrick(Brick):
    """Shows whether the shutter is open (green) or closed (red); moving is yellow and a
    fault is shown with its reason. The button opens a closed shutter and closes an
    open one."""

    PROPERTIES = (
        p.hardware_object("shutter", "", "the shutter, e.g. /safety_shutter", AbstractShutter),
        p.string("label", doc="label shown (default: the shutter's user name)"),
    )
    shutterChanged = pyqtSignal(str)
    SIGNALS = ("shutterChanged",)
    SLOTS = ("open_shutter", "close_shutter")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.shutter: AbstractShutter | None = None
        self.label = QLabel(name)
        self.label.setMinimumWidth(120)
        self.position_label = QLabel("-")
        self.position_label.setAlignment(Qt.AlignCenter)
        self.position_label.setMinimumWidth(80)
        self.button = QPushButton("Open")
        self.button.setMinimumWidth(70)
        self.button.clicked.connect(self._toggle)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 2, 2, 2)
        row.addWidget(self.label)
        row.addWidget(self.position_label, 1)
        row.addWidget(self.button)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "shutter":
            self.shutter = self.hardware_object("shutter", AbstractShutter)
            self._update_label()
            if self.shutter is not None:
                self.bind(self.shutter, "valueChanged", self._show, scope="shutter")
                self.bind(self.shutter, "stateChanged", self._show, scope="shutter")
                self._show()
        elif name == "label":
            self._update_label()

    def _update_label(self) -> None:
        text = self.get_property("label") or (self.shutter.username if self.shutter else self.name)
        self.label.setText(text)

    # hardware -> display ---------------------------------------------------------------------
    def _show(self, *_args) -> None:
        if self.shutter is None:
            return
        value, state = self.shutter.get_value(), self.shutter.get_state()
        if state is HardwareObjectState.BUSY:
            text, colour = "MOVING", STATE_COLOURS[state]
        elif state in (HardwareObjectState.FAULT, HardwareObjectState.UNKNOWN):
            text, colour = state.name, STATE_COLOURS[state]
        else:
            text = str(value)
            colour = POSITION_COLOURS.get(text, STATE_COLOURS[HardwareObjectState.UNKNOWN])
        # a fault also gets a dark border and bold text: its red must not read as CLOSED
        extra = (
            "border: 2px solid #b71c1c; font-weight: bold;"
            if state is HardwareObjectState.FAULT
            else ""
        )
        self.position_label.setText(text)
        self.position_label.setStyleSheet(
            f"QLabel {{ background-color: {colour}; padding: 3px; border-radius: 3px; {extra}}}"
        )
        if state is not HardwareObjectState.FAULT:
            self.position_label.setToolTip(f"{self.label.text()}: {text}")
        self.button.setText("Close" if value == OPEN else "Open")
        self.button.setEnabled(state is not HardwareObjectState.BUSY)
        self.shutterChanged.emit(text)

    # user -> hardware --------------------------------------------------------------------------
    def _toggle(self) -> None:
        if self.shutter is not None and self.shutter.is_open():
            self.close_shutter()
        else:
            self.open_shutter()

    def open_shutter(self) -> None:
        """Open the shutter."""
        self._move(OPEN)

    def close_shutter(self) -> None:
        """Close the shutter."""
        self._move(CLOSED)

    def _move(self, position: str) -> None:
        shutter = self.shutter
        if shutter is not None:
            self.start(lambda: shutter.set_value(position), self.label.text(), self.position_label)
