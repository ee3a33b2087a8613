"""The diffraction image viewer: open any collected image (CBF, HDF5/NXmx), follow the
running collection's latest image or a mesh scan's best frame.

Start-up does not pay for the viewer: :data:`WARM_UP_MS` after the brick is made,
pyqtgraph, fabio, h5py and hdf5plugin are imported in a worker thread, and the viewer
is then built on the GUI thread (hidden), so the first switch to its tab costs no
import. If the user is quicker, it is made when the brick is first shown. A hidden
viewer reads nothing: the latest image asked for meanwhile is read when it is shown.
Asking for an image (the slot :meth:`show_image`) brings the brick's tab to the front.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from PyQt5.QtCore import QTimer, pyqtSignal
from PyQt5.QtGui import QShowEvent
from PyQt5.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.collect import AbstractCollect
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.shapes import ShapesModel
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.image_viewer.follow import (
    ImageRef,
    best_mesh_image,
    collection_template,
    last_image,
    latest_image,
)

log = logging.getLogger(__name__)

#: what the file dialog offers
FILE_FILTER = "Diffraction images (*.cbf *.h5 *.hdf5 *.nxs *.img *.mccd *.edf);;All files (*)"
#: a burst of mesh scores looks for the best frame once per this many ms
BEST_FRAME_MS = 200
#: the viewer's libraries are imported (in a worker thread) this long after the brick
#: is made, ms: after the main window is up
WARM_UP_MS = 2000


def _import_the_viewers_libraries() -> None:
    """(In a worker thread.) Import what the viewer and its reader need."""
    import fabio.cbfimage  # noqa: F401
    import h5py  # noqa: F401

    import mxgui.gui.image_viewer.viewer  # noqa: F401 - pyqtgraph
    from mxgui.gui.image_viewer.reading import register_hdf5_filters

    register_hdf5_filters()


def bring_to_front(widget: QWidget) -> None:
    """Make the tab page(s) holding ``widget`` current, in every enclosing tab widget."""
    child: QWidget | None = widget
    while child is not None:
        parent = child.parentWidget()
        tabs = parent.parentWidget() if parent is not None else None  # (the tabs' stack)
        if isinstance(tabs, QTabWidget) and tabs.indexOf(child) >= 0:
            tabs.setCurrentWidget(child)
        child = parent


class ImageViewerBrick(Brick):
    """Shows diffraction images: pan and zoom, contrast (histogram), resolution rings,
    the pixel under the cursor with its value and resolution.

    With "Follow" checked it shows the latest image of the running collection of
    ``collect``, and during a mesh scan the best-scoring frame so far of the scanned
    grid (``shapes``' results). Asking for an image (the slot :meth:`show_image`, from
    the history or the mesh results, or "Open...") unchecks "Follow".
    ``imageShown(path)``: an image is shown.
    """

    PROPERTIES = (
        p.hardware_object("collect", "/collect", "follows its collections", AbstractCollect),
        p.hardware_object(
            "shapes", "/shapes", "a mesh scan's results: its best frame", ShapesModel
        ),
        p.hardware_object(
            "queue",
            "",
            "the queue (optional: where a mesh wrote, when its results give a directory)",
            QueueHardwareObject,
        ),
        p.boolean("follow", True, "follow collections and mesh scans from the start"),
    )
    imageShown = pyqtSignal(str)
    _warmedUp = pyqtSignal()
    SIGNALS = ("imageShown",)
    SLOTS = ("show_image", "set_follow")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        #: the viewer (``mxgui.gui.image_viewer.viewer.ImageViewer``), made when first shown
        self.viewer: Any = None
        #: the image to show once the viewer is shown (the latest asked for while hidden)
        self.pending: ImageRef | None = None
        self.collection: dict[str, Any] | None = None
        self.mesh_grid: str | None = None
        self._best: str = ""
        self.open_button = QPushButton("Open...")
        self.open_button.setToolTip("open an image file (CBF, HDF5/NXmx master)")
        self.open_button.clicked.connect(self.open_dialog)
        self.follow_box = QCheckBox("Follow")
        self.follow_box.setToolTip(
            "show the latest image of the running collection, or the best frame of a mesh scan"
        )
        self.follow_box.setChecked(True)
        self.follow_box.toggled.connect(self._follow_toggled)
        self.follow_label = QLabel("")
        self.follow_label.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.open_button)
        bar.addWidget(self.follow_box)
        bar.addWidget(self.follow_label, 1)
        self._viewer_place = QWidget()
        self._viewer_place.setMinimumSize(300, 300)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(bar)
        column.addWidget(self._viewer_place, 1)
        self._best_timer = QTimer(self)
        self._best_timer.setSingleShot(True)
        self._best_timer.setInterval(BEST_FRAME_MS)
        self._best_timer.timeout.connect(self._show_best_frame)
        self._warmedUp.connect(self._warm_up_done)  # queued: emitted by the worker
        self._warm_up_timer = QTimer(self)  # dies with the brick, stopped at cleanup
        self._warm_up_timer.setSingleShot(True)
        self._warm_up_timer.setInterval(WARM_UP_MS)
        self._warm_up_timer.timeout.connect(self._warm_up)
        self._warm_up_timer.start()

    # the viewer: its libraries imported and it built before the user turns to it ----------
    def _warm_up(self) -> None:
        if self.viewer is None and not self.cleaned_up:
            threading.Thread(
                target=self._import_in_worker, name="image viewer import", daemon=True
            ).start()

    def _import_in_worker(self) -> None:
        try:
            _import_the_viewers_libraries()
        except ImportError:
            log.exception("image viewer: its libraries could not be imported")
            return
        try:
            self._warmedUp.emit()
        except RuntimeError:  # the brick was deleted meanwhile
            log.debug("image viewer: warmed up after the brick went away")

    def _warm_up_done(self) -> None:
        if self.viewer is None and not self.cleaned_up:
            self._make_viewer()

    # the viewer (pyqtgraph on first show) ---------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self.viewer is None:
            self._make_viewer()
        if self.pending is not None:
            ref, self.pending = self.pending, None
            self.viewer.show_image(ref.path, ref.frame, ref.why)

    def _make_viewer(self) -> None:
        from mxgui.gui.image_viewer.viewer import ImageViewer  # deferred: pyqtgraph

        self.viewer = ImageViewer()
        self.viewer.frameShown.connect(lambda path, _frame: self.imageShown.emit(path))
        self.viewer.frameChosen.connect(lambda _path, _frame: self.set_follow(False))
        self.layout().replaceWidget(self._viewer_place, self.viewer)
        self._viewer_place.deleteLater()
        self.viewer.show()

    def _request(self, ref: ImageRef, followed: bool = False) -> None:
        if self.viewer is not None and self.isVisible():
            show = self.viewer.follow_image if followed else self.viewer.show_image
            show(ref.path, ref.frame, ref.why)
        else:
            self.pending = ref  # read when shown: a hidden viewer reads nothing

    # properties -----------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "collect":
            collect = self.hardware_object("collect", AbstractCollect)
            if collect is not None:
                self.bind(collect, "collectStarted", self._collection_started, "collect")
                self.bind(collect, "collectImageTaken", self._image_taken, "collect")
                self.bind(collect, "collectOscillationFinished", self._collection_ended, "collect")
        elif name == "shapes":
            shapes = self.hardware_object("shapes", ShapesModel)
            if shapes is not None:
                self.bind(shapes, "gridResultsChanged", self._grid_results, "shapes")
        elif name == "follow":
            self.follow_box.setChecked(bool(new_value))

    # following ------------------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self.follow_box.isChecked()

    def set_follow(self, follow: bool) -> None:
        """Follow collections and mesh scans (or not)."""
        self.follow_box.setChecked(bool(follow))

    def _follow_toggled(self, follow: bool) -> None:
        self.follow_label.setText("" if follow else "not following")
        if follow and self.mesh_grid is not None:
            self._best = ""
            self._best_timer.start()

    def _collection_started(self, info: dict[str, Any]) -> None:
        self.collection = info
        if info.get("mesh"):
            self.follow_label.setText("mesh scan: the best frame so far" if self.following else "")
        else:
            self.mesh_grid = None
            self._best_timer.stop()
            template = collection_template(info)
            if not self.following:
                text = ""
            elif template is not None and template.is_hdf5:
                text = (
                    f"following {info.get('template', '')}: an HDF5 collection, its images"
                    " are shown when its master file is written (at the end)"
                )
            else:
                text = f"following {info.get('template', '')}"
            self.follow_label.setText(text)

    def _image_taken(self, count: int) -> None:
        if not self.following or self.collection is None:
            return
        ref = latest_image(self.collection, int(count))
        if ref is not None:
            self._request(ref, followed=True)

    def _collection_ended(self, info: dict[str, Any]) -> None:
        if not self.following:
            return
        ref = last_image(info)  # the HDF5 master file exists only now
        if ref is not None and (self.pending is None or ref.path != self.pending.path):
            self._request(ref, followed=True)

    def _grid_results(self, grid_id: str) -> None:
        shapes = self.hardware_object("shapes", ShapesModel)
        if shapes is None:
            return
        if grid_id == shapes.active_grid_id:
            if grid_id != self.mesh_grid:
                self.mesh_grid, self._best = grid_id, ""
        if self.following and grid_id == self.mesh_grid and not self._best_timer.isActive():
            self._best_timer.start()  # once for a burst of scores

    def _show_best_frame(self) -> None:
        shapes = self.hardware_object("shapes", ShapesModel)
        if shapes is None or self.mesh_grid is None or not self.following:
            return
        queue = self.hardware_object("queue", QueueHardwareObject)
        try:
            ref = best_mesh_image(shapes, self.mesh_grid, None if queue is None else queue.model)
        except ValueError as exc:
            self.follow_label.setText(str(exc))
            return
        if ref is not None and ref.path != self._best:
            self._best = ref.path
            self.follow_label.setText(ref.why)
            self._request(ref, followed=True)

    # asked for ------------------------------------------------------------------------------
    def show_image(self, path: str, frame: int = 0) -> None:
        """Show frame ``frame`` (from 0) of image file ``path``, bringing this brick's tab
        to the front; "Follow" is unchecked, so that the image stays."""
        self.set_follow(False)
        bring_to_front(self)
        self._request(ImageRef(str(path), int(frame), "asked for"))

    def open_dialog(self) -> None:
        """Ask the user for an image file and show it."""
        directory = ""
        if self.viewer is not None and self.viewer.frame is not None:
            directory = str(self.viewer.frame.path)
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open a diffraction image", directory, FILE_FILTER
        )
        if path:
            self.show_image(path)

    def cleanup(self) -> None:
        self._best_timer.stop()
        self._warm_up_timer.stop()
        super().cleanup()
        if self.viewer is not None:
            self.viewer.dispose()
