"""The form a workflow asks the user to fill in, and the handler the XML-RPC server calls.

:class:`WorkflowDialog` is a non-modal dialog built from a
:class:`~mxgui.core.dialog_spec.DialogSpec`: one editor per field, OK/Cancel, and a
countdown when the spec has a timeout. :class:`DialogHandler` is what
``server.set_handler("open_dialog", handler)`` receives: called from a server thread
with a spec, it returns a Future at once and shows the dialog on the GUI thread; the
Future ends with the values (OK), ``None`` (Cancel, closed) or the defaults (countdown
ended). A Future cancelled from outside (the server's own timeout, or its caller
disconnected) closes its dialog. The handler shows what it is given; the XML-RPC server
lets one dialog be open at a time.

A dialog is never larger than the screen: its message and fields scroll inside it, and
the problem line, the countdown and the buttons stay in view.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from concurrent.futures import Future, InvalidStateError
from typing import Any

from PyQt5.QtCore import QLocale, QObject, QSize, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.dialog_spec import DialogSpec, FieldSpec, parse_dialog
from mxgui.gui.widgets import MessageLine

log = logging.getLogger(__name__)

INVALID_STYLE = "background-color: #f6c9c4; border: 1px solid #c62828;"
INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e15
#: the share of the screen's free area a dialog may take at most when it opens
SCREEN_SHARE = 0.9
#: problems listed under the form at most (the others are counted)
SHOWN_PROBLEMS = 5


def _decimals(*values: float | None) -> int:
    """Enough decimals to show each of ``values`` (2 to 10)."""
    needed = 2
    for value in values:
        if value is None or not math.isfinite(value):
            continue
        text = f"{value:.10f}".rstrip("0")
        needed = max(needed, len(text.split(".")[1]) if "." in text else 0)
    return min(needed, 10)


def _editor(spec: FieldSpec) -> QWidget:
    """The editor for one field, showing its default within its limits."""
    if spec.type == "integer":
        spin = QSpinBox()
        low = -INT_LIMIT if spec.minimum is None else max(-INT_LIMIT, math.ceil(spec.minimum))
        high = INT_LIMIT if spec.maximum is None else min(INT_LIMIT, math.floor(spec.maximum))
        spin.setRange(low, high)
        spin.setValue(int(spec.default))
        return spin
    if spec.type == "float":
        double = QDoubleSpinBox()
        double.setLocale(QLocale.c())  # "0.25" whatever the desktop's language
        double.setDecimals(_decimals(float(spec.default), spec.minimum, spec.maximum))
        double.setRange(
            -FLOAT_LIMIT if spec.minimum is None else spec.minimum,
            FLOAT_LIMIT if spec.maximum is None else spec.maximum,
        )
        if spec.minimum is not None and spec.maximum is not None:
            double.setSingleStep(max((spec.maximum - spec.minimum) / 100, 10 ** -double.decimals()))
        double.setValue(float(spec.default))
        return double
    if spec.type == "boolean":
        box = QCheckBox()
        box.setChecked(bool(spec.default))
        return box
    if spec.type == "choice":
        combo = QComboBox()
        for choice in spec.choices:
            combo.addItem(str(choice))
        combo.setCurrentIndex(spec.choices.index(spec.default))
        return combo
    edit = QLineEdit(str(spec.default))
    if spec.required:
        edit.setPlaceholderText("required")
    return edit


def _limits_text(spec: FieldSpec) -> str:
    if spec.minimum is not None and spec.maximum is not None:
        return f"from {spec.minimum} to {spec.maximum}"
    if spec.minimum is not None:
        return f"at least {spec.minimum}"
    if spec.maximum is not None:
        return f"at most {spec.maximum}"
    return ""


class WorkflowDialog(QDialog):
    """A non-modal form for one workflow question.

    ``answerGiven(values)`` is emitted once: the converted values on OK, ``None`` on
    Cancel or close, :meth:`DialogSpec.defaults` when the countdown ends. OK with an
    invalid value marks the field red with the reason and keeps the dialog open.
    :meth:`dismiss` closes it without an answer (the question was withdrawn).
    """

    answerGiven = pyqtSignal(object)

    def __init__(self, spec: DialogSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.answered = False
        self.setModal(False)
        self.setWindowTitle(spec.title)
        self.setObjectName("workflow_dialog")
        self.editors: dict[str, QWidget] = {}
        self._tooltips: dict[str, str] = {}
        body = QWidget()
        body_column = QVBoxLayout(body)
        body_column.setContentsMargins(0, 0, 0, 0)
        if spec.message:
            message = QLabel(spec.message)
            message.setWordWrap(True)
            message.setObjectName("message")
            message.setTextInteractionFlags(Qt.TextSelectableByMouse)
            body_column.addWidget(message)
        form = QFormLayout()
        for field in spec.fields:
            editor = _editor(field)
            editor.setObjectName(field.name)
            tooltip = "; ".join(t for t in (field.tooltip, _limits_text(field)) if t)
            editor.setToolTip(tooltip)
            self._tooltips[field.name] = tooltip
            self.editors[field.name] = editor
            form.addRow(field.label + (" *" if field.required else ""), editor)
        body_column.addLayout(form)
        body_column.addStretch(1)
        #: the message and the fields, scrolled inside the dialog when they do not fit
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("scroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.NoFrame)
        self.scroll_area.setWidget(body)
        column = QVBoxLayout(self)
        column.addWidget(self.scroll_area, 1)
        self.problem = MessageLine()
        self.problem.setObjectName("problem")
        # wraps within the dialog's width; a long label in it must not widen the dialog
        self.problem.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        column.addWidget(self.problem)
        self.countdown_label = QLabel()
        self.countdown_label.setObjectName("countdown")
        column.addWidget(self.countdown_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        column.addWidget(self.buttons)
        self.remaining = math.ceil(spec.timeout) if spec.timeout else 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        if spec.timeout:
            self._show_countdown()
            self._timer.start()
        else:
            self.countdown_label.hide()
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Size the dialog to its content, but never beyond the screen: at most
        :data:`SCREEN_SHARE` of its free area to start with, at most all of it when the
        user resizes it; what does not fit scrolls inside."""
        screen = self.screen() or QApplication.primaryScreen()
        free = screen.availableGeometry().size()
        self.setMaximumSize(free)
        content = self.scroll_area.widget().sizeHint()
        bar = self.style().pixelMetric(self.style().PM_ScrollBarExtent)
        chrome = self.sizeHint() - self.scroll_area.sizeHint()
        wanted = QSize(
            content.width() + bar + max(chrome.width(), 0),
            content.height() + bar + max(chrome.height(), 0),
        )
        limit = QSize(int(free.width() * SCREEN_SHARE), int(free.height() * SCREEN_SHARE))
        self.resize(wanted.expandedTo(self.minimumSizeHint()).boundedTo(limit))

    # values ----------------------------------------------------------------------------------
    def raw_values(self) -> dict[str, Any]:
        """What the editors hold, as the user typed it (text for numbers)."""
        values: dict[str, Any] = {}
        for field in self.spec.fields:
            editor = self.editors[field.name]
            if isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                values[field.name] = editor.cleanText()
            elif isinstance(editor, QCheckBox):
                values[field.name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                values[field.name] = field.choices[editor.currentIndex()]
            elif isinstance(editor, QLineEdit):
                values[field.name] = editor.text()
        return values

    def invalid_fields(self) -> dict[str, str]:
        """The fields whose value is refused, with the reason; marks them red."""
        problems: dict[str, str] = {}
        raw = self.raw_values()
        for field in self.spec.fields:
            editor = self.editors[field.name]
            try:
                field.convert(raw[field.name])
            except ValueError as exc:
                problems[field.name] = str(exc)
                editor.setStyleSheet(INVALID_STYLE)
                editor.setToolTip(str(exc))
            else:
                editor.setStyleSheet("")
                editor.setToolTip(self._tooltips[field.name])
        return problems

    # answers ---------------------------------------------------------------------------------
    def accept(self) -> None:
        """OK: answer the values if they are all valid; otherwise show why, stay open."""
        problems = self.invalid_fields()
        if problems:
            labels = {f.name: f.label for f in self.spec.fields}
            listed = [f"{labels[n]}: {m.split(': ', 1)[-1]}" for n, m in problems.items()]
            more = len(listed) - SHOWN_PROBLEMS
            self.problem.show_problem(
                "; ".join(listed[:SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
            )
            return
        self._answer(self.spec.validate(self.raw_values()))
        super().accept()

    def reject(self) -> None:
        """Cancel, Escape or the window's close button: answer ``None``."""
        self._answer(None)
        super().reject()

    def dismiss(self) -> None:
        """Close without answering (the caller withdrew the question)."""
        self.answered = True
        self._timer.stop()
        super().reject()

    def _answer(self, values: dict[str, Any] | None) -> None:
        self._timer.stop()
        if not self.answered:
            self.answered = True
            self.answerGiven.emit(values)

    def _tick(self) -> None:
        self.remaining -= 1
        if self.remaining > 0:
            self._show_countdown()
            return
        log.info("dialog %r not answered in time: the workflow takes the defaults", self.spec.title)
        self._answer(self.spec.defaults())
        super().reject()

    def _show_countdown(self) -> None:
        self.countdown_label.setText(
            f"Closes in {self.remaining} s; the workflow then goes on with the defaults."
        )


class DialogHandler(QObject):
    """The ``open_dialog`` handler of the XML-RPC server; create it on the GUI thread.

    Calling it (from any thread) with a :class:`DialogSpec` or a dialog dict returns
    a Future at once; the dialog is shown on the GUI thread, parented to ``parent``.
    """

    _showRequested = pyqtSignal(object, object)
    _withdrawRequested = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent
        #: the dialogs shown and not yet answered, by their Future
        self.dialogs: dict[Future, WorkflowDialog] = {}
        self._showRequested.connect(self._open, Qt.QueuedConnection)  # type: ignore[call-arg]  # PyQt5-stubs lack connect(slot, type)
        self._withdrawRequested.connect(self._withdraw, Qt.QueuedConnection)  # type: ignore[call-arg]  # PyQt5-stubs lack connect(slot, type)

    def __call__(self, spec: DialogSpec | Mapping[str, Any]) -> Future:
        """Show the dialog of ``spec``; the Future of its answer (see module doc).

        Raises ``ValueError`` at once for a dict :func:`parse_dialog` refuses.
        """
        if not isinstance(spec, DialogSpec):
            spec = parse_dialog(spec)
        future: Future = Future()  # left pending, so that the caller can cancel it
        future.add_done_callback(self._ended)
        self._showRequested.emit(spec, future)
        return future

    def _ended(self, future: Future) -> None:
        """Any thread: a Future cancelled from outside closes its dialog."""
        if future.cancelled():
            self._withdrawRequested.emit(future)

    def _open(self, spec: DialogSpec, future: Future) -> None:
        if future.done():  # withdrawn before it could be shown
            return
        dialog = WorkflowDialog(spec, self.parent_widget)
        dialog.setWindowFlag(Qt.Window, True)  # its own window beside the main one
        dialog.answerGiven.connect(lambda values: self._answered(future, values))
        self.dialogs[future] = dialog
        dialog.show()

    def _answered(self, future: Future, values: dict[str, Any] | None) -> None:
        dialog = self.dialogs.pop(future, None)
        if dialog is not None:
            dialog.deleteLater()
        try:
            future.set_result(values)
        except InvalidStateError:  # cancelled from outside at the same moment
            log.info("answer to a withdrawn workflow dialog dropped")

    def _withdraw(self, future: Future) -> None:
        dialog = self.dialogs.pop(future, None)
        if dialog is not None:
            log.info("workflow dialog %r closed: no one waits for it now", dialog.spec.title)
            dialog.dismiss()
            dialog.deleteLater()

    def close_all(self) -> None:
        """Close every open dialog, answering ``None`` (the application is stopping)."""
        for future, dialog in list(self.dialogs.items()):
            dialog.dismiss()
            self._answered(future, None)
