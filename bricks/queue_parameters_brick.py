"""The parameters of the selected queue node, as a typed form; read-only once it has run."""

from __future__ import annotations

import logging

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.acquisition import ParameterError
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.nodes import ROOT_ID, TASK_GROUP, QueueError, QueueNode, UnknownNodeError
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.queue.parameter_form import ParameterForm, format_value
from mxgui.gui.queue.status_style import status_label

log = logging.getLogger(__name__)

PROBLEM_STYLE = "QLabel { color: #b71c1c; }"
NO_NODE = -1


class QueueParametersBrick(Brick):
    """Edits the parameters of one queue node (a task, or a sample's address, name and
    centring). A value is committed when the field is left or Enter is pressed; the
    queue model validates it against the beamline's live limits, and a refused value
    shows the reason in red while the model keeps the old one. A node that has run
    is shown read-only. Connect the queue tree's ``nodeSelected`` to
    :meth:`show_node`.
    """

    PROPERTIES = (p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),)
    SLOTS = ("show_node",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.node_id = NO_NODE
        self.forms: dict[str, ParameterForm] = {}
        self.form: ParameterForm | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.empty = QLabel("Select a task or a sample in the queue.")
        self.empty.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.stack.addWidget(self.empty)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.stack)
        self.message = QLabel()
        self.message.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.title)
        column.addWidget(self.state_label)
        column.addWidget(scroll, 1)
        column.addWidget(self.message)
        self.show_node(NO_NODE)

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name != "queue":
            return
        self.unbind("queue")
        self.queue = self.hardware_object("queue", QueueHardwareObject)
        if self.queue is not None:
            model = self.queue.model
            self.bind(model, "nodeChanged", self._node_changed, scope="queue")
            self.bind(model, "statusChanged", self._node_changed, scope="queue")
            self.bind(model, "nodeRemoved", self._node_removed, scope="queue")
            self.bind(model, "modelReset", self._node_removed, scope="queue")
        self.show_node(NO_NODE)

    # showing ---------------------------------------------------------------------------------
    def current(self) -> QueueNode | None:
        """The node shown now (``None`` when none, or when it is gone)."""
        if self.queue is None or self.node_id in (NO_NODE, ROOT_ID):
            return None
        try:
            return self.queue.model.get_node(self.node_id)
        except UnknownNodeError:
            return None

    def show_node(self, node_id: int) -> None:
        """Show node ``node_id`` (``-1``: none)."""
        self.node_id = int(node_id)
        self.message.clear()
        self._refresh()

    def _refresh(self) -> None:
        node = self.current()
        if node is None or node.type == TASK_GROUP:
            self.title.setText("No task selected" if node is None else node.describe())
            self.state_label.clear()
            self.stack.setCurrentWidget(self.empty)
            self.form = None
            return
        form = self.forms.get(node.type)
        if form is None:
            form = self.forms[node.type] = ParameterForm(node.type)
            form.valueEdited.connect(self._edited)
            form.valueRefused.connect(self._invalid)
            self.stack.addWidget(form)
        self.form = form
        self.stack.setCurrentWidget(form)
        form.set_values(node.parameters)
        form.set_read_only(node.has_run)
        if self.queue is None:  # current() found the node in it
            return
        model = self.queue.model
        sample_id = model.sample_of(node.id)
        where = ""
        if sample_id is not None and sample_id != node.id:
            where = f" on {sample_label(model.get_node(sample_id))}"
        self.title.setText(f"<b>{node.type}</b> {node.name}{where}")
        if node.has_run:
            self.state_label.setText(
                f"{status_label(node.status)}{': ' + node.message if node.message else ''} "
                "— read-only: it has run (reset it in the queue to run it again)"
            )
        else:
            self.state_label.setText("not run: values are checked as you enter them")

    def _node_changed(self, node_id: int, *_args: object) -> None:
        if node_id == self.node_id:
            self._refresh()

    def _node_removed(self, *_args: object) -> None:
        if self.node_id != NO_NODE and self.current() is None:
            self.show_node(NO_NODE)

    # editing -----------------------------------------------------------------------------------
    def _edited(self, name: str, value: object) -> None:
        node = self.current()
        if node is None or self.form is None or self.queue is None:
            return
        try:
            updated = self.queue.model.update_parameters(node.id, {name: value})
        except (ParameterError, QueueError) as exc:
            reason = str(exc)
            self.form.mark(name, reason)
            self._problem(f"{name} not changed: {reason}")
            return
        self.form.set_values(updated.parameters)  # at once; the signal refreshes again
        self.message.setStyleSheet("")
        shown = format_value(self.form.kinds[name][0], updated.parameters.get(name))
        self.message.setText(f"{name} set to {shown or 'empty'}")

    def _invalid(self, name: str, reason: str) -> None:
        self._problem(f"{name} not changed: {reason}")

    def _problem(self, text: str) -> None:
        log.warning("%s: %s", self.name, text)
        self.message.setStyleSheet(PROBLEM_STYLE)
        self.message.setText(text)
        self.message.setToolTip(text)
