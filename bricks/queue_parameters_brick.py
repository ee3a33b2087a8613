"""The parameters of the selected queue node, as a typed form bounded by the beamline's
live limits; read-only once it has run."""

from __future__ import annotations

import logging

from PyQt5.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.acquisition import AcquisitionParameters, ParameterError
from mxgui.core.queue.fields import ACQUISITION_FIELDS, split_problem
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.nodes import ROOT_ID, TASK_GROUP, QueueError, QueueNode, UnknownNodeError
from mxgui.core.queue.schemas import schema_of
from mxgui.core.roles.emitter import Emitter
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.queue.parameter_form import ParameterForm, format_value
from mxgui.gui.queue.status_style import status_label
from mxgui.gui.queue.strategy_view import StrategyView
from mxgui.gui.shape_tasks import TASK_TITLES

log = logging.getLogger(__name__)

PROBLEM_STYLE = "QLabel { color: #b71c1c; }"
NO_NODE = -1
#: the parts of the collect object whose limits bound the form, and their signal
LIMIT_SOURCES = (
    ("energy", "limitsChanged"),
    ("transmission", "limitsChanged"),
    ("resolution", "limitsChanged"),
    ("detector", "roiModeChanged"),
)
SHAPE_SIGNALS = ("shapeAdded", "shapeRemoved", "shapeChanged", "cleared")


