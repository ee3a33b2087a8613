"""The sample view: live camera, overlays, 3-click centring, points, lines and grids."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QPoint, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QKeyEvent, QShowEvent
from PyQt5.QtWidgets import QFileDialog, QLabel, QMenu, QSizePolicy, QVBoxLayout, QWidget

from hardware_objects.abstract.actuator import AbstractActuator
from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.centring import CENTRING_MOTORS, CentredPosition, ImageGeometry
from mxgui.core.shapes import Shape, ShapesModel
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.sample_view.camera_feed import CameraFeed
from mxgui.gui.sample_view.centring_workflow import CentringStep, CentringWorkflow
from mxgui.gui.sample_view.controls import LIGHTS, GridParameters, ZoomLightsBar
from mxgui.gui.sample_view.modes import Mode, ModeController
from mxgui.gui.sample_view.overlays import BeamItem, ClickMarksItem, ScaleBarItem, length_um
from mxgui.gui.sample_view.queue_centring import QueueCentring
from mxgui.gui.sample_view.shape_editor import ShapeEditor
from mxgui.gui.sample_view.shape_items import ShapeLayer
from mxgui.gui.sample_view.snapshot import save_snapshot
from mxgui.gui.sample_view.style import OverlayStyle
from mxgui.gui.sample_view.toolbar import SampleViewToolbar
from mxgui.gui.sample_view.view import SampleGraphicsView
from mxgui.gui.sample_view.xmlrpc_snapshot import XmlrpcSnapshots
from mxgui.gui.shape_menu import (
    RenameShapeDialog,
    ShapeMenuActions,
    build_shape_menu,
    target_of,
)
from mxgui.gui.widgets import MessageLine

log = logging.getLogger(__name__)

#: how long a hint stays on the message line
HINT_SECONDS = 8.0


def known_positions(diffractometer: AbstractDiffractometer) -> dict[str, float]:
    """The motors' positions, or none while a centring motor has no value (its device
    is down or has not answered yet): shapes cannot be placed without all of them."""
    positions = diffractometer.get_positions()
    return positions if all(role in positions for role in CENTRING_MOTORS) else {}


class SampleViewBrick(Brick):
    """The live sample camera with beam, scale bar, saved points, lines and grids drawn
    where they are on the sample, at the current motor positions and zoom.

    Exactly one interaction mode at a time (buttons, the mode line and the cursor say
    which; Escape leaves it): 3-click centring (Accept saves the result as a point),
    move a clicked point to the beam, draw a grid (drag; cell size from the beam unless
    changed), draw a line (two clicks), measure (drag). Zoom and lights below the
    buttons; "Snapshot…" saves the image with its overlays as PNG. The ``queue``'s manual
    centrings are done here (see ``queue_centring``).

    Click a shape to select it, ctrl- or shift-click to add it to the selection (or
    take it out); drag a box around shapes to select them (ctrl or shift: add them).
    A right click on a shape opens its menu (:mod:`mxgui.gui.shape_menu`):
    the tasks that fit the selected shapes, asked for with
    ``shapeTaskRequested(task_type, shape_ids)`` (connect it to the task toolbox's
    ``add_shape_tasks``), move to, rename, delete.
    """

    PROPERTIES = (
        p.hardware_object(
            "diffractometer", "/diffractometer", "the diffractometer", AbstractDiffractometer
        ),
        p.hardware_object(
            "sample_camera", "/sample_camera", "the on-axis camera", AbstractSampleCamera
        ),
        p.hardware_object("shapes", "/shapes", "points, lines and grids", ShapesModel),
        p.hardware_object("beam", "/beam", "the beam (size and shape)", AbstractBeam),
        p.hardware_object("queue", "", "its manual centrings done here", QueueHardwareObject),
        p.floating("camera_timeout", 2.0, "seconds without frames before saying so", minimum=0.2),
    )
    centringAccepted = pyqtSignal(str)
    shapeSelected = pyqtSignal(str)
    modeChanged = pyqtSignal(str)
    shapeTaskRequested = pyqtSignal(str, list)
    SIGNALS = ("centringAccepted", "shapeSelected", "modeChanged", "shapeTaskRequested")
    SLOTS = (
        "start_centring",
        "accept_centring",
        "reject_centring",
        "cancel",
        "set_mode",
        "set_zoom",
        "save_point",
        "select_shape",
    )

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.diffractometer: AbstractDiffractometer | None = None
        self.shapes: ShapesModel | None = None
        self.beam: AbstractBeam | None = None
        self.positions: dict[str, float] = {}
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._project)
        self.last_measurement_um: float | None = None
        #: the shape menu shown last, and the rename dialog open (None: none)
        self.shape_menu: QMenu | None = None
        self.shape_actions = ShapeMenuActions(
            self,
            lambda: self.shapes,
            lambda: self.hardware_object("queue", QueueHardwareObject),
            self.shapeTaskRequested.emit,
            self.show_info,
        )
        self.rename_dialog: RenameShapeDialog | None = None
        self.style_ = OverlayStyle()
        self.view = SampleGraphicsView()
        scene = self.view.scene()
        self.beam_item = BeamItem(self.style_)
        self.scale_bar = ScaleBarItem(self.style_)
        self.click_marks = ClickMarksItem(self.style_)
        for item in (self.beam_item, self.scale_bar, self.click_marks):
            scene.addItem(item)
        self.shape_layer = ShapeLayer(scene, self.style_)
        self.modes = ModeController(self.view, self.style_)
        self.grid_panel = GridParameters()
        self.editor = ShapeEditor(self.shape_layer, self.grid_panel, self._view_state, self)
        self.modes.describe = self.editor.describe_drag
        self.workflow = CentringWorkflow(context.bridge, self)
        self.queue_centring = QueueCentring(self, refresh=self._show_mode_line)
        self.xmlrpc_snapshots = XmlrpcSnapshots(self)
        self.camera = CameraFeed(self.view, self)
        #: the banner over the image while no camera frames arrive
        self.camera_label = self.camera.banner
        self.toolbar = SampleViewToolbar()
        self.controls = ZoomLightsBar()
        # lines of fixed height: a message never resizes the view under the mouse
        self.mode_label = QLabel()
        self.message_label = MessageLine()
        self.message_label.setWordWrap(False)
        for label in (self.mode_label, self.message_label):
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
            label.setMinimumHeight(label.fontMetrics().height() + 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        for widget in (self.toolbar, self.controls, self.mode_label, self.message_label):
            column.addWidget(widget)
        column.addWidget(self.view, 1)
        column.addWidget(self.grid_panel)
        self._connect_widgets()
        self._show_mode(Mode.IDLE)

    def _connect_widgets(self) -> None:
        modes, workflow, toolbar = self.modes, self.workflow, self.toolbar
        toolbar.modeRequested.connect(self.set_mode)
        toolbar.acceptRequested.connect(self.accept_centring)
        toolbar.rejectRequested.connect(self.reject_centring)
        toolbar.cancelRequested.connect(self.cancel)
        toolbar.savePointRequested.connect(self.save_point)
        toolbar.lineFromPointsRequested.connect(self.editor.line_from_selected_points)
        toolbar.snapshotRequested.connect(self._ask_snapshot)
        modes.modeChanged.connect(self._show_mode)
        modes.messagePosted.connect(self.show_message)
        modes.hintPosted.connect(self.show_hint)
        modes.escapePressed.connect(self.cancel)
        modes.selectClicked.connect(self._select_clicked)
        modes.selectDragged.connect(self._select_dragged)
        self.view.contextMenuAsked.connect(self._context_menu)
        modes.centringClicked.connect(workflow.click)
        modes.moveToBeamClicked.connect(self._move_to_beam)
        modes.gridDrawn.connect(self.editor.grid_drawn)
        modes.lineDrawn.connect(self.editor.line_drawn)
        modes.distanceMeasured.connect(self._measured)
        workflow.messagePosted.connect(self.show_message)
        workflow.newsPosted.connect(self.show_hint)
        workflow.stepChanged.connect(self._centring_step)
        workflow.marksChanged.connect(self.click_marks.set_points)
        workflow.centringAccepted.connect(self._centring_accepted)
        workflow.centringEnded.connect(self._centring_ended)
        self.controls.zoomChosen.connect(self.set_zoom)
        self.controls.lightChosen.connect(self._set_light)
        self.editor.messagePosted.connect(self.show_message)
        self.editor.editDone.connect(self.show_info)
        self.editor.shapeSelected.connect(self.shapeSelected)
        self.editor.pointsSelected.connect(self.toolbar.set_points_selected)
        self.camera.messagePosted.connect(self.show_message)

    # properties and hardware ----------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "diffractometer":
            self._set_diffractometer(self.hardware_object(name, AbstractDiffractometer))
        elif name == "sample_camera":
            camera = self.hardware_object(name, AbstractSampleCamera)
            self.camera.set_camera(camera, self.isVisible())
        elif name == "shapes":
            self._set_shapes(self.hardware_object(name, ShapesModel))
        elif name == "beam":
            self._set_beam(self.hardware_object(name, AbstractBeam))
        elif name == "queue":
            self.queue_centring.set_queue(self.hardware_object(name, QueueHardwareObject))
        elif name == "camera_timeout":
            self.camera.watchdog.timeout = float(new_value)

    def _set_diffractometer(self, diffractometer: AbstractDiffractometer | None) -> None:
        self.workflow.cancel()
        self.diffractometer = self.workflow.diffractometer = diffractometer
        if diffractometer is None:
            return
        scope = "diffractometer"
        self.bind(diffractometer, "positionsChanged", self._on_positions, scope)
        self.bind(diffractometer, "zoomChanged", self._on_zoom, scope)
        self.bind(diffractometer, "pixelsPerMmChanged", lambda _ppm: self.refresh(), scope)
        self.bind(diffractometer, "centringFailed", self.workflow.on_centring_failed, scope)
        self.view.set_image_size(*diffractometer.get_image_size())
        self.controls.set_zoom_levels(diffractometer.get_zoom_levels())
        with contextlib.suppress(RuntimeError):  # no zoom read yet: zoomChanged shows it
            self.controls.show_zoom(diffractometer.get_zoom())
        for role, _title in LIGHTS:
            light = diffractometer.get_motor(role)  # an actuator (the diffractometer checks)
            self.controls.set_light_available(role, light is not None)
            if isinstance(light, AbstractActuator):
                show = lambda value, role=role: self.controls.show_light(role, value)  # noqa: E731
                self.bind(light, "valueChanged", show, scope)
                show(light.get_value())
        self.positions = known_positions(diffractometer)
        self.refresh()

    def _set_shapes(self, shapes: ShapesModel | None) -> None:
        self.shapes = shapes
        self.editor.set_model(shapes)
        self.shape_layer.set_results_model(shapes)
        if shapes is None:
            return
        editor, scope = self.editor, "shapes"
        self.bind(shapes, "gridResultsChanged", self.shape_layer.grid_results_changed, scope)
        self.bind(shapes, "shapeAdded", editor.shape_added, scope)
        self.bind(shapes, "shapeChanged", editor.shape_changed, scope)
        self.bind(shapes, "shapeRemoved", editor.shape_removed, scope)
        self.bind(shapes, "cleared", editor.cleared, scope)
        self.bind(shapes, "selectionChanged", editor.selection_changed, scope)

    def _set_beam(self, beam: AbstractBeam | None) -> None:
        self.beam = beam
        if beam is not None:
            self.bind(beam, "beamSizeChanged", self._beam_size_changed, "beam")
            self._beam_size_changed(beam.get_beam_size())
        self.refresh()

    def _beam_size_changed(self, size: tuple[float, float]) -> None:
        self.grid_panel.set_beam_size(*size)
        self.refresh()

    # camera --------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        self.camera.start()

    # geometry and overlays -----------------------------------------------------------------------
    def _on_positions(self, _positions: dict[str, float]) -> None:
        # the payload only says "motors moved": motors emit from their own threads, so
        # an older snapshot can arrive after the last one; _project reads them afresh
        self.refresh()

    def _on_zoom(self, level: str) -> None:
        self.controls.show_zoom(level)
        self.refresh()

    def refresh(self) -> None:
        """Project the beam, scale bar and shapes again (motors, zoom or beam changed),
        once for a burst of changes: when the GUI thread is next free."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _project(self) -> None:
        diffractometer = self.diffractometer
        if diffractometer is None:
            return
        self.positions = known_positions(diffractometer)
        if not self.positions:
            self.shape_layer.set_unplaced()
            return
        geometry = diffractometer.get_image_geometry()
        px, py = geometry.pixels_per_mm
        if self.beam is not None:
            (width, height), shape = self.beam.get_beam_size(), self.beam.get_beam_shape()
        else:
            width = height = 0.0
            shape = "ellipse"
        self.beam_item.set_beam(geometry.beam_position, (width * px, height * py), shape)
        self.scale_bar.set_scale((px, py), self.view.image_size())
        self.shape_layer.set_view(self.positions, geometry)

    def here(self) -> CentredPosition:
        """The centred position of what is on the beam now (the current motors)."""
        p = self.positions
        return CentredPosition(
            phi=p["phi"],
            phiy=p["phiy"],
            phiz=p["phiz"],
            sampx=p["sampx"],
            sampy=p["sampy"],
            kappa=p.get("kappa"),
            kappa_phi=p.get("kappa_phi"),
        )

    # modes ---------------------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return self.modes.mode

    def set_mode(self, mode: Mode | str) -> None:
        """Make ``mode`` (a :class:`Mode` or its value, e.g. ``"draw_grid"``) current;
        leaving a centring cancels it, entering 3-click centring starts one."""
        try:
            mode = Mode(mode)
        except ValueError:
            self.show_message(f"Unknown mode {mode!r}; modes: {', '.join(m.value for m in Mode)}")
            return
        if mode is self.modes.mode:
            return
        if self.modes.mode is Mode.CENTRING:
            self.workflow.cancel()
        if mode is Mode.CENTRING and not self.workflow.start():
            mode = Mode.IDLE
        self.modes.set_mode(mode)

    def cancel(self) -> None:
        """Leave the current mode (Escape); a centring in progress is cancelled."""
        self.set_mode(Mode.IDLE)

    def _show_mode(self, mode: Mode) -> None:
        self.toolbar.show_mode(mode)
        self._show_mode_line()
        self.modeChanged.emit(mode.value)

    def _show_mode_line(self) -> None:
        mode = self.modes.mode
        hint = self.workflow.status() if mode is Mode.CENTRING else mode.hint
        if mode is Mode.CENTRING and self.queue_centring.pending:
            hint = f"{self.queue_centring.status()}: {hint}"
        self.mode_label.setText(f"<b>Mode: {mode.title}</b> — {hint}")
        self.mode_label.setToolTip(hint)  # the line is cut when the view is narrow

    def show_message(self, text: str) -> None:
        """Tell the user of a problem (message line, in red, with the time) and the log."""
        self.message_label.show_problem(f"{time.strftime('%H:%M:%S')}  {text}")
        self.message_label.setToolTip(text)
        log.warning("%s: %s", self.name, text)

    def show_info(self, text: str) -> None:
        """Tell the user what was done (message line)."""
        self.message_label.show_message(text)

    def show_hint(self, text: str) -> None:
        """Tell the user something true only for a moment (a click beside the image,
        "Centring cancelled"): it goes by itself after :data:`HINT_SECONDS`."""
        self.message_label.show_message(text, lasts_s=HINT_SECONDS)
        log.info("%s: %s", self.name, text)

    # centring ------------------------------------------------------------------------------------
    def start_centring(self) -> None:
        """Start a 3-click centring."""
        self.set_mode(Mode.CENTRING)

    def accept_centring(self) -> None:
        """Keep the centred position: it becomes a saved point."""
        self.workflow.accept()

    def reject_centring(self) -> None:
        """Drop the centred position and move back to where the centring began."""
        self.workflow.reject()

    def _centring_step(self, step: CentringStep) -> None:
        self.toolbar.show_centring_step(step)
        self._show_mode_line()

    def _centring_accepted(self, position: CentredPosition) -> None:
        if self.queue_centring.accepted(position):
            return self.show_info("Centred: the queue goes on")
        point = self.editor.save_point(position)
        if point is not None:
            self.show_info(f"Centred: saved as {point.name}")
            self.centringAccepted.emit(point.id)

    def _centring_ended(self, reason: str) -> None:
        self.queue_centring.ended(reason)
        if self.modes.mode is Mode.CENTRING:
            self.modes.set_mode(Mode.IDLE)

    # clicks and drags ----------------------------------------------------------------------------
    def _act(self, action: Callable[[], Future[Any]], what: str) -> Future[Any] | None:
        """Start a hardware action; a refusal or a failure becomes a message."""
        return self.start(action, f"{what} failed", self.show_message, refused=what)

    def _move_to_beam(self, x: float, y: float) -> None:
        if self.diffractometer is not None:
            diffractometer = self.diffractometer
            self._act(lambda: diffractometer.move_to_beam(x, y), "Move to beam")

    def set_zoom(self, level: str) -> None:
        """Change the zoom level."""
        if self.diffractometer is not None:
            diffractometer = self.diffractometer
            self._act(lambda: diffractometer.set_zoom(level), f"Zoom {level}")

    def _set_light(self, role: str, value: float) -> None:
        light = self.diffractometer.get_motor(role) if self.diffractometer else None
        if isinstance(light, AbstractActuator):
            self._act(lambda: light.set_value(value), f"{role} {value:g} %")

    def _select_clicked(self, x: float, y: float) -> None:
        toggle = bool(self.view.press_modifiers & (Qt.ControlModifier | Qt.ShiftModifier))
        self.editor.select_at(x, y, toggle)

    def _select_dragged(self, x0: float, y0: float, x1: float, y1: float) -> None:
        add = bool(self.view.press_modifiers & (Qt.ControlModifier | Qt.ShiftModifier))
        self.editor.select_in(x0, y0, x1, y1, add)

    # the shapes' menu ----------------------------------------------------------------------------
    def _context_menu(self, x: float, y: float, global_pos: QPoint) -> None:
        menu = self.shape_menu_at(x, y)
        if menu is not None:
            menu.popup(global_pos)

    def shape_menu_at(self, x: float, y: float) -> QMenu | None:
        """The menu of the shape under image point ``(x, y)`` and the shapes selected
        with it (a shape not selected becomes the selection); ``None`` if there is no
        shape there or a centring is going on."""
        shape_id = self.shape_layer.shape_at(x, y)
        if shape_id is None or self.shapes is None or self.mode is Mode.CENTRING:
            return None
        if shape_id not in self.shapes.selected():
            self.editor.select(shape_id)
        shapes = self.editor.selected_shapes()
        if not shapes:
            return None
        actions = self.shape_actions
        why_no_tasks = actions.why_no_tasks(self.receivers(self.shapeTaskRequested) > 0)
        why_no_move = actions.why_no_move(self.diffractometer is not None)
        if self.shape_menu is not None:
            self.shape_menu.deleteLater()
        self.shape_menu = build_shape_menu(self, shapes, self, why_no_tasks, why_no_move)
        return self.shape_menu

    def add_shape_tasks(self, task_type: str, shape_ids: list[str]) -> None:
        """Ask the task toolbox for ``task_type`` tasks on ``shape_ids``."""
        self.shape_actions.add_shape_tasks(task_type, shape_ids)

    def _shape(self, shape_id: str) -> Shape | None:
        try:
            return self.shapes.get(shape_id) if self.shapes is not None else None
        except KeyError as exc:
            self.show_message(str(exc.args[0]))
            return None

    def move_to_shape(self, shape_id: str) -> None:
        """Move the sample so that shape ``shape_id`` is on the beam: a point's
        centred position, a line's start, a grid's centre."""
        shape, diffractometer = self._shape(shape_id), self.diffractometer
        if shape is None or diffractometer is None:
            return
        self.show_info(f"Moving to {shape.name}")
        self.start(
            lambda: diffractometer.move_to_centred_position(target_of(shape)),
            f"Move to {shape.name} failed",
            self.show_message,
            refused=f"Move to {shape.name}",
            on_done=lambda ended: self._moved(ended, shape),
        )

    def _moved(self, ended: Future[Any], shape: Shape) -> None:
        if not ended.cancelled() and ended.exception() is None:
            self.show_info(f"At {shape.name}")

    def ask_rename(self, shape_id: str) -> None:
        """Open the rename dialog of shape ``shape_id``."""
        shape = self._shape(shape_id)
        if shape is None or self.shapes is None:
            return
        if self.rename_dialog is not None:
            self.rename_dialog.close()
            self.rename_dialog.deleteLater()
        self.rename_dialog = RenameShapeDialog(self.shapes, shape, self)
        self.rename_dialog.accepted.connect(lambda: self._renamed(shape))
        self.rename_dialog.open()

    def _renamed(self, old: Shape) -> None:
        new = self._shape(old.id)
        if new is not None:
            self.show_info(f"{old.name} renamed {new.name}")

    def delete_shapes(self, shape_ids: list[str]) -> None:
        """Delete the shapes ``shape_ids``, asking first when queued tasks name them."""
        self.shape_actions.delete_shapes(shape_ids)

    def select_shape(self, shape_id: str) -> None:
        """Select shape ``shape_id`` ("" selects nothing)."""
        self.editor.select(shape_id)

    def save_point(self) -> None:
        """Save the point now on the beam (the current motor positions) as a point."""
        self.editor.save_point()

    def _measured(self, x0: float, y0: float, x1: float, y1: float) -> None:
        if self.diffractometer is not None:
            ppm = self.diffractometer.get_image_geometry().pixels_per_mm
            self.last_measurement_um = length_um((x0, y0), (x1, y1), ppm)
            self.show_info(f"Measured {self.last_measurement_um:.1f} µm")

    def _view_state(self) -> tuple[ImageGeometry, CentredPosition] | None:
        if self.diffractometer is None or not self.positions:
            return None
        return self.diffractometer.get_image_geometry(), self.here()

    # snapshots -----------------------------------------------------------------------------------
    def save_snapshot(
        self, path: str | Path, with_overlays: bool = True, replace: bool = False
    ) -> Path:
        """Save what the view shows, at the camera's resolution, as PNG or JPEG by the
        suffix (``OSError``; ``FileExistsError`` for an existing file unless ``replace``)."""
        return save_snapshot(self.view, path, with_overlays, replace)

    def _ask_snapshot(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Save snapshot",
            str(Path.home() / "snapshot.png"),
            "PNG images (*.png);;JPEG images (*.jpg *.jpeg)",
        )
        if not path:
            return
        try:  # the dialog has asked before replacing a file
            saved = self.save_snapshot(path, replace=True)
        except OSError as exc:
            self.show_message(str(exc))
        else:
            self.show_info(f"Snapshot saved to {saved}")

    # lifecycle -----------------------------------------------------------------------------------
    def run(self) -> None:
        beamline = self.context.repository.beamline
        # the XML-RPC server's snapshots are this view's, with its overlays
        server = beamline.get_object_by_role("xmlrpc_server") if beamline else None
        self.xmlrpc_snapshots.attach(server)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key_Escape:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def cleanup(self) -> None:
        self._refresh_timer.stop()
        if self.rename_dialog is not None:
            self.rename_dialog.close()
        self.shape_layer.stop()
        self.queue_centring.close()
        self.xmlrpc_snapshots.close()
        self.workflow.close()
        self.camera.close()
        super().cleanup()
