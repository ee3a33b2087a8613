"""The diffractometer interface: centring motors, zoom, lights, phases and 3-click centring."""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, ClassVar, cast

from hardware_objects.abstract.actuator import AbstractActuator
from hardware_objects.abstract.manual_centring import (
    CentringState,
    ManualCentringMixin,
    finite_click,
)
from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.abstract.nstate import AbstractNState
from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from mxgui.core.centring import (
    CENTRING_MOTORS,
    OPTIONAL_MOTORS,
    CentredPosition,
    ImageGeometry,
    centred_point_to_image,
    move_to_beam_targets,
)
from mxgui.core.futures import all_of, attempt, done, then, wait
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.words import with_article

__all__ = ["AbstractDiffractometer", "CentredPosition", "CentringState", "Phase"]

State = HardwareObjectState
MOTOR_ROLES = CENTRING_MOTORS + OPTIONAL_MOTORS
#: role -> the interface the object under it must implement
ROLE_TYPES: dict[str, type[HardwareObject]] = {
    **{role: AbstractMotor for role in MOTOR_ROLES},
    "zoom": AbstractNState,
    "frontlight": AbstractActuator,
    "backlight": AbstractActuator,
    "sample_camera": AbstractSampleCamera,
}


class Phase(str, enum.Enum):
    """Diffractometer phases; each value is the name used by mxcubecore and the XML."""

    CENTRING = "Centring"
    DATA_COLLECTION = "DataCollection"
    TRANSFER = "Transfer"
    BEAM_LOCATION = "BeamLocation"