class QueueParametersBrick(Brick):
    """Edits the parameters of one queue node (a task, or a sample's address, name and
    centring). A value is committed when the field is left, Enter is pressed or a
    choice is picked; the queue model validates it against the beamline's live limits,
    and a refused value stays marked in red with the reason while the model keeps the
    old one (each refusal is logged once). The spin boxes' ranges follow the
    beamline's limits as they change; the point, line and grid fields list the
    shapes of the node's sample. A node that has run is shown read-only. Connect the
    queue tree's ``nodeSelected`` to :meth:`show_node`.

    Below a characterisation's form, its proposed strategy and "Add this collection";
    ``nodeAdded(node_id)`` says which collection that added (connect it to the queue
    tree's ``select_node``).
    """

    PROPERTIES = (p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),)
    SIGNALS = ("nodeAdded",)
    SLOTS = ("show_node",)
    nodeAdded = pyqtSignal(int)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.node_id = NO_NODE
        self.forms: dict[str, ParameterForm] = {}
        self.form: ParameterForm | None = None
        self._logged: dict[str, str] = {}  # field -> the refusal logged last
        self._pending: dict[str, object] = {}  # field -> its value the model refused
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.stack = QStackedWidget()
        self.empty = QLabel("Select a task or a sample in the queue.")
        self.empty.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.stack.addWidget(self.empty)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.stack)
        self.scroll_area.viewport().installEventFilter(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        #: a characterisation's strategy (made with the queue)
        self.strategy: StrategyView | None = None
        #: title, state, the form (scrolled), the last message, a characterisation's strategy
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(2, 2, 2, 2)
        header = QHBoxLayout()  # one line where the width allows: room for the form
        header.addWidget(self.title, 1)
        header.addWidget(self.state_label, 1)
        self.column.addLayout(header)
        self.column.addWidget(self.scroll_area, 1)
        self.column.addWidget(self.message)
        self.show_node(NO_NODE)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        viewport = self.scroll_area.viewport()
        if watched is viewport and event.type() == QEvent.Resize:
            for form in self.forms.values():
                form.fit_width(viewport.width())
        return super().eventFilter(watched, event)

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name != "queue":
            return
        self.unbind("queue")
        self._drop_strategy()
        self.queue = self.hardware_object("queue", QueueHardwareObject)
        if self.queue is not None:
            self.strategy = StrategyView(self.queue)
            self.strategy.collectionAdded.connect(self.nodeAdded)
            self.strategy.hide()
            self.column.addWidget(self.strategy, 1)
            model = self.queue.model
            self.bind(model, "nodeChanged", self._node_changed, scope="queue")
            self.bind(model, "statusChanged", self._node_changed, scope="queue")
            self.bind(model, "nodeRemoved", self._node_removed, scope="queue")
            self.bind(model, "modelReset", self._node_removed, scope="queue")
            self._bind_live_sources(self.queue)
        self.show_node(NO_NODE)

    def _bind_live_sources(self, queue: QueueHardwareObject) -> None:
        """Re-read the limits and the shapes when the beamline's change."""
        collect = queue.get_object_by_role("collect")
        for part, signal in LIMIT_SOURCES:
            emitter = getattr(collect, part, None)
            if isinstance(emitter, Emitter):
                self.bind(emitter, signal, self._live_changed, scope="queue")
        diffractometer = queue.diffractometer
        try:  # omega's range bounds the oscillation start
            omega = diffractometer.get_motor("phi") if diffractometer is not None else None
        except (KeyError, ValueError):
            omega = None
        if isinstance(omega, Emitter):
            self.bind(omega, "limitsChanged", self._live_changed, scope="queue")
        shapes = queue.shapes
        if shapes is not None:
            for signal in SHAPE_SIGNALS:
                self.bind(shapes, signal, self._live_changed, scope="queue")

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
        """Show node ``node_id`` (``-1``: none), its form scrolled to the top."""
        self.node_id = int(node_id)
        self.message.clear()
        self._logged.clear()
        self._pending.clear()
        self._refresh(reset=True)
        self.scroll_area.verticalScrollBar().setValue(0)
        self.scroll_area.horizontalScrollBar().setValue(0)

    def _drop_strategy(self) -> None:
        if self.strategy is not None:
            self.strategy.cleanup()
            self.strategy.deleteLater()
            self.strategy = None

    def _show_strategy(self, node: QueueNode | None) -> None:
        """A characterisation's strategy below its form; more room for it once it has
        run (the form is read-only then)."""
        if self.strategy is None:
            return
        wanted = node is not None and node.type == "Characterisation"
        if wanted and node is not None:
            if node.id != self.strategy.node_id():
                self.strategy.show_node(node.id)
            self.column.setStretchFactor(self.strategy, 2 if node.has_run else 1)
        self.strategy.setVisible(wanted)

    def _refresh(self, reset: bool = False) -> None:
        node = self.current()
        self._show_strategy(node)
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
            form.fit_width(self.scroll_area.viewport().width())
        self.form = form
        self.stack.setCurrentWidget(form)
        if self.queue is not None:  # current() found the node in it
            self._show_live(node, form)
        for name in form.set_values(node.parameters, reset=reset):
            self._pending.pop(name, None)  # the model's value moved on: no longer refused
            self._logged.pop(name, None)
        form.set_read_only(node.has_run)
        if self.queue is None:
            return
        model = self.queue.model
        sample_id = model.sample_of(node.id)
        where = ""
        if sample_id is not None and sample_id != node.id:
            where = f" on {sample_label(model.get_node(sample_id))}"
        self.title.setText(f"<b>{TASK_TITLES.get(node.type, node.type)}</b> {node.name}{where}")
        if node.has_run:
            self.state_label.setText(
                f"{status_label(node.status)}{': ' + node.message if node.message else ''} "
                "— read-only: it has run (reset it in the queue to run it again)"
            )
        else:
            self.state_label.setText("not run: values are checked as you enter them")

    def _show_live(self, node: QueueNode, form: ParameterForm) -> None:
        """Give ``form`` the live limits and choices for ``node`` (its own energy and
        ROI mode) and the shapes of its sample."""
        assert self.queue is not None
        model = self.queue.model
        sample_id = model.sample_of(node.id)
        sample = model.get_node(sample_id).parameters if sample_id is not None else None
        limits = self.queue.factory.limits(sample)
        acquisition = None
        values = node.parameters
        if schema_of(node.type).acquisition:
            params = AcquisitionParameters(**{k: values[k] for k in ACQUISITION_FIELDS})
            acquisition = limits.acquisition(params)
        elif "start_energy" in values:  # an energy scan: the energy's range
            acquisition = limits.acquisition(AcquisitionParameters())
        form.set_limits(acquisition, limits.omega, limits.choices)
        shapes = limits.shapes if node.type != "Sample" else self.queue.factory.shapes_of(values)
        form.set_shapes(shapes.shapes() if shapes is not None else None)

    def _live_changed(self, *_args: object) -> None:
        node = self.current()
        if node is not None and self.form is not None and node.type == self.form.node_type:
            self._show_live(node, self.form)

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
        model = self.queue.model
        # a value refused for want of another (a helical start without its end) is
        # tried again with the next edit: together they may be what the user meant
        together = {n: v for n, v in self._pending.items() if n != name} | {name: value}
        try:
            updated = model.update_parameters(node.id, together)
        except (ParameterError, QueueError) as exc:
            if len(together) == 1:
                self._refused(name, value, exc)
                return
            try:  # alone: the others stay refused, this one may apply
                updated = model.update_parameters(node.id, {name: value})
            except (ParameterError, QueueError) as alone:
                self._refused(name, value, alone)
                return
            together = {name: value}
        for applied in together:
            self._pending.pop(applied, None)
            self._logged.pop(applied, None)
            self.form.mark(applied, None)
        # at once (the signal refreshes again); a refused field the edit moved is free
        for moved in self.form.set_values(updated.parameters):
            self._pending.pop(moved, None)
            self._logged.pop(moved, None)
        self.message.setStyleSheet("")
        shown = format_value(self.form.kinds[name][0], updated.parameters.get(name))
        if not shown:  # None: the words the field shows for it ("auto", "none")
            special = getattr(self.form.editors[name], "specialValueText", None)
            shown = special() if callable(special) else ""
        also = sorted(set(together) - {name})
        self.message.setText(
            f"{name} set to {shown or 'empty'}" + (f" (with {', '.join(also)})" if also else "")
        )

    def _refused(self, name: str, value: object, error: ParameterError | QueueError) -> None:
        assert self.form is not None
        problems = error.problems if isinstance(error, ParameterError) else []
        # a problem about another field too ("helical_end: missing", "start_energy,
        # end_energy: must contain the edge"): kept to be tried with the next edit;
        # a value wrong in itself is not
        about = [split_problem(problem, self.form.fields)[0] for problem in problems]
        if problems and any(fields != (name,) for fields in about):
            self._pending[name] = value
        else:
            self._pending.pop(name, None)
        reason = str(error)
        self.form.mark(name, reason)
        self._problem(name, f"{name} not changed: {reason}")

    def _invalid(self, name: str, reason: str) -> None:
        self._problem(name, f"{name} not changed: {reason}")

    def _problem(self, name: str, text: str) -> None:
        if self._logged.get(name) != text:  # once, not at each Enter or focus change
            self._logged[name] = text
            log.warning("%s: %s", self.name, text)
        self.message.setStyleSheet(PROBLEM_STYLE)
        self.message.setText(text)
        self.message.setToolTip(text)

    def cleanup(self) -> None:
        self._drop_strategy()
        super().cleanup()
