"""A motor: position, step moves, stop, state colour."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style
from mxgui.gui.widgets import SetpointSpinBox


class MotorBrick(Brick):
    """Shows a motor's position coloured by state; type a position and press Enter to
    move, step with - / +, stop with the stop button."""

    PROPERTIES = (
        p.hardware_object("motor", doc="the motor, e.g. /phi", interface=AbstractMotor),
        p.string("label", doc="label shown (default: the motor's user name)"),
        p.floating("step", 1.0, "step of the - / + buttons", minimum=0.0),
        p.integer("decimals", -1, "decimals shown (-1: the motor's own)", minimum=-1, maximum=10),
        p.boolean("show_step", True, "show the step buttons"),
    )
    valueChanged = pyqtSignal(float)
    SIGNALS = ("valueChanged",)
    SLOTS = ("move_to", "stop", "set_step")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.motor: AbstractMotor | None = None
        self.label = QLabel(name)
        # narrow enough for two columns of bricks in a 1280-pixel-wide window
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("sampx") + 8)
        self.position = SetpointSpinBox()
        self.position.setMinimumWidth(96)
        self.position.valueEntered.connect(self.move_to)
        self.position.valueReverted.connect(self._show_motor_value)
        self.minus = QPushButton("−")
        self.plus = QPushButton("+")
        self.step_box = QDoubleSpinBox()
        self.step_box.setRange(0.0, 1e6)
        self.step_box.setToolTip("step of the - / + buttons")
        self.step_box.setMaximumWidth(self.step_box.fontMetrics().horizontalAdvance("0000.00") + 24)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.setMaximumWidth(
            self.stop_button.fontMetrics().horizontalAdvance("Stop") + 24
        )
        for button in (self.minus, self.plus):
            button.setFixedWidth(28)
        self.minus.clicked.connect(lambda: self._step(-1))
        self.plus.clicked.connect(lambda: self._step(+1))
        self.stop_button.clicked.connect(self.stop)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 2, 2, 2)
        for widget in (
            self.label,
            self.position,
            self.minus,
            self.step_box,
            self.plus,
            self.stop_button,
        ):
            row.addWidget(widget)

    # properties ---------------------------------------------------------------------------
    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "motor":
            self._set_motor(self.hardware_object("motor", AbstractMotor))
        elif name == "label":
            self._update_label()
        elif name == "step":
            self.step_box.setValue(new_value)
        elif name == "decimals":
            self._update_decimals()
        elif name == "show_step":
            for widget in (self.minus, self.step_box, self.plus):
                widget.setVisible(new_value)

    def _set_motor(self, motor: AbstractMotor | None) -> None:
        self.motor = motor
        self._update_label()
        if motor is None:
            return
        low, high = motor.get_limits()
        self.position.setRange(max(low, -1e9), min(high, 1e9))
        self.position.setSuffix(f" {motor.unit}" if motor.unit else "")
        self._update_decimals()
        self.bind(motor, "valueChanged", self._on_value, scope="motor")
        self.bind(motor, "stateChanged", self._on_state, scope="motor")
        self.bind(motor, "limitsChanged", self._on_limits, scope="motor")
        self._on_value(motor.get_value())
        self._on_state(motor.get_state())

    def _update_label(self) -> None:
        text = self.get_property("label") or (self.motor.username if self.motor else self.name)
        self.label.setText(text)

    def _update_decimals(self) -> None:
        decimals = self.get_property("decimals")
        if decimals < 0:
            decimals = self.motor.get_property("decimals", 3) if self.motor else 3
        self.position.setDecimals(decimals)
        self.step_box.setDecimals(decimals)

    # hardware -> display -----------------------------------------------------------------------
    def _on_value(self, value) -> None:
        if value is None:
            return
        self.position.show_value(value)
        self.valueChanged.emit(float(value))

    def _on_state(self, state: HardwareObjectState) -> None:
        self.position.setStyleSheet(f"QDoubleSpinBox {{ {state_style(state)} }}")
        self.position.setToolTip(f"{self.label.text()}: {state.name}")
        moving = state is HardwareObjectState.BUSY
        self.stop_button.setEnabled(moving)

    def _on_limits(self, limits) -> None:
        self.position.setRange(max(limits[0], -1e9), min(limits[1], 1e9))

    # user -> hardware ---------------------------------------------------------------------
    def _show_motor_value(self) -> None:
        value = None if self.motor is None else self.motor.get_value()
        if value is not None:
            self.position.show_value(value)

    def _step(self, direction: int) -> None:
        value = None if self.motor is None else self.motor.get_value()
        if value is not None:
            self.move_to(value + direction * self.step_box.value())

    def move_to(self, value: float) -> None:
        """Move the motor to ``value``; a refused or failed move is logged and shown."""
        motor = self.motor
        if motor is not None:
            self.start(
                lambda: motor.set_value(value),
                f"{self.label.text()}: move failed",
                self.position,
                restore=self._show_motor_value,
            )

    def stop(self) -> None:
        """Stop the motor."""
        if self.motor is not None:
            self.motor.stop()

    def set_step(self, step: float) -> None:
        """Set the step of the - / + buttons."""
        self.step_box.setValue(step)
