"""An energy scan as it runs: fluorescence against energy in a silx plot, the peak,
inflection and remote marked when it ends, and MAD collections made from it.

``silx.gui.plot`` is imported when the brick is first shown, not when this module is
imported: a layout without the brick never loads it.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hardware_objects.abstract.energy_scan import AbstractEnergyScan
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.roles import QueueEngineRole
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.silx_docks import keep_docks_with
from mxgui.gui.silx_margins import keep_labels_whole

log = logging.getLogger(__name__)

#: the legend of the one curve of the plot
CURVE = "scan"
#: the energies marked at the end of a scan, with their colours
MARKERS = {"peak": "#c62828", "inflection": "#1565c0", "remote": "#2e7d32"}
FAILURE_STYLE = "color: #c62828; font-weight: bold;"


class _NoHeavyFontWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Failed to find font weight heavy" not in record.getMessage()


class EnergyScanBrick(Brick):
    """Plots the points of the energy scan of ``energy_scan`` as they are counted (the
    curve is redrawn at most every ``refresh_ms``, however fast the points come), marks
    peak, inflection and remote with vertical lines when the scan ends and lists their
    energies; a failed scan shows its reason.

    "Create MAD collections" adds peak, inflection and remote data collections after the
    last EnergyScan queue entry that ended successfully (the ``queue`` engine's
    ``entryFinished``); a scan started outside the queue has no queue entry, so it only
    shows.
    """

    PROPERTIES = (
        p.hardware_object(
            "energy_scan", "", "the energy scan object, e.g. /energy_scan", AbstractEnergyScan
        ),
        p.hardware_object(
            "queue", "", "the queue (optional: MAD collections), e.g. /queue", QueueHardwareObject
        ),
        p.integer("refresh_ms", 100, "redraw period of the curve while scanning, ms", minimum=20),
    )
    scanEnded = pyqtSignal(bool)
    SIGNALS = ("scanEnded",)
    SLOTS = ("create_mad_collections",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.energy_scan: AbstractEnergyScan | None = None
        self.queue: QueueHardwareObject | None = None
        self.engine: QueueEngineRole | None = None
        #: the points received, keV and counts
        self.energies: list[float] = []
        self.counts: list[float] = []
        self._dirty = False
        #: the energies marked (peak, inflection, remote), keV, once a scan ended
        self.result: dict[str, Any] | None = None
        #: the last EnergyScan queue entry that succeeded
        self.scan_node: int | None = None

        #: the silx plot, made the first time the brick is shown (silx costs ~1 s to import)
        self.plot: Any = None
        self._title = "Energy scan"
        self._plot_place = QWidget()
        self._plot_place.setMinimumHeight(220)
        self.state_label = QLabel("No scan")
        self.energies_label = QLabel("")
        self.energies_label.setWordWrap(True)
        self.energies_label.setTextFormat(Qt.RichText)
        self.mad_button = QPushButton("Create MAD collections")
        self.mad_button.setEnabled(False)
        self.mad_button.setToolTip("needs an energy scan of the queue that ended successfully")
        self.mad_button.clicked.connect(self.create_mad_collections)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._redraw)

        bottom = QHBoxLayout()
        bottom.addWidget(self.state_label)
        bottom.addWidget(self.energies_label, 1)
        bottom.addWidget(self.mad_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self._plot_place, 1)
        column.addLayout(bottom)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self.plot is None:
            self._make_plot()

    def _make_plot(self) -> None:
        """Import silx and make the plot, then draw what has been received so far."""
        from silx.gui.plot import Plot1D  # deferred: heavy, and only for this brick

        # silx asks matplotlib for a "heavy" font it does not have: a harmless warning
        # that would otherwise sit in the status bar
        font_log = logging.getLogger("matplotlib.font_manager")
        if not any(isinstance(f, _NoHeavyFontWarning) for f in font_log.filters):
            font_log.addFilter(_NoHeavyFontWarning())
        self.plot = Plot1D(self)
        keep_docks_with(self.plot)
        keep_labels_whole(self.plot, widest_tick="12.000")
        self.plot.setGraphXLabel("Energy (keV)")
        self.plot.setGraphYLabel("Counts")
        self.plot.setGraphTitle(self._title)
        self.plot.setMinimumHeight(220)
        self.layout().replaceWidget(self._plot_place, self.plot)
        self._plot_place.deleteLater()
        self.plot.show()  # added to a parent already on screen: not shown by itself
        self._dirty = True
        self._redraw()
        self._draw_markers()

    # properties ------------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "energy_scan":
            self.energy_scan = self.hardware_object("energy_scan", AbstractEnergyScan)
            if self.energy_scan is not None:
                for signal, slot in (
                    ("scanStarted", self._on_started),
                    ("scanPoint", self._on_point),
                    ("scanFinished", self._on_finished),
                    ("scanFailed", self._on_failed),
                ):
                    self.bind(self.energy_scan, signal, slot, scope="energy_scan")
        elif name == "queue":
            self.queue = self.hardware_object("queue", QueueHardwareObject)
            if self.queue is not None:
                self.bind(self.queue, "engineChanged", self._set_engine, scope="queue")
            self._set_engine(self.queue.engine if self.queue is not None else None)
        elif name == "refresh_ms":
            self._timer.setInterval(int(new_value))

    def _set_engine(self, engine: QueueEngineRole | None) -> None:
        self.unbind("engine")
        self.engine = engine
        self.scan_node = None
        if engine is not None:
            self.bind(engine, "entryFinished", self._on_entry_finished, scope="engine")
        self._update_button()

    # hardware -> display (GUI thread) ----------------------------------------------------------
    def _on_started(self, parameters: dict[str, Any]) -> None:
        self.energies, self.counts = [], []
        self.result = None
        element, edge = parameters.get("element", "?"), parameters.get("edge", "?")
        self._title = f"Energy scan: {element} {edge}"
        if self.plot is not None:
            self.plot.remove(kind="marker")
            self.plot.remove(CURVE, kind="curve")
            self.plot.setGraphTitle(self._title)
        self.state_label.setText("Scanning")
        self.state_label.setStyleSheet("")
        self.energies_label.setText("")
        self._dirty = False
        self._timer.start()

    def _on_point(self, energy: float, counts: float) -> None:
        self.energies.append(float(energy))
        self.counts.append(float(counts))
        self._dirty = True  # drawn at the next timer tick

    def _redraw(self) -> None:
        if not self._dirty or self.plot is None:
            return
        self._dirty = False
        self.plot.addCurve(
            self.energies, self.counts, legend=CURVE, color="#37474f", resetzoom=True
        )

    def _on_finished(self, result: dict[str, Any]) -> None:
        self._timer.stop()
        # the result's points are the scan's own: draw them, whatever was missed
        self.energies = [float(e) for e in result.get("energies", self.energies)]
        self.counts = [float(c) for c in result.get("counts", self.counts)]
        self._dirty = True
        self._redraw()
        self.result = {key: float(result[key]) for key in MARKERS if key in result}
        self._draw_markers()
        self.state_label.setText("Finished")
        self.energies_label.setText(
            "&nbsp;&nbsp; ".join(
                f'<span style="color: {MARKERS[key]}"><b>{key}: {energy:.4f} keV</b></span>'
                for key, energy in self.result.items()
            )
        )
        self.scanEnded.emit(True)

    def _draw_markers(self) -> None:
        if self.plot is None or not self.result:
            return
        for key, energy in self.result.items():
            # no text on the lines: peak and inflection are a few eV apart and their
            # texts would overlap; the label below names them in the lines' colours
            self.plot.addXMarker(energy, legend=key, color=MARKERS[key])
        self._show_all()

    def _show_all(self) -> None:
        """Energy limits holding the points and the markers (the remote is far above)."""
        shown = self.energies + list((self.result or {}).values())
        if shown:
            low, high = min(shown), max(shown)
            margin = max((high - low) * 0.03, 0.0005)
            self.plot.setGraphXLimits(low - margin, high + margin)

    def _on_failed(self, reason: str) -> None:
        self._timer.stop()
        self._dirty = True
        self._redraw()
        self.state_label.setText("Failed")
        self.state_label.setStyleSheet(FAILURE_STYLE)
        self.energies_label.setText(html.escape(str(reason)))
        self.scanEnded.emit(False)

    def _on_entry_finished(self, node_id: int, status: str, message: str) -> None:
        if self.queue is None or node_id not in self.queue.model:
            return
        node = self.queue.model.get_node(node_id)
        if node.type == "EnergyScan" and status == "success":
            self.scan_node = node_id
            self._update_button()

    def _update_button(self) -> None:
        self.mad_button.setEnabled(self.engine is not None and self.scan_node is not None)

    # user -> queue ----------------------------------------------------------------------------
    def create_mad_collections(self) -> list[int]:
        """Add peak, inflection and remote collections after the last successful queue
        energy scan; the new node ids (none if refused: the reason is in the tooltip)."""
        if self.engine is None or self.scan_node is None:
            return []
        try:
            added = self.engine.add_mad_collections(self.scan_node)
        except ValueError as exc:  # Refused: the node went away, the queue is running, ...
            log.warning("%s: MAD collections: %s", self.name, exc)
            self.mad_button.setToolTip(f"MAD collections: {exc}")
            return []
        log.info("%s: MAD collections %s after entry %s", self.name, added, self.scan_node)
        self.mad_button.setToolTip(f"added entries {', '.join(map(str, added))}")
        return list(added)

    def cleanup(self) -> None:
        self._timer.stop()
        super().cleanup()
