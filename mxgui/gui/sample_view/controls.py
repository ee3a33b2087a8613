"""The sample view's controls: zoom level, light levels, and the grid's cell size."""

from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from mxgui.gui.flow_layout import FlowLayout

LIGHTS = (("frontlight", "Front"), ("backlight", "Back"))
SLIDER_WIDTH = 90
#: a slider being dragged sends its value at most this often, milliseconds
LIGHT_INTERVAL_MS = 100


def group(*widgets: QWidget) -> QWidget:
    """``widgets`` side by side in one widget: a label and its field wrap together."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(3)
    for widget in widgets:
        row.addWidget(widget)
    return holder


class ZoomLightsBar(QWidget):
    """Zoom levels in a combo box and a 0-100 slider per light.

    ``zoomChosen(level)`` when the user picks a level; ``lightChosen(role,
    value)`` when the user moves a slider (at most every :data:`LIGHT_INTERVAL_MS`
    while dragging, and once when it is released). :meth:`show_zoom` and
    :meth:`show_light` show the hardware's values without sending them back. What does
    not fit the width wraps onto the next row.
    """

    zoomChosen = pyqtSignal(str)
    lightChosen = pyqtSignal(str, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self)
        self.zoom_box = QComboBox()
        self.zoom_box.setToolTip("zoom level of the sample camera")
        self.zoom_box.activated[str].connect(self.zoomChosen)
        self.flow.add_widget(group(QLabel("Zoom:"), self.zoom_box))
        self.sliders: dict[str, QSlider] = {}
        self.values: dict[str, QLabel] = {}
        self._pending: dict[str, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIGHT_INTERVAL_MS)
        self._timer.timeout.connect(self._send_lights)
        for role, title in LIGHTS:
            self.flow.add_gap()
            slider = QSlider(Qt.Horizontal)
            slider.setRange(0, 100)
            slider.setFixedWidth(SLIDER_WIDTH)
            slider.setToolTip(f"{title.lower()} light level, %")
            slider.valueChanged.connect(lambda value, role=role: self._moved(role, value))
            slider.sliderReleased.connect(self._send_lights)
            value = QLabel("-")
            value.setMinimumWidth(34)
            self.flow.add_widget(group(QLabel(f"{title} light:"), slider, value))
            self.sliders[role], self.values[role] = slider, value

    def set_zoom_levels(self, levels: list[str]) -> None:
        self.zoom_box.clear()
        self.zoom_box.addItems([str(level) for level in levels])

    def show_zoom(self, level: str) -> None:
        self.zoom_box.setCurrentText(str(level))

    def set_light_available(self, role: str, available: bool) -> None:
        self.sliders[role].setEnabled(available)
        if not available:
            self.values[role].setText("-")

    def show_light(self, role: str, value: float | None) -> None:
        if value is None or role in self._pending:
            return
        slider = self.sliders[role]
        slider.blockSignals(True)
        slider.setValue(round(float(value)))
        slider.blockSignals(False)
        self.values[role].setText(f"{float(value):.0f} %")

    def _moved(self, role: str, value: int) -> None:
        self._pending[role] = value
        self.values[role].setText(f"{value} %")
        if not self._timer.isActive():
            self._timer.start()

    def _send_lights(self) -> None:
        pending, self._pending = self._pending, {}
        for role, value in pending.items():
            self.lightChosen.emit(role, float(value))


class GridParameters(QWidget):
    """Cell size and spacing of the next grid (micrometres), in one row (two when narrow);
    the cell size follows the beam size until the user changes it. ``applyRequested``
    asks to redraw the last grid with these values."""

    applyRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.flow = FlowLayout(self)
        self.boxes: dict[str, QDoubleSpinBox] = {}
        fields = (
            ("cell_width", "Grid cell:", "cell width", 0.1),
            ("cell_height", "×", "cell height", 0.1),
            ("spacing_x", "gap:", "gap between columns", 0.0),
            ("spacing_y", "×", "gap between rows", 0.0),
        )
        pair: list[QWidget] = []
        for key, title, tip, low in fields:
            box = QDoubleSpinBox()
            box.setRange(low, 5000.0)
            box.setDecimals(1)
            box.setSuffix(" µm")
            box.setKeyboardTracking(False)
            box.setToolTip(f"{tip} of the next grid, micrometres")
            box.setMaximumWidth(86)
            pair += [QLabel(title), box]
            if key in ("cell_height", "spacing_y"):  # "width × height" stay together
                self.flow.add_widget(group(*pair))
                pair = []
            self.boxes[key] = box
        self.beam_button = QPushButton("Beam")
        self.beam_button.setToolTip("cells of the beam size")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("draw the last grid again with these cells")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.applyRequested)
        self.flow.add_widget(group(self.beam_button, self.apply_button))
        self._beam_size_um = (50.0, 50.0)
        self._showing_beam = False
        #: the cell size follows the beam's until the user types another
        self.follows_beam = True
        self.beam_button.clicked.connect(self.use_beam_size)
        for key in ("cell_width", "cell_height"):
            self.boxes[key].valueChanged.connect(self._edited)

    def _edited(self) -> None:
        if self._showing_beam:
            return
        self.follows_beam = False

    def set_beam_size(self, width_mm: float, height_mm: float) -> None:
        """The beam's size: the cell size while the user has not chosen another."""
        self._beam_size_um = (width_mm * 1000.0, height_mm * 1000.0)
        if self.follows_beam:
            self.use_beam_size()

    def use_beam_size(self) -> None:
        self._showing_beam = True
        self.boxes["cell_width"].setValue(self._beam_size_um[0])
        self.boxes["cell_height"].setValue(self._beam_size_um[1])
        self._showing_beam = False
        self.follows_beam = True

    def set_values(
        self,
        cell_width_um: float,
        cell_height_um: float,
        spacing_x_um: float = 0.0,
        spacing_y_um: float = 0.0,
    ) -> None:
        """Type the values in (for scripts and tests)."""
        values = (cell_width_um, cell_height_um, spacing_x_um, spacing_y_um)
        for key, value in zip(("cell_width", "cell_height", "spacing_x", "spacing_y"), values):
            self.boxes[key].setValue(value)

    def values_mm(self) -> tuple[float, float, float, float]:
        """``(cell_width, cell_height, spacing_x, spacing_y)`` in mm."""
        keys = ("cell_width", "cell_height", "spacing_x", "spacing_y")
        return tuple(self.boxes[key].value() / 1000.0 for key in keys)  # type: ignore[return-value]

    def set_apply_target(self, grid_name: str | None) -> None:
        """The grid that :attr:`apply_button` redraws (``None``: none)."""
        self.apply_button.setEnabled(grid_name is not None)
        self.apply_button.setText(f"Apply to {grid_name}" if grid_name else "Apply")
