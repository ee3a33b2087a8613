"""Run, pause, stop and skip the queue; confirm a run; follow the current entry."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS, CentredPosition
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.nodes import ROOT_ID, QueueError, UnknownNodeError
from mxgui.core.roles import QueueEngineRole
from mxgui.core.words import counted
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.queue.dialogs import RunConfirmDialog
from mxgui.gui.queue.status_style import status_label
from mxgui.gui.widgets import ProgressLine

log = logging.getLogger(__name__)

PROBLEM_STYLE = "QLabel { color: #b71c1c; }"
#: the idle bar's words for how the last run ended (others: "ended with <status>")
_LAST_RUN = {"stopped": "was stopped", "failed": "failed"}
ON_FAILURE = ("next sample", "stop the queue")
#: what the engine does after a failure, for each choice of :data:`ON_FAILURE`
ON_FAILURE_EXPLAINED = (
    "A failed task, mount or centring: the rest of this sample is skipped (left not "
    "run) and the queue goes on with the next sample.",
    "A failed task, mount or centring: the rest of this sample is left not run and the "
    "queue stops; Run all later goes on with what has not run.",
)


def free_bytes(directory: str) -> float | None:
    """Free space on the disk of ``directory`` (or of its nearest existing parent)."""
    path = os.path.abspath(directory or os.sep)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    try:
        return float(shutil.disk_usage(path).free)
    except OSError:
        return None


class QueueControlBrick(Brick):
    """Run all, run the selected node, pause / resume, stop, skip; what to do when an
    entry fails; the entry running and its progress.

    Before a run a confirmation dialog (:attr:`confirm_dialog`) says what will run:
    tasks, images, estimated time, disk space, run-number collisions. When the engine
    asks for a centring, the brick offers the diffractometer's current position or
    cancel; when a sample view answers (it registered with the queue object's
    ``add_centring_handler``), the brick only says to centre there. Connect the queue tree's
    ``nodesSelected`` to :meth:`set_selected_nodes` and ``runRequested`` to
    :meth:`run_node`.
    """

    PROPERTIES = (
        p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),
        p.combo(
            "on_failure", ("continue", "stop"), "continue", "what the queue does after a failure"
        ),
    )
    runningChanged = pyqtSignal(bool)
    SIGNALS = ("runningChanged",)
    SLOTS = ("set_selected_nodes", "run_all", "run_node", "run_selected", "stop")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.engine: QueueEngineRole | None = None
        self.selection: list[int] = []
        self.confirm_dialog: RunConfirmDialog | None = None
        #: the sample whose centring the buttons answer; the one whose centring is awaited
        self.centring_node: int | None = None
        self.awaited_centring: int | None = None
        self.run_all_button = QPushButton("Run all")
        self.run_selected_button = QPushButton("Run selected")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.skip_button = QPushButton("Skip")
        self.run_all_button.clicked.connect(lambda: self.run_all())
        self.run_selected_button.clicked.connect(lambda: self.run_selected())
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.stop_button.clicked.connect(lambda: self.stop())
        self.skip_button.clicked.connect(self.skip)
        self.failure_choice = QComboBox()
        for index, (choice, explained) in enumerate(zip(ON_FAILURE, ON_FAILURE_EXPLAINED)):
            self.failure_choice.addItem(choice)
            self.failure_choice.setItemData(index, explained, Qt.ToolTipRole)
        self.failure_explained = QLabel()
        self.failure_explained.setWordWrap(True)
        self.failure_explained.setStyleSheet("QLabel { color: #555555; }")
        self.failure_choice.currentIndexChanged.connect(self._failure_choice_changed)
        self.current_label = QLabel("Idle")
        self.current_label.setWordWrap(True)
        self.progress = ProgressLine()
        self.progress.setTextVisible(False)
        self.centring_box = QGroupBox("Centring")
        self.centring_label = QLabel()
        self.centring_label.setWordWrap(True)
        self.use_position_button = QPushButton("Use current position")
        self.cancel_centring_button = QPushButton("Cancel")
        self.use_position_button.clicked.connect(self.use_current_position)
        self.cancel_centring_button.clicked.connect(self.cancel_centring)
        centring = QVBoxLayout(self.centring_box)
        centring.addWidget(self.centring_label)
        centring_buttons = QHBoxLayout()
        centring_buttons.addWidget(self.use_position_button)
        centring_buttons.addWidget(self.cancel_centring_button)
        centring.addLayout(centring_buttons)
        self.centring_box.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QGridLayout()  # two rows: the brick fits a narrow column
        buttons.addWidget(self.run_all_button, 0, 0)
        buttons.addWidget(self.run_selected_button, 0, 1, 1, 2)
        for index, button in enumerate((self.pause_button, self.stop_button, self.skip_button)):
            buttons.addWidget(button, 1, index)
        failure = QHBoxLayout()
        failure.addWidget(QLabel("On failure:"))
        failure.addWidget(self.failure_choice, 1)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(failure)
        column.addWidget(self.failure_explained)
        column.addWidget(self.current_label)
        column.addWidget(self.progress)
        column.addWidget(self.centring_box)
        column.addWidget(self.message)
        column.addStretch(1)
        # in a short pane the brick scrolls: the centring buttons are never squeezed away
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.NoFrame)
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)  # the buttons stay in sight; the rest may scroll
        outer.setContentsMargins(2, 2, 2, 0)
        outer.addLayout(buttons)
        outer.addWidget(self.scroll_area)
        self._failure_choice_changed()
        self._update_buttons()

    # properties -----------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "queue":
            self.unbind("queue")
            self.queue = self.hardware_object("queue", QueueHardwareObject)
            if self.queue is not None:
                self.bind(self.queue, "engineChanged", self._set_engine, scope="queue")
            self._set_engine(self.queue.engine if self.queue is not None else None)
        elif name == "on_failure":
            self.failure_choice.setCurrentIndex(0 if new_value == "continue" else 1)

    def _set_engine(self, engine: QueueEngineRole | None) -> None:
        self.unbind("engine")
        self.engine = engine
        if engine is not None:
            for signal, handler in self._engine_handlers().items():
                self.bind(engine, signal, handler, scope="engine")
            self._failure_choice_changed()
        self._update_buttons()

    def _engine_handlers(self) -> dict[str, Callable[..., None]]:
        """The slot of each signal of the queue engine this brick follows."""
        return {
            "executionStarted": self._execution_started,
            "entryStarted": self._entry_started,
            "progressChanged": self._progress_changed,
            "entryFinished": self._entry_finished,
            "executionPaused": self._execution_paused,
            "executionResumed": self._execution_resumed,
            "executionFinished": self._execution_finished,
            "centringRequested": self._centring_requested,
        }

    def _failure_choice_changed(self, *_args: object) -> None:
        explained = ON_FAILURE_EXPLAINED[max(self.failure_choice.currentIndex(), 0)]
        self.failure_explained.setText(explained)
        self.failure_choice.setToolTip(explained)
        if self.engine is not None:
            self.engine.set_continue_on_failure(self.failure_choice.currentIndex() == 0)

    # state ---------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self.engine is not None and bool(self.engine.is_running())

    def _update_buttons(self) -> None:
        engine, running = self.engine, self.is_running()
        paused = running and engine is not None and bool(engine.is_paused())
        idle = engine is not None and not running
        self.run_all_button.setEnabled(idle)
        self.run_selected_button.setEnabled(idle and bool(self.selection))
        self.run_selected_button.setToolTip(
            "run the selected samples, groups or tasks, in queue order"
            if self.selection
            else "select samples, groups or tasks in the queue"
        )
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.stop_button.setEnabled(running)
        self.skip_button.setEnabled(running and not paused)
        self.failure_choice.setEnabled(engine is not None)
        if engine is None:
            self.current_label.setText("No queue engine: the queue can be built, not run.")
        elif not running and self.current_label.text().startswith("No queue engine"):
            self.current_label.setText("Idle")

    def set_selected_nodes(self, node_ids: list) -> None:
        """The nodes selected in the queue tree (Run selected runs them all)."""
        self.selection = [int(i) for i in node_ids]
        self._update_buttons()

    # running ---------------------------------------------------------------------------------
    def run_all(self) -> RunConfirmDialog | None:
        """Confirm, then run every enabled node that has not run."""
        engine = self.engine
        if self.queue is None or engine is None:
            return None
        ids = list(self.queue.model.children(ROOT_ID))
        if not ids:
            self._problem("The queue is empty: add samples and tasks first.")
            return None
        return self._confirm("Run all", ids, engine.run_all, alone=False)

    def run_selected(self) -> RunConfirmDialog | None:
        """Confirm, then run the selected nodes one after the other, in queue order."""
        if len(self.selection) == 1:
            return self.run_node(self.selection[0])
        engine = self.engine
        if self.queue is None or engine is None or not self.selection:
            return None
        model = self.queue.model
        ids = [node_id for node_id in self.selection if node_id in model]
        if not ids:
            self._problem("The selected entries are no longer in the queue.")
            return None
        return self._confirm(
            f"Run {len(ids)} selected entries", ids, lambda: engine.run_nodes(ids), alone=False
        )

    def run_node(self, node_id: int) -> RunConfirmDialog | None:
        """Confirm, then run node ``node_id`` (a sample, a group or a task)."""
        engine = self.engine
        if self.queue is None or engine is None:
            return None
        try:
            node = self.queue.model.get_node(node_id)
        except UnknownNodeError as exc:
            self._problem(str(exc))
            return None
        return self._confirm(
            f"Run {node.describe()}", [node_id], lambda: engine.run(node_id), alone=True
        )

    def _confirm(
        self, what: str, ids: list[int], start: Callable[[], object], alone: bool
    ) -> RunConfirmDialog | None:
        """Open the confirmation of running ``ids`` (``alone``: one node on its own,
        as ``engine.run``; else as Run all), which calls ``start`` when accepted."""
        if self.queue is None:
            return None
        if self.is_running():
            self._problem("The queue is running: stop it first.")
            return None
        summary = self.queue.summarise(ids, alone=alone)
        session = self.queue.session
        space = free_bytes(session.get_base_data_directory()) if session is not None else None
        dialog = RunConfirmDialog(what, summary, space, self)
        dialog.accepted.connect(lambda: self._confirmed(dialog, start))
        dialog.finished.connect(dialog.deleteLater)
        self.confirm_dialog = dialog
        dialog.open()
        return dialog

    def _confirmed(self, dialog: RunConfirmDialog, start: Callable[[], object]) -> None:
        self.confirm_dialog = None
        try:
            if dialog.renumber and self.queue is not None:
                changed = self.queue.renumber(dialog.colliding_ids())
                got = counted(changed, "task got a free run number", "tasks got free run numbers")
                self._message(got)
            start()
        except (QueueError, ValueError, RuntimeError) as exc:
            self._problem(f"The queue did not start: {exc}")
        self._update_buttons()

    def pause_or_resume(self) -> None:
        if self.engine is None:
            return
        if self.engine.is_paused():
            self.engine.resume()
        else:
            self.engine.pause()
            self.current_label.setText("Pausing at the next safe point…")
        self._update_buttons()

    def stop(self) -> None:
        """Stop the queue now."""
        if self.engine is not None:
            self.engine.stop()

    def skip(self) -> None:
        """Skip the entry running."""
        if self.engine is not None:
            self.engine.skip()

    # centring ------------------------------------------------------------------------------------
    def use_current_position(self) -> None:
        """Answer the engine's centring request with where the sample is now."""
        diffractometer = self.queue.diffractometer if self.queue is not None else None
        if self.centring_node is None or diffractometer is None:
            self._problem("no diffractometer: cannot read the current position")
            return
        positions = diffractometer.get_positions()
        wanted = CENTRING_MOTORS + OPTIONAL_MOTORS
        try:
            centred = CentredPosition.from_dict({k: v for k, v in positions.items() if k in wanted})
        except ValueError as exc:
            self._problem(f"the current position is not a centred position: {exc}")
            return
        self._answer_centring(centred)

    def cancel_centring(self) -> None:
        """Answer the engine's centring request with no position (the entry fails)."""
        self._answer_centring(None)

    def _answer_centring(self, centred: CentredPosition | None) -> None:
        node_id, self.centring_node = self.centring_node, None
        self.centring_box.hide()
        if node_id is not None and self.engine is not None:
            self.engine.provide_centring(node_id, centred)

    # engine signals (on the GUI thread) ----------------------------------------------------------
    def _describe(self, node_id: int) -> str:
        if self.queue is None:
            return f"node {node_id}"
        model = self.queue.model
        try:
            node = model.get_node(node_id)
        except UnknownNodeError:
            return f"node {node_id}"
        sample_id = model.sample_of(node_id)
        if sample_id is None or sample_id == node_id:
            return node.describe()
        return f"{node.describe()} on {sample_label(model.get_node(sample_id))}"

    def _execution_started(self) -> None:
        self._message("The queue is running")
        self.runningChanged.emit(True)
        self._update_buttons()

    def _entry_started(self, node_id: int) -> None:
        self.current_label.setText(f"Running {self._describe(node_id)}")
        self.progress.set_fraction(0.0)
        self._update_buttons()

    def _progress_changed(self, node_id: int, fraction: float) -> None:
        self.progress.set_fraction(fraction)

    def _entry_finished(self, node_id: int, status: str, message: str) -> None:
        text = f"{self._describe(node_id)}: {status_label(status)}"
        if message:
            text += f" ({message})"
        self._message(text, problem=status == "failed")
        if node_id in (self.centring_node, self.awaited_centring):
            self.centring_node = self.awaited_centring = None
            self.centring_box.hide()

    def _execution_paused(self) -> None:
        self.current_label.setText("Paused")
        self._update_buttons()

    def _execution_resumed(self) -> None:
        self._update_buttons()

    def _execution_finished(self, status: str) -> None:
        ended = _LAST_RUN.get(status) or f"ended with {status_label(status)}"
        self.current_label.setText(f"Idle: the last run {ended}")
        self.progress.set_idle()
        self.centring_node = self.awaited_centring = None
        self.centring_box.hide()
        self.runningChanged.emit(False)
        self._update_buttons()

    def _centring_requested(self, node_id: int, sample_location: str | None) -> None:
        where = sample_location or "the manually mounted sample"
        what = f"Waiting for centring of {where} ({self._describe(node_id)})"
        elsewhere = self.queue is not None and self.queue.has_centring_handler
        # the sample view answers: these buttons must not answer too
        self.awaited_centring = node_id
        self.centring_node = None if elsewhere else node_id
        self.use_position_button.setVisible(not elsewhere)
        self.cancel_centring_button.setVisible(not elsewhere)
        self.centring_label.setText(
            f"{what}: 3-click centring in the sample view, then Accept (Cancel there "
            "fails the sample)."
            if elsewhere
            else f"{what}: centre it in the sample view, then use the current position, or cancel."
        )
        self.centring_box.show()
        QTimer.singleShot(0, lambda: self.scroll_area.ensureWidgetVisible(self.centring_box))

    # messages ----------------------------------------------------------------------------------
    def _message(self, text: str, problem: bool = False) -> None:
        if problem:
            log.warning("%s: %s", self.name, text)
        self.message.setStyleSheet(PROBLEM_STYLE if problem else "")
        self.message.setText(text)
        self.message.setToolTip(text)

    def _problem(self, text: str) -> None:
        self._message(text, problem=True)
