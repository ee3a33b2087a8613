"""The sample changer: pucks and pins drawn, load / unload / abort / reset / scan; the
LIMS's names of the logged-in proposal's samples, and where the LIMS disagrees."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from PyQt5.QtCore import QEvent, QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import (
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PyQt5.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.abstract.sample_changer import (
    BUSY_STATES,
    AbstractSampleChanger,
    Puck,
    Sample,
    SampleChangerState,
    hardware_state,
)
from mxgui.core.lims.catalogue import (
    SampleCatalogue,
    catalogue_of,
    lims_label,
    lims_tooltip_lines,
    mismatch_list,
)
from mxgui.core.words import counted
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import STATE_COLOURS
from mxgui.gui.widgets import ProgressLine

if TYPE_CHECKING:
    from mxgui.core.lims.queries import LimsSample

log = logging.getLogger(__name__)

#: pin fill colours, also shown in the legend
COLOURS = {
    "sample": QColor("#42a5f5"),
    "mounted before": QColor("#9575cd"),
    "empty": QColor("#d6d6d6"),
    "unknown": QColor("#ffffff"),
    "loaded": QColor("#2e7d32"),
    "in transfer": QColor("#ffb300"),
}
SELECTED = QColor("#e65100")
#: the ring of a pin where the LIMS and the sample changer disagree
MISMATCH = QColor("#d50000")
PUCK_FILL, PUCK_RIM, DEWAR_FILL = QColor("#eceff1"), QColor("#607d8b"), QColor("#fafafa")
LEGEND_HEIGHT = 22
#: uni-puck: 5 pins on an inner ring, 11 on an outer one (radii as fractions of the puck)
UNIPUCK_RINGS = ((5, 0.36), (11, 0.76))


class PuckView(QWidget):
    """The dewar seen from above: pucks in a ring, pins drawn as coloured discs.

    One widget paints everything (no widget per pin). Geometry: :meth:`pin_center`,
    :meth:`pin_radius`, :meth:`pin_at`; colours: :meth:`pin_colour`. A click on a pin
    emits ``pinClicked(address)``.
    """

    pinClicked = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pucks: list[Puck] = []
        self.selected: str | None = None
        self.active: str | None = None  # the sample being moved
        self._samples: dict[str, Sample] = {}
        self.lims: Mapping[str, LimsSample] = {}
        #: address -> how the LIMS and the sample changer disagree there
        self.mismatches: dict[str, str] = {}
        self._pins: dict[str, QPointF] = {}
        self._puck_centres: list[tuple[QPointF, float]] = []
        self._pin_radius = 1.0
        self._dewar = (QPointF(), 0.0)
        self.setMouseTracking(True)
        self.setMinimumSize(240, 240 + LEGEND_HEIGHT)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(430, 430 + LEGEND_HEIGHT)

    # model -------------------------------------------------------------------------------
    def set_contents(self, pucks: list[Puck]) -> None:
        """Show ``pucks`` (immutable snapshots from the sample changer)."""
        shape_changed = [len(p.samples) for p in pucks] != [len(p.samples) for p in self.pucks]
        self.pucks = list(pucks)
        self._samples = {s.address: s for puck in pucks for s in puck.samples}
        if shape_changed:
            self._layout()
        self.update()

    def set_lims(self, lims: Mapping[str, LimsSample], mismatches: dict[str, str]) -> None:
        """Show the LIMS samples by address and where they disagree with the changer."""
        self.lims, self.mismatches = lims, mismatches
        self.update()

    def set_selected(self, address: str | None) -> None:
        self.selected = address
        self.update()

    def set_active(self, address: str | None) -> None:
        self.active = address
        self.update()

    def sample(self, address: str) -> Sample | None:
        return self._samples.get(address)

    # geometry ----------------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._layout()

    def _layout(self) -> None:
        width, height = self.width(), self.height() - LEGEND_HEIGHT
        count = len(self.pucks)
        self._pins.clear()
        self._puck_centres.clear()
        if count == 0 or width < 10 or height < 10:
            return
        centre = QPointF(width / 2, height / 2)
        dewar_radius = min(width, height) / 2 - 4
        self._dewar = (centre, dewar_radius)
        if count == 1:
            places = [(centre, dewar_radius * 0.9)]
        else:
            # pucks on a ring, touching neither each other nor the dewar wall
            gap = math.sin(math.pi / count)
            radius = dewar_radius * 0.95 / (1 + 1.1 / gap)
            ring = dewar_radius * 0.95 - radius
            places = []
            for i in range(count):
                angle = -math.pi / 2 + 2 * math.pi * i / count
                places.append(
                    (centre + QPointF(ring * math.cos(angle), ring * math.sin(angle)), radius)
                )
        self._puck_centres = places
        for puck, (puck_centre, radius) in zip(self.pucks, places):
            pins = len(puck.samples)
            rings = UNIPUCK_RINGS if pins == 16 else ((pins, 0.7),)
            self._pin_radius = radius * (0.17 if pins == 16 else min(0.2, 0.56 / max(pins, 1)))
            number = 1
            for n, fraction in rings:
                for k in range(n):
                    angle = -math.pi / 2 + 2 * math.pi * k / n
                    offset = QPointF(math.cos(angle), math.sin(angle)) * radius * fraction
                    self._pins[puck.sample(number).address] = puck_centre + offset
                    number += 1

    def pin_center(self, address: str) -> QPointF:
        """Centre of the pin at ``address`` in widget coordinates."""
        return QPointF(self._pins[address])

    def pin_radius(self) -> float:
        return self._pin_radius

    def pin_at(self, pos: QPointF) -> str | None:
        """The address of the pin under ``pos``, or ``None``."""
        reach = (self._pin_radius + 2) ** 2
        for address, centre in self._pins.items():
            delta = pos - centre
            if delta.x() ** 2 + delta.y() ** 2 <= reach:
                return address
        return None

    def puck_at(self, pos: QPointF) -> int | None:
        """The index of the puck under ``pos``, or ``None``."""
        for puck, (centre, radius) in zip(self.pucks, self._puck_centres):
            delta = pos - centre
            if delta.x() ** 2 + delta.y() ** 2 <= radius**2:
                return puck.index
        return None

    def puck_tooltip(self, index: int) -> str:
        """Position, name, barcode, type and sample count of puck ``index``."""
        puck = self.pucks[index - 1]
        count = sum(1 for s in puck.samples if s.present)
        lines = [
            f"<b>puck {puck.index}</b> {puck.name}",
            f"{puck.type}, {counted(count, 'sample')}",
        ]
        if puck.barcode and puck.barcode != puck.name:
            lines.append(f"barcode {puck.barcode}")
        return "<br>".join(lines)

    def pin_colour(self, address: str) -> QColor:
        """The fill colour the pin at ``address`` is drawn with."""
        sample = self._samples.get(address)
        if sample is None:
            return COLOURS["unknown"]
        if address == self.active:
            return COLOURS["in transfer"]
        if sample.loaded:
            return COLOURS["loaded"]
        if sample.present is False:
            return COLOURS["empty"]
        if sample.present is None:
            return COLOURS["unknown"]
        return COLOURS["mounted before" if sample.has_been_loaded else "sample"]

    def pin_tooltip(self, address: str) -> str:
        """Address, name, protein, barcode and status of the pin at ``address``; what
        the LIMS has there (name, acronym, blSampleId, container) and, in red, where the
        LIMS and the sample changer disagree."""
        sample = self._samples.get(address)
        if sample is None:
            return address
        lines = [f"<b>{address}</b>"]
        if sample.present is False:
            lines.append("empty")
        elif sample.present is None:
            lines.append("not scanned yet")
        lims = self.lims.get(address)
        if lims is not None:
            lines += lims_tooltip_lines(lims, sample.barcode)
        if sample.name and (lims is None or sample.name != lims.name):
            where = "sample changer: " if lims is not None else ""
            lines.append(f"{where}{html.escape(sample.name)} ({sample.protein_acronym})")
        if lims is None and self.lims and sample.present:
            lines.append("not in the LIMS")
        if sample.barcode:
            lines.append(f"barcode {sample.barcode}")
        problem = self.mismatches.get(address)
        if problem:
            lines.append(f'<span style="color: #d50000;">{html.escape(problem)}</span>')
        if sample.loaded:
            lines.append("<b>on the goniometer</b>")
        elif sample.has_been_loaded:
            lines.append("mounted before")
        return "<br>".join(lines)

    # events ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        address = self.pin_at(QPointF(event.pos()))
        if event.button() == Qt.LeftButton and address is not None:
            self.pinClicked.emit(address)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        over = self.pin_at(QPointF(event.pos())) is not None
        self.setCursor(Qt.PointingHandCursor if over else Qt.ArrowCursor)
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:
        if isinstance(event, QHelpEvent) and event.type() == QEvent.ToolTip:
            pos = QPointF(event.pos())
            address, puck = self.pin_at(pos), self.puck_at(pos)
            if address is not None:
                QToolTip.showText(event.globalPos(), self.pin_tooltip(address), self)
            elif puck is not None:
                QToolTip.showText(event.globalPos(), self.puck_tooltip(puck), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # painting ----------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        if not self.pucks:
            painter.drawText(self.rect(), Qt.AlignCenter, "no contents")
            return
        centre, radius = self._dewar
        painter.setPen(QPen(QColor("#90a4ae"), 2))
        painter.setBrush(DEWAR_FILL)
        painter.drawEllipse(centre, radius, radius)
        for puck, (puck_centre, puck_radius) in zip(self.pucks, self._puck_centres):
            self._paint_puck(painter, puck, puck_centre, puck_radius)
        self._paint_legend(painter)

    def _paint_puck(self, painter: QPainter, puck: Puck, centre: QPointF, radius: float) -> None:
        painter.setPen(QPen(PUCK_RIM, 2))
        painter.setBrush(PUCK_FILL)
        painter.drawEllipse(centre, radius, radius)
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(max(9, int(radius * 0.3)))
        painter.setFont(font)
        painter.setPen(PUCK_RIM)
        box = QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius)
        painter.drawText(box, Qt.AlignCenter, str(puck.index))
        pin_r = self._pin_radius
        font.setBold(False)
        font.setPixelSize(max(7, int(pin_r * 0.95)))
        painter.setFont(font)
        for sample in puck.samples:
            address = sample.address
            pin_centre = self._pins[address]
            fill = self.pin_colour(address)
            painter.setBrush(fill)
            outline = QColor("#9e9e9e") if sample.present is False else fill.darker(150)
            painter.setPen(
                QPen(outline, 1.2, Qt.DashLine if sample.present is None else Qt.SolidLine)
            )
            painter.drawEllipse(pin_centre, pin_r, pin_r)
            if sample.loaded:
                painter.setBrush(Qt.NoBrush)
                painter.setPen(QPen(COLOURS["loaded"], 2))
                painter.drawEllipse(pin_centre, pin_r + 3.5, pin_r + 3.5)
            if address in self.mismatches:  # outside the selection ring when selected
                ring = pin_r + (5.5 if address == self.selected else 2)
                painter.setBrush(Qt.NoBrush)
                painter.setPen(QPen(MISMATCH, 2.5, Qt.DotLine))
                painter.drawEllipse(pin_centre, ring, ring)
            if address == self.selected:
                painter.setBrush(Qt.NoBrush)
                painter.setPen(QPen(SELECTED, 3))
                painter.drawEllipse(pin_centre, pin_r + 2, pin_r + 2)
            if pin_r >= 8:
                dark = fill.lightness() < 140
                painter.setPen(QColor("white") if dark else QColor("#37474f"))
                box = QRectF(pin_centre.x() - pin_r, pin_centre.y() - pin_r, 2 * pin_r, 2 * pin_r)
                painter.drawText(box, Qt.AlignCenter, str(sample.pin))

    def _paint_legend(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPixelSize(11)
        painter.setFont(font)
        x, y = 6.0, self.height() - LEGEND_HEIGHT / 2
        entries: list[tuple[str, QColor | None]] = [
            (name, COLOURS[name]) for name in ("sample", "mounted before", "empty")
        ]
        entries += [("loaded", COLOURS["loaded"]), ("selected", None)]
        if self.mismatches:
            entries.append(("LIMS mismatch", None))
        for name, colour in entries:
            if colour is not None:
                painter.setPen(QPen(colour.darker(150), 1))
            elif name == "selected":
                painter.setPen(QPen(SELECTED, 2.5))
            else:
                painter.setPen(QPen(MISMATCH, 2.5, Qt.DotLine))
            painter.setBrush(Qt.NoBrush if colour is None else colour)
            painter.drawEllipse(QPointF(x + 6, y), 5.5, 5.5)
            painter.setPen(QColor("#37474f"))
            width = painter.fontMetrics().horizontalAdvance(name)
            painter.drawText(QRectF(x + 15, y - 8, width + 2, 16), Qt.AlignVCenter, name)
            x += 15 + width + 14


class SampleChangerBrick(Brick):
    """The sample changer's dewar: click a pin to select it, then Load; Unload, Abort,
    Reset and Scan. The state (coloured) and the status message are on top, the current
    step and progress below the pucks; a button is enabled only when its operation is
    allowed, and its tooltip says why not otherwise.

    With the ``lims`` property, the logged-in proposal's samples as the LIMS has them:
    their names on the pins (tooltip and selection, with blSampleId and container), a
    line counting them, and the pins where the LIMS and the sample changer disagree
    (ringed in red, said in the tooltip and the line)."""

    PROPERTIES = (
        p.hardware_object(
            "sample_changer",
            "/sample_changer",
            "the sample changer, e.g. /sample_changer",
            interface=AbstractSampleChanger,
        ),
        p.boolean("show_scan", True, "show the Scan button"),
        p.hardware_object(
            "lims",
            "",
            "the LIMS whose samples are named on the pins, e.g. /lims",
            interface=AbstractLims,
        ),
    )
    sampleSelected = pyqtSignal(str)
    sampleLoaded = pyqtSignal(str)
    SIGNALS = ("sampleSelected", "sampleLoaded")
    SLOTS = ("select_sample", "load_sample", "unload_sample", "abort", "reset", "scan")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.sample_changer: AbstractSampleChanger | None = None
        self.lims: AbstractLims | None = None
        self.catalogue: SampleCatalogue | None = None
        self.selected: str | None = None
        self.state_label = QLabel("no sample changer")
        self.state_label.setWordWrap(True)
        self.state_label.setMargin(4)
        self.view = PuckView()
        self.view.pinClicked.connect(self.select_sample)
        self.lims_label = QLabel()
        self.lims_label.setObjectName("lims_samples")
        self.lims_label.setWordWrap(True)
        self.lims_label.setVisible(False)
        self.info_label = QLabel("click a pin to select a sample")
        self.info_label.setWordWrap(True)
        self.progress = ProgressLine()
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        buttons = QHBoxLayout()
        self._buttons: dict[str, QPushButton] = {}
        for operation, slot in (
            ("load", lambda: self.load_sample(self.selected or "")),
            ("unload", self.unload_sample),
            ("abort", self.abort),
            ("reset", self.reset),
            ("scan", self.scan),
        ):
            button = QPushButton(operation.capitalize())
            button.clicked.connect(slot)
            button.setEnabled(False)
            buttons.addWidget(button)
            self._buttons[operation] = button
        self.load_button, self.unload_button, self.abort_button = list(self._buttons.values())[:3]
        self.reset_button, self.scan_button = self._buttons["reset"], self._buttons["scan"]
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.state_label)
        column.addWidget(self.lims_label)
        column.addWidget(self.view, 1)
        column.addWidget(self.info_label)
        column.addWidget(self.progress)
        column.addLayout(buttons)

    # properties -----------------------------------------------------------------------------
    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "sample_changer":
            self._set_sample_changer(self.hardware_object("sample_changer", AbstractSampleChanger))
        elif name == "show_scan":
            self.scan_button.setVisible(new_value)
        elif name == "lims":
            self._set_lims(self.hardware_object("lims", AbstractLims))

    def _set_lims(self, lims: AbstractLims | None) -> None:
        self.lims = lims
        self.catalogue = catalogue_of(lims) if lims is not None else None
        if self.catalogue is not None:
            self.bind(self.catalogue, "catalogueChanged", self._on_lims, scope="lims")
        self._on_lims()

    def _set_sample_changer(self, changer: AbstractSampleChanger | None) -> None:
        self.sample_changer = changer
        if changer is None:
            self.view.set_contents([])
            self._update_buttons()
            return
        self.bind(changer, "scStateChanged", self._on_state, scope="sample_changer")
        self.bind(changer, "contentsChanged", self._on_contents, scope="sample_changer")
        self.bind(changer, "loadedSampleChanged", self._on_loaded, scope="sample_changer")
        self.bind(changer, "progressChanged", self._on_progress, scope="sample_changer")
        self._on_contents()
        self._on_state(changer.get_sc_state(), changer.get_status_message())

    # hardware -> display ------------------------------------------------------------------------
    def _on_state(self, state: SampleChangerState, message: str) -> None:
        text = message if message.startswith(state.name) else f"{state.name}: {message}"
        self.state_label.setText(text.rstrip(": "))
        colour = STATE_COLOURS[hardware_state(state)]
        self.state_label.setStyleSheet(
            f"QLabel {{ background-color: {colour}; font-weight: bold; }}"
        )
        self.state_label.setToolTip(f"sample changer {state.name}")
        changer = self.sample_changer
        busy = state in BUSY_STATES and changer is not None
        self.view.set_active(changer.get_target_address() if busy and changer else None)
        self._update_buttons()

    def _on_contents(self) -> None:
        if self.sample_changer is not None:
            self.view.set_contents(self.sample_changer.get_contents())
        self._on_lims()
        self._update_buttons()

    def _on_lims(self) -> None:
        """Name the pins as the LIMS does, and show where it disagrees with the changer."""
        catalogue = self.catalogue
        if catalogue is None or not len(catalogue):
            self.view.set_lims({}, {})
            self.lims_label.setVisible(False)
            self._show_selection()
            return
        mismatches = catalogue.mismatches(self.view.pucks)
        self.view.set_lims(catalogue.by_address(), mismatches)
        login = self.lims.get_login() if self.lims is not None else None
        self.lims_label.setText(catalogue.summary(login.proposal if login else "", mismatches))
        self.lims_label.setToolTip(mismatch_list(mismatches))
        self.lims_label.setStyleSheet("QLabel { color: #b71c1c; }" if mismatches else "")
        self.lims_label.setVisible(True)
        self._show_selection()

    def _on_loaded(self, sample: Sample | None) -> None:
        self._on_contents()
        self.sampleLoaded.emit(sample.address if sample is not None else "")

    def _on_progress(self, fraction: float, step: str) -> None:
        self.progress.set_fraction(fraction)
        self.progress.setFormat(f"{step}  %p%" if step else "%p%")

    def _update_buttons(self) -> None:
        changer = self.sample_changer
        loaded = changer.get_loaded_sample() if changer is not None else None
        self.load_button.setText(f"Load {self.selected}" if self.selected else "Load")
        self.unload_button.setText(f"Unload {loaded.address}" if loaded else "Unload")
        for operation, button in self._buttons.items():
            reason = (
                "no sample changer"
                if changer is None
                else changer.why_not(operation, self.selected)
            )
            button.setEnabled(reason is None)
            button.setToolTip(reason or button.text())

    def _show_selection(self) -> None:
        sample = self.view.sample(self.selected) if self.selected else None
        if sample is None:
            return
        words = [f"<b>{sample.address}</b>"]
        if sample.present is False:
            words.append("empty pin")
        lims = self.view.lims.get(sample.address)
        if lims is not None:
            words.append(f"{html.escape(lims_label(lims))} (LIMS {lims.sample_id})")
        elif sample.name:
            words.append(f"{html.escape(sample.name)} ({sample.protein_acronym})")
        if sample.barcode:
            words.append(f"barcode {sample.barcode}")
        if sample.loaded:
            words.append("on the goniometer")
        problem = self.view.mismatches.get(sample.address)
        if problem:
            words.append(html.escape(problem))
        self.info_label.setText(" · ".join(words))
        self.info_label.setStyleSheet("QLabel { color: #b71c1c; }" if problem else "")

    # user -> hardware ---------------------------------------------------------------------------
    def select_sample(self, address: str) -> None:
        """Select the pin at ``address`` (``"3:05"``); emits ``sampleSelected``."""
        if self.sample_changer is None:
            return
        try:
            address = self.sample_changer.get_sample(address).address
        except ValueError as exc:
            self._report(str(exc))
            return
        self.selected = address
        self.view.set_selected(address)
        self._show_selection()
        self._update_buttons()
        self.sampleSelected.emit(address)

    def load_sample(self, address: str) -> None:
        """Load the sample at ``address`` (selecting it)."""
        if self.sample_changer is None:
            return
        if address and address != self.selected:
            self.select_sample(address)
        self._call(f"load of {address}", self.sample_changer.load, address)

    def unload_sample(self) -> None:
        """Unload the sample on the goniometer."""
        if self.sample_changer is not None:
            self._call("unload", self.sample_changer.unload)

    def abort(self) -> None:
        """Abort the sample changer's operation in progress."""
        if self.sample_changer is not None:
            self.sample_changer.abort()

    def reset(self) -> None:
        """Reset the sample changer (after an alarm or fault)."""
        if self.sample_changer is not None:
            self._call("reset", self.sample_changer.reset)

    def scan(self) -> None:
        """Read the barcodes of every puck."""
        if self.sample_changer is not None:
            self._call("scan", self.sample_changer.scan)

    def _call(self, what: str, method: Callable[..., Future[Any]], *args: object) -> None:
        self.start(lambda: method(*args), f"{what} failed", self._report)

    def _report(self, message: str) -> None:
        log.warning("sample changer: %s", message)
        self.info_label.setText(message)
        self.info_label.setStyleSheet("QLabel { color: #b71c1c; }")
