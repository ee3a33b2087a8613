"""The simulated diffractometer: real motors over a simulated sample scene."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.actuator import AbstractActuator
from hardware_objects.abstract.diffractometer import AbstractDiffractometer, Phase
from hardware_objects.role_objects import optional_role_object
from hardware_objects.simulated.sample_camera import CameraView
from hardware_objects.simulated.sample_geometry import Sample, Scene, make_sample
from mxgui.core.centring import CENTRING_MOTORS
from mxgui.core.clock import REAL_CLOCK, Clock, ClockTimer
from mxgui.core.hardware_object import HOProperty


class SimulatedDiffractometer(AbstractDiffractometer):
    """A diffractometer whose camera shows the crystal of the mounted pin.

    The scene (:mod:`hardware_objects.simulated.sample_geometry`) follows the motors:
    3-click centring on the crystal really puts it on the beam, and
    :meth:`illuminated_fraction` says how much of the beam hits it. The simulated
    sample changer calls :meth:`set_mounted_sample` after a load or an unload.

    XML properties: ``mounted_sample`` (address at start, ``"1:01"``; empty: none),
    ``phiz_beam`` (the ``phiz`` at which the axis meets the beam, mm),
    ``phase_change_time`` (seconds a phase change takes, on ``clock``: the real clock
    unless a test gives another), ``initial_phase``.
    """

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "mounted_sample": HOProperty(str, "1:01", "sample on the goniometer at start"),
        "phiz_beam": HOProperty(float, 0.0, "phiz at which the rotation axis meets the beam"),
        "phase_change_time": HOProperty(float, 0.3, "seconds to change phase"),
        "initial_phase": HOProperty(str, Phase.CENTRING.value, "phase at start"),
    }

    def init(self) -> None:
        super().init()
        try:
            phase = Phase(self.get_property("initial_phase"))
        except ValueError:
            raise self.config_error(
                f"initial_phase must be one of {', '.join(p.value for p in Phase)}",
                "initial_phase",
            ) from None
        if not self.get_property("phase_change_time") >= 0:
            raise self.config_error("phase_change_time must be 0 or more", "phase_change_time")
        address = self.get_property("mounted_sample").strip()
        self._scene = Scene(
            make_sample(address) if address else None, self.get_property("phiz_beam")
        )
        self._timer: ClockTimer | None = None
        self._phase_future: Future | None = None
        self._phase_lock = threading.Lock()
        self._update_phase(phase)
        camera = self.get_object_by_role("sample_camera")
        if camera is not None and hasattr(camera, "set_scene_source"):
            camera.set_scene_source(self.camera_view)

    # the sample ----------------------------------------------------------------------------
    def set_mounted_sample(self, address: str | None) -> None:
        """The pin now on the goniometer (``None``: nothing mounted, the camera shows none)."""
        if address is not None and not str(address).strip():
            raise ValueError("a sample address is text like '1:01' (or None for no sample)")
        sample = make_sample(str(address)) if address is not None else None
        self._scene = Scene(sample, self._scene.phiz_beam)

    def get_mounted_sample(self) -> str | None:
        """The address of the mounted pin, or ``None``."""
        sample = self._scene.sample
        return sample.address if sample is not None else None

    @property
    def scene(self) -> Scene:
        """The simulated scene (the truth the tests check centring against)."""
        return self._scene

    def get_sample(self) -> Sample | None:
        """The mounted sample's geometry, or ``None``."""
        return self._scene.sample

    def illuminated_fraction(
        self, beam_size_mm: tuple[float, float] = (0.05, 0.05), beam_shape: str = "ellipse"
    ) -> float:
        """Fraction (0-1) of the beam cross-section that hits the crystal, now."""
        return self._scene.illuminated_fraction(self.get_positions(), beam_size_mm, beam_shape)

    def camera_view(self) -> CameraView:
        """What the camera sees now: positions, zoom and lights read once."""
        scene = self._scene
        positions = self.get_positions()
        geometry = self.get_image_geometry()
        lights = []
        for role, default in (("backlight", 50.0), ("frontlight", 0.0)):
            light = optional_role_object(self, role, AbstractActuator)
            value = light.get_value() if light is not None else None
            lights.append(float(value) if value is not None else default)
        if any(motor not in positions for motor in CENTRING_MOTORS):
            # a motor on a device not read yet (controls-demo's Tango goniometer at start,
            # or its server down): nothing can be placed, and that is no error
            return CameraView((), lights[0], lights[1])
        return CameraView(scene.shapes(positions, geometry), lights[0], lights[1])

    # phases ----------------------------------------------------------------------------------
    def _set_phase(self, phase: Phase) -> Future:
        """Take ``phase_change_time`` seconds (in a timer thread), then arrive."""
        future: Future = Future()
        with self._phase_lock:
            self._cancel_phase_change(f"superseded by a change to {phase.value}")
            self._timer = ClockTimer(
                self.clock, self.get_property("phase_change_time"), self._arrive, (phase, future)
            )
            self._phase_future = future
            self._timer.start()
        return future

    def _arrive(self, phase: Phase, future: Future) -> None:
        with self._phase_lock:
            if self._phase_future is not future:
                return
            self._timer = self._phase_future = None
        future.set_result(phase)

    def _cancel_phase_change(self, reason: str) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._phase_future is not None and not self._phase_future.done():
            self._phase_future.set_exception(RuntimeError(f"{self.name}: phase change {reason}"))
        self._timer = self._phase_future = None

    def shutdown(self) -> None:
        with self._phase_lock:
            self._cancel_phase_change("stopped by shutdown")
        super().shutdown()
        camera = self.get_object_by_role("sample_camera")
        if camera is not None and hasattr(camera, "set_scene_source"):
            camera.set_scene_source(None)