class AbstractDiffractometer(ManualCentringMixin, HardwareObject):
    """A goniometer with centring table, zoom, lights and a sample camera.

    Roles (``<object href=... role=...>``): ``phi`` (omega), ``phiy``, ``phiz``,
    ``sampx``, ``sampy`` (motors, required), ``zoom`` (an N-state actuator whose values
    are the zoom levels, required), ``kappa``, ``kappa_phi`` (motors), ``frontlight``,
    ``backlight`` (actuators, 0-100 %) and ``sample_camera`` (optional). The geometry
    convention is that of :mod:`mxgui.core.centring`.

    Calibration: one ``<zoom_level name="..." pixels_per_mm="..."/>`` per zoom level
    (or ``pixels_per_mm_x`` and ``pixels_per_mm_y``), in this object's file or in the
    zoom's. Properties: ``beam_x``, ``beam_y`` (beam on the image in pixels; default the
    image centre), ``image_width``, ``image_height`` (used without a camera).

    Manual centring (:class:`ManualCentringMixin`): :meth:`start_manual_centring`, then
    one :meth:`image_clicked` per click, each returning a Future; the next click is
    taken once the Future of the previous step is done. Then :meth:`accept_centring` or
    :meth:`reject_centring`; :meth:`cancel_centring` at any time.

    Signals: ``phaseChanged(phase)``, ``centringStarted(method, n_clicks)``,
    ``centringClickAccepted(click_number, x, y)`` (1-based),
    ``centringSuccessful(centred_position)``, ``centringFailed(reason)``,
    ``centringAccepted(centred_position)``, ``zoomChanged(level)``,
    ``pixelsPerMmChanged((x, y))``, ``positionsChanged(positions)`` (at most every
    ``positions_interval`` s while moving, and once when a motor stops),
    ``stateChanged(state)``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "phaseChanged",
        "centringStarted",
        "centringClickAccepted",
        "centringSuccessful",
        "centringFailed",
        "centringAccepted",
        "zoomChanged",
        "pixelsPerMmChanged",
        "positionsChanged",
    )
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "beam_x": HOProperty(float, None, "beam position on the image, x pixels"),
        "beam_y": HOProperty(float, None, "beam position on the image, y pixels"),
        "image_width": HOProperty(int, 1280, "image width without a sample camera"),
        "image_height": HOProperty(int, 1024, "image height without a sample camera"),
        "positions_interval": HOProperty(float, 0.05, "seconds between positionsChanged"),
    }
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("phi", "phiy", "phiz", "sampx", "sampy", "zoom")
    #: the goniometer (its motors too, see :meth:`init`); zoom and lights stay free
    interlocked = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._phase: Phase | None = None
        self._phase_changing = False
        self._calibration: dict[str, tuple[float, float]] = {}
        self._last_positions_emit = 0.0

    # configuration ---------------------------------------------------------------------
    def init(self) -> None:
        for role, obj in self.roles.items():
            expected = ROLE_TYPES.get(role)
            if expected is not None and not isinstance(obj, expected):
                raise self.config_error(
                    f'role "{role}": {obj.name} is {with_article(type(obj).__name__)}, '
                    f"expected {with_article(expected.__name__)}"
                )
        # the types of the roles were checked above
        self._motors: dict[str, AbstractMotor] = {
            role: cast("AbstractMotor", self.get_object_by_role(role))
            for role in MOTOR_ROLES
            if self.get_object_by_role(role) is not None
        }
        self._zoom = cast("AbstractNState", self.get_object_by_role("zoom"))
        for motor in self._motors.values():
            motor.interlocked = True
        self._read_calibration()
        for motor in self._motors.values():
            motor.connect("valueChanged", self._on_motor_value)
            motor.connect("stateChanged", self._on_motor_state)
        self._zoom.connect("valueChanged", self._on_zoom)
        self._zoom.connect("stateChanged", self._on_motor_state)
        self._update_state()

    def shutdown(self) -> None:
        """Drop a centring in progress (without moving back) and stop the motors."""
        self._drop_centring()
        self.stop()

    def _read_calibration(self) -> None:
        nodes = self.get_nodes("zoom_level") or self._zoom.get_nodes("zoom_level")
        for node in nodes:
            attrs = node.attributes
            try:
                level = attrs["name"]
                if "pixels_per_mm" in attrs:
                    ppm = (float(attrs["pixels_per_mm"]),) * 2
                else:
                    ppm = (float(attrs["pixels_per_mm_x"]), float(attrs["pixels_per_mm_y"]))
            except (KeyError, ValueError) as exc:
                raise node.error(
                    f'<zoom_level>: expected name="..." and pixels_per_mm="number" '
                    f"(or pixels_per_mm_x and pixels_per_mm_y); {type(exc).__name__}: {exc}"
                ) from None
            if not all(math.isfinite(v) and v > 0 for v in ppm):
                raise node.error(f"<zoom_level name={level!r}>: pixels_per_mm must be above 0")
            self._calibration[level] = ppm
        missing = [level for level in self._zoom.get_values() if level not in self._calibration]
        if missing:
            raise self.config_error(
                f"no calibration for zoom level(s) {', '.join(missing)}: add "
                f'<zoom_level name="{missing[0]}" pixels_per_mm="..."/>'
            )

    # motors and positions ------------------------------------------------------------------
    def get_motor(self, role: str) -> HardwareObject | None:
        """The object under ``role`` (a motor, ``zoom``, a light, ``sample_camera``)."""
        if role not in ROLE_TYPES:
            raise ValueError(f"{self.name}: no role {role!r}; roles: {', '.join(ROLE_TYPES)}")
        return self.get_object_by_role(role)

    def motor(self, role: str) -> AbstractMotor:
        """The motor under ``role`` (one of the motors of :data:`MOTOR_ROLES`, typed
        as checked at init); ``ValueError`` naming the role when there is none."""
        try:
            return self._motors[role]
        except KeyError:
            raise ValueError(
                f"{self.name}: no motor {role!r}; motors: {', '.join(self._motors)}"
            ) from None

    def get_positions(self) -> dict[str, float]:
        """Current positions of the centring motors (and kappa ones), by role name."""
        positions = {}
        for role, motor in self._motors.items():
            value = motor.get_value()
            if value is not None:
                positions[role] = float(value)
        return positions

    def move_motors(self, positions: Mapping[str, float], timeout: float | None = 0) -> Future[Any]:
        """Move several motors at once; the Future ends when all have arrived.

        Every target is checked first (``ValueError`` naming the motor and limit, and
        nothing moves). If one motor fails, every centring motor is stopped and the
        Future fails with that motor's reason. The result is the dict of final positions.
        """
        self.check_interlock(f"{self.name}: the move of {', '.join(positions) or 'no motor'}")
        targets: dict[str, tuple[AbstractMotor, float]] = {}
        for role, value in positions.items():
            motor = self._motors.get(role)
            if motor is None:
                raise ValueError(
                    f"{self.name}: no motor {role!r}; motors: {', '.join(self._motors)}"
                )
            targets[role] = (motor, motor.validate_value(value))
        started: dict[str, Future[Any]] = {}
        for role, (motor, value) in targets.items():
            current = motor.get_value()
            if current is not None and abs(current - value) <= motor.get_property("tolerance"):
                continue
            try:
                started[role] = motor.set_value(value)
            except Exception:
                for other in started:
                    self._motors[other].stop()
                raise
        combined = all_of(list(started.values()), on_failure=self.stop)
        return wait(then(combined, lambda ended: ended.result() or self.get_positions()), timeout)

    def stop(self) -> None:
        """Stop every centring motor."""
        for motor in self._motors.values():
            motor.stop()

    def _on_motor_value(self, _value: object) -> None:
        now = time.monotonic()
        if now - self._last_positions_emit >= self.get_property("positions_interval"):
            self._last_positions_emit = now
            self.emit("positionsChanged", self.get_positions())

    def _on_motor_state(self, state: HardwareObjectState) -> None:
        if state is not State.BUSY:
            self._last_positions_emit = time.monotonic()
            self.emit("positionsChanged", self.get_positions())
        self._update_state()

    def _update_state(self) -> None:
        parts: list[HardwareObject] = [*self._motors.values(), self._zoom]
        states = [obj.get_state() for obj in parts]
        if State.FAULT in states:
            state = State.FAULT
        elif State.BUSY in states or self._phase_changing:
            state = State.BUSY
        elif all(s is State.READY for s in states):
            state = State.READY
        else:
            state = State.UNKNOWN
        self.set_state(state)

    # zoom and image geometry ---------------------------------------------------------------
    def get_zoom(self) -> str:
        """The current zoom level."""
        return self._zoom.get_known_value()

    def get_zoom_levels(self) -> list[str]:
        """The zoom levels, in order."""
        return self._zoom.get_values()

    def set_zoom(self, level: str, timeout: float | None = 0) -> Future[Any]:
        """Change the zoom level (``ValueError`` for an unknown level)."""
        return self._zoom.set_value(level, timeout)

    def get_pixels_per_mm(self, level: str | None = None) -> tuple[float, float]:
        """``(x, y)`` pixels per mm on the camera image at ``level`` (default: current)."""
        return self._calibration[self.get_zoom() if level is None else level]

    def get_image_size(self) -> tuple[int, int]:
        """``(width, height)`` of the camera image in pixels."""
        camera = self.get_object_by_role("sample_camera")
        if isinstance(camera, AbstractSampleCamera):  # its type was checked at init
            return camera.get_width(), camera.get_height()
        return self.get_property("image_width"), self.get_property("image_height")

    def get_beam_position(self) -> tuple[float, float]:
        """``(x, y)`` of the beam on the camera image, pixels (see ``centring``)."""
        width, height = self.get_image_size()
        x, y = self.get_property("beam_x"), self.get_property("beam_y")
        return (width / 2.0 if x is None else x, height / 2.0 if y is None else y)

    def get_image_geometry(self) -> ImageGeometry:
        """Calibration and beam position at the current zoom."""
        return ImageGeometry(self.get_pixels_per_mm(), self.get_beam_position())

    def image_to_motor_delta(self, x: float, y: float) -> dict[str, float]:
        """Motor moves (``phiy``, ``sampx``, ``sampy``) that bring ``(x, y)`` to the beam."""
        positions = self.get_positions()
        targets = move_to_beam_targets(x, y, positions, self.get_image_geometry())
        return {role: targets[role] - positions[role] for role in targets}

    def centred_position_to_image(self, centred: CentredPosition) -> tuple[float, float]:
        """Where the point centred by ``centred`` is seen on the image now."""
        return centred_point_to_image(
            centred.motor_positions(), self.get_positions(), self.get_image_geometry()
        )

    def _on_zoom(self, level: str) -> None:
        self.emit("zoomChanged", level)
        if level in self._calibration:
            self.emit("pixelsPerMmChanged", self._calibration[level])

    # phases -------------------------------------------------------------------------------
    def get_phase(self) -> Phase | None:
        """The current phase (``None`` when not known)."""
        return self._phase

    def get_phases(self) -> list[Phase]:
        """The phases this diffractometer has."""
        return list(Phase)

    def set_phase(self, phase: str | Phase, timeout: float | None = 0) -> Future[Any]:
        """Change phase (``ValueError`` for an unknown one); the Future holds the phase."""
        self.check_interlock(f"{self.name}: the change to phase {phase}")
        try:
            target = Phase(phase)
        except ValueError:
            raise ValueError(
                f"{self.name}: unknown phase {phase!r}; phases: {', '.join(p.value for p in Phase)}"
            ) from None
        self._phase_changing = True
        self._update_state()
        inner = attempt(lambda: self._set_phase(target))

        def arrived(ended: Future[Any]) -> Phase:
            self._phase_changing = False
            self._update_state()
            ended.result()
            self._update_phase(target)
            return target

        return wait(then(inner, arrived), timeout)

    def _update_phase(self, phase: Phase) -> None:
        if phase is not self._phase:
            self._phase = phase
            self.emit("phaseChanged", phase)

    def _set_phase(self, phase: Phase) -> Future[Any]:
        """Start the change to ``phase`` (implemented by each diffractometer)."""
        raise NotImplementedError(f"{type(self).__name__} cannot change phase")

    def _enter_centring_phase(self) -> Future[Any]:
        """Change to the Centring phase from another known one (before a centring)."""
        if self._phase is not None and self._phase is not Phase.CENTRING:
            return self.set_phase(Phase.CENTRING)
        return done()

    # centred positions (the last accepted one: ManualCentringMixin.get_centred_position) --
    def move_to_centred_position(
        self, centred: CentredPosition | Mapping[str, Any], timeout: float | None = 0
    ) -> Future[Any]:
        """Move every motor of ``centred`` (a :class:`CentredPosition` or its dict)."""
        if not isinstance(centred, CentredPosition):
            centred = CentredPosition.from_dict(centred)
        self._refuse_during_centring("move to a centred position")
        return self.move_motors(centred.motor_positions(), timeout)

    def move_to_beam(self, x: float, y: float, timeout: float | None = 0) -> Future[Any]:
        """Move the sample so that the point seen at ``(x, y)`` goes onto the beam."""
        self._refuse_during_centring("move to beam")
        targets = move_to_beam_targets(
            *finite_click(x, y), self.get_positions(), self.get_image_geometry()
        )
        return self.move_motors(targets, timeout)
