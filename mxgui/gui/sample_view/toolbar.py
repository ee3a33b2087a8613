"""The sample view's tool bar: one button per interaction mode, the centring's Accept /
Reject / Cancel, and the shape and snapshot actions."""

from __future__ import annotations

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QAction, QToolButton, QWidget

from mxgui.gui.flow_layout import FlowLayout
from mxgui.gui.sample_view.centring_workflow import CentringStep
from mxgui.gui.sample_view.modes import Mode

_MODE_ACTIONS = (
    (Mode.MOVE_TO_BEAM, "Move to beam", "click a point to move it onto the beam"),
    (Mode.DRAW_GRID, "Grid", "drag a rectangle to draw a mesh grid"),
    (Mode.DRAW_LINE, "Line", "click two points to draw a line (helical collection)"),
    (Mode.MEASURE, "Measure", "drag to measure a distance on the sample"),
)


class SampleViewToolbar(QWidget):
    """Buttons that ask for things; they never act on hardware themselves.

    ``modeRequested(mode)``: a mode button was pressed (pressing the button of the
    current mode asks for :attr:`Mode.IDLE`). ``acceptRequested``, ``rejectRequested``,
    ``cancelRequested``, ``savePointRequested``, ``lineFromPointsRequested``, ``snapshotRequested``.
    :meth:`show_mode` and :meth:`show_centring_step` keep the buttons' states in step.
    The buttons wrap onto a second row when the view is narrow, in groups (centring,
    modes, shapes): none is hidden behind an overflow menu.
    """

    modeRequested = pyqtSignal(object)
    acceptRequested = pyqtSignal()
    rejectRequested = pyqtSignal()
    cancelRequested = pyqtSignal()
    savePointRequested = pyqtSignal()
    lineFromPointsRequested = pyqtSignal()
    snapshotRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self)
        self._mode = Mode.IDLE
        self._buttons: dict[QAction, QToolButton] = {}
        self.mode_actions: dict[Mode, QAction] = {}
        self._mode_action(Mode.CENTRING, "3-click centring", "start a 3-click centring")
        self.accept_action = self._action("Accept", "keep the centred position as a point")
        self.reject_action = self._action("Reject", "drop the result and move back")
        self.cancel_action = self._action("Cancel", "stop the centring and move back (Esc)")
        self.flow.add_gap()
        for mode, text, tip in _MODE_ACTIONS:
            self._mode_action(mode, text, tip)
        self.flow.add_gap()
        self.save_point_action = self._action("Save point", "save the point on the beam")
        self.line_action = self._action("Line from points", "a line between 2 selected points")
        self.snapshot_action = self._action("Snapshot…", "save the image with overlays (PNG)")
        for action, signal in (
            (self.accept_action, self.acceptRequested),
            (self.reject_action, self.rejectRequested),
            (self.cancel_action, self.cancelRequested),
            (self.save_point_action, self.savePointRequested),
            (self.line_action, self.lineFromPointsRequested),
            (self.snapshot_action, self.snapshotRequested),
        ):
            action.triggered.connect(signal)
        self.line_action.setEnabled(False)
        #: the buttons, for tests and for scripts that click them
        self.mode_buttons = {
            mode: self.button(action) for mode, action in self.mode_actions.items()
        }
        self.accept_button = self.button(self.accept_action)
        self.reject_button = self.button(self.reject_action)
        self.cancel_button = self.button(self.cancel_action)
        self.show_centring_step(CentringStep.IDLE)

    def _action(self, text: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        self.addAction(action)
        button = QToolButton()
        button.setDefaultAction(action)
        self.flow.add_widget(button)
        self._buttons[action] = button
        return action

    def _mode_action(self, mode: Mode, text: str, tip: str) -> None:
        action = self._action(text, f"{tip}; Esc leaves it")
        action.setCheckable(True)
        action.triggered.connect(lambda _checked, mode=mode: self._mode_clicked(mode))
        self.mode_actions[mode] = action

    def button(self, action: QAction) -> QToolButton:
        """The tool button showing ``action``."""
        return self._buttons[action]

    def _mode_clicked(self, mode: Mode) -> None:
        self.show_mode(self._mode)  # the state follows the mode, not the click
        self.modeRequested.emit(Mode.IDLE if mode is self._mode else mode)

    def show_mode(self, mode: Mode) -> None:
        self._mode = mode
        for action_mode, action in self.mode_actions.items():
            action.setChecked(action_mode is mode)

    def show_centring_step(self, step: CentringStep) -> None:
        self.accept_action.setEnabled(step is CentringStep.CENTRED)
        self.reject_action.setEnabled(step is CentringStep.CENTRED)
        self.cancel_action.setEnabled(step is not CentringStep.IDLE)

    def set_points_selected(self, count: int) -> None:
        """Enable "Line from points" when exactly two points are selected."""
        self.line_action.setEnabled(count == 2)
