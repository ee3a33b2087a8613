"""The detector: distance, ROI mode, image and pixel size, beam centre."""

from __future__ import annotations

from PyQt5.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QWidget

from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.state_colours import state_style
from mxgui.gui.widgets import SetpointSpinBox


class DetectorBrick(Brick):
    """The detector's model, distance (type and press Enter to move), ROI mode (choose
    to switch), image size in pixels and mm, pixel size, beam centre, shortest exposure
    and file format; all follow the hardware live."""

    PROPERTIES = (
        p.hardware_object("detector", "/detector", "the detector", interface=AbstractDetector),
        p.boolean("allow_set", True, "let the user move the detector and change the ROI mode"),
    )
    SLOTS = ("set_distance", "set_roi_mode")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.detector: AbstractDetector | None = None
        self.motor: AbstractMotor | None = None
        self.model_label = QLabel("-")
        self.distance_input = SetpointSpinBox()
        # any number: the motor refuses out-of-limit distances naming the limit
        self.distance_input.setRange(-1e6, 1e6)
        self.distance_input.setMinimumWidth(110)
        self.distance_input.valueEntered.connect(self.set_distance)
        self.distance_input.valueReverted.connect(self._show_distance)
        self.distance_limits = QLabel("-")
        distance_row = QHBoxLayout()
        distance_row.addWidget(self.distance_input, 1)
        distance_row.addWidget(self.distance_limits)
        self.roi_box = QComboBox()
        self.roi_box.activated[str].connect(self.set_roi_mode)  # the user's choices only
        self.size_label = QLabel("-")
        self.pixel_label = QLabel("-")
        self.beam_centre_label = QLabel("-")
        self.exposure_label = QLabel("-")
        self.format_label = QLabel("-")
        form = QFormLayout(self)
        form.setContentsMargins(2, 2, 2, 2)
        for text, widget in (
            ("Model:", self.model_label),
            ("Distance:", distance_row),
            ("ROI mode:", self.roi_box),
            ("Image:", self.size_label),
            ("Pixel:", self.pixel_label),
            ("Beam centre:", self.beam_centre_label),
            ("Exposure:", self.exposure_label),
            ("Format:", self.format_label),
        ):
            form.addRow(text, widget)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "detector":
            self._set_detector(self.hardware_object("detector", AbstractDetector))
        elif name == "allow_set":
            self.distance_input.setReadOnly(not new_value)
            self.roi_box.setEnabled(new_value)

    def _set_detector(self, detector: AbstractDetector | None) -> None:
        self.detector = detector
        self.motor = None if detector is None else detector.get_distance_motor()
        motor = self.motor
        if detector is None or motor is None:
            return
        self.model_label.setText(detector.get_model() or detector.username)
        self.distance_input.setDecimals(motor.get_property("decimals", 2))
        self.distance_input.setSuffix(f" {motor.unit}" if motor.unit else " mm")
        self._on_distance_limits(motor.get_limits())
        self.roi_box.clear()
        self.roi_box.addItems(detector.get_roi_modes())
        pixel_x, pixel_y = detector.get_pixel_size()
        self.pixel_label.setText(f"{pixel_x * 1000:g} × {pixel_y * 1000:g} µm")
        self.format_label.setText(detector.get_file_suffix().upper())
        self.bind(detector, "roiModeChanged", self._on_roi_mode, scope="detector")
        self.bind(detector, "beamCentreChanged", self._on_beam_centre, scope="detector")
        self.bind(detector, "stateChanged", self._on_detector_state, scope="detector")
        self.bind(motor, "valueChanged", self._on_distance, scope="detector")
        self.bind(motor, "stateChanged", self._on_distance_state, scope="detector")
        self.bind(motor, "limitsChanged", self._on_distance_limits, scope="detector")
        self._on_roi_mode(detector.get_roi_mode())
        self._show_distance()
        self._on_detector_state(detector.get_state())
        self._on_distance_state(motor.get_state())

    # hardware -> display -----------------------------------------------------------------------
    def _on_roi_mode(self, mode: str) -> None:
        detector = self.detector
        self.roi_box.setCurrentText(mode)
        if detector is None:
            return
        width, height = detector.get_width(), detector.get_height()
        pixel_x, pixel_y = detector.get_pixel_size()
        self.size_label.setText(
            f"{width} × {height} px ({width * pixel_x:.1f} × {height * pixel_y:.1f} mm)"
        )
        low, high = detector.get_exposure_time_limits()
        self.exposure_label.setText(f"{low * 1000:g} ms – {high:g} s per image")
        self._on_beam_centre(detector.get_beam_centre())

    def _on_beam_centre(self, centre) -> None:
        self.beam_centre_label.setText(f"{centre[0]:.1f}, {centre[1]:.1f} px")

    def _show_distance(self) -> None:
        if self.motor is not None:
            self._on_distance(self.motor.get_value())

    def _on_distance(self, value) -> None:
        if value is not None:
            self.distance_input.show_value(value)

    def _on_distance_limits(self, limits: tuple[float, float]) -> None:
        unit = self.motor.unit if self.motor is not None else ""
        self.distance_limits.setText(f"{limits[0]:g} – {limits[1]:g} {unit}".rstrip())

    def _on_distance_state(self, state: HardwareObjectState) -> None:
        self.distance_input.setStyleSheet(f"QDoubleSpinBox {{ {state_style(state)} }}")

    def _on_detector_state(self, state: HardwareObjectState) -> None:
        self.roi_box.setStyleSheet(f"QComboBox {{ {state_style(state)} }}")
        self.roi_box.setToolTip(f"detector: {state.name}")

    # user -> hardware ---------------------------------------------------------------------------
    def set_distance(self, value: float) -> None:
        """Move the detector to ``value`` mm."""
        motor = self.motor
        if motor is not None:
            self.start(
                lambda: motor.set_value(value),
                "detector move failed",
                self.distance_input,
                restore=self._show_settings,
            )

    def set_roi_mode(self, mode: str) -> None:
        """Switch the detector to ROI mode ``mode``."""
        detector = self.detector
        if detector is not None:
            self.start(
                lambda: detector.set_roi_mode(mode),
                "detector ROI mode change failed",
                self.roi_box,
                restore=self._show_settings,
            )

    def _show_settings(self) -> None:
        """Show the detector's distance and ROI mode again (after a refusal or failure)."""
        if self.detector is not None:
            self._show_distance()
            self.roi_box.setCurrentText(self.detector.get_roi_mode())
