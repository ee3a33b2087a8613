"""The simulated data collection: real image files from the simulated crystal."""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from hardware_objects.abstract.actuator import AbstractNumericActuator
from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.collect import (
    AbstractCollect,
    CollectionError,
    CollectionStopped,
)
from hardware_objects.abstract.diffractometer import Phase
from hardware_objects.abstract.energy import energy_to_wavelength
from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from hardware_objects.abstract.shutter import AbstractShutter
from hardware_objects.role_objects import role_object
from hardware_objects.simulated.collect_acquire import acquire_sweep, acquire_wedges
from hardware_objects.simulated.collect_job import CollectionJob
from hardware_objects.simulated.collect_mesh import acquire_mesh
from hardware_objects.simulated.collect_steps import (
    as_position,
    check_space,
    detector_setup,
    existing_run_file,
    make_directories,
    wedge_problems,
)
from hardware_objects.simulated.diffraction import DiffractionSimulator
from hardware_objects.simulated.diffractometer import SimulatedDiffractometer
from hardware_objects.simulated.image_writer import (
    ImageHeader,
    write_staged,
)
from mxgui.core.acquisition import AcquisitionParameters, ParameterError, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.clock import REAL_CLOCK, Clock
from mxgui.core.hardware_object import HardwareObjectState, HOProperty
from mxgui.core.png import write_png

log = logging.getLogger(__name__)

#: seconds a hardware step may take before the collection gives up
STEP_TIMEOUT = 120.0
#: how often a wait looks at the stop request, seconds
POLL = 0.02


T = TypeVar("T")


class SimulatedCollect(AbstractCollect):
    """Collects rotation data sets on the simulated beamline (see :class:`AbstractCollect`).

    Each image is computed from the mounted sample's crystal: its strength is
    ``diffraction_factor`` x the fraction of the beam that hits the crystal at the
    image's mid angle (the diffractometer's scene, the beam's size and shape), so a
    crystal off the beam gives empty images. ``exp_time`` 0 (accepted here, below the
    detector's minimum, for tests and benchmarks) writes images as fast as the disk
    allows and omega jumps to the end; otherwise omega sweeps at ``osc_range /
    exp_time`` and images are paced by the exposure. A given ``detector_distance`` is
    used instead of ``resolution``.

    XML properties: ``diffraction_factor`` (0..1), ``background`` (counts per pixel),
    ``spot_intensity`` (counts of a strong reflection), ``snapshot_angle_step``
    (degrees between snapshots), ``max_snapshots``, ``close_safety_shutter`` (after
    each collection; by default it stays open, as on most beamlines).

    Exposures and waits take their time from ``clock`` (the real clock unless a test
    gives the object another; the motors it drives have their own).
    """

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "diffraction_factor": HOProperty(float, 1.0, "how well the crystals diffract, 0..1"),
        "background": HOProperty(float, 4.0, "mean background counts per pixel"),
        "spot_intensity": HOProperty(float, 2000.0, "counts of a strong reflection"),
        "snapshot_angle_step": HOProperty(float, 90.0, "degrees between crystal snapshots"),
        "max_snapshots": HOProperty(int, 4, "most snapshots per collection"),
        "close_safety_shutter": HOProperty(bool, False, "close the safety shutter after"),
    }

    def init(self) -> None:
        if not isinstance(self.diffractometer, SimulatedDiffractometer):
            raise self.config_error(
                'role "diffractometer" must be the simulated diffractometer (its scene '
                f"gives the crystal), got {type(self.diffractometer).__name__}"
            )
        for role in ("safety_shutter", "fast_shutter"):
            if not isinstance(self.get_object_by_role(role), AbstractShutter):
                raise self.config_error(f'role "{role}" must be a shutter')
        factor = self.get_property("diffraction_factor")
        if not 0.0 <= factor <= 1.0:
            raise self.config_error(
                f"diffraction_factor must be within 0..1, got {factor}", "diffraction_factor"
            )
        self._lock = threading.Lock()
        self._job: CollectionJob | None = None
        self._info: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None
        self._simulator: DiffractionSimulator | None = None
        self._simulator_key: tuple[object, ...] | None = None
        self._fault: tuple[str, int] | None = None
        self._factor = factor
        self.set_state(HardwareObjectState.READY)

    # the interface ------------------------------------------------------------------------------
    def collect(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        centred_position: CentredPosition | Mapping[str, object] | None = None,
        helical_end: CentredPosition | Mapping[str, object] | None = None,
        image_starts: Sequence[float] | None = None,
    ) -> Future[dict[str, Any]]:
        starts = None if image_starts is None else [float(a) for a in image_starts]
        return self._begin(parameters, path, centred_position, helical_end, None, None, starts)

    def collect_mesh(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        positions: Sequence[CentredPosition],
        grid: Mapping[str, object] | None = None,
    ) -> Future[dict[str, Any]]:
        """See :meth:`AbstractCollect.collect_mesh` and :mod:`.collect_mesh`: a fast
        scan computed at each position; the motors do not move; always CBF."""
        positions = list(positions)
        if len(positions) != parameters.num_images:
            raise ValueError(
                f"{self.username}: {len(positions)} mesh positions for "
                f"{parameters.num_images} images"
            )
        path = dataclasses.replace(path, suffix="cbf")
        return self._begin(parameters, path, None, None, positions, grid)

    def _begin(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        centred_position: CentredPosition | Mapping[str, object] | None,
        helical_end: CentredPosition | Mapping[str, object] | None,
        mesh: list[CentredPosition] | None,
        grid: Mapping[str, object] | None = None,
        image_starts: list[float] | None = None,
    ) -> Future[dict[str, Any]]:
        with self._lock:
            if self._job is not None:
                raise RuntimeError(f"{self.username}: a collection is already running")
            future: Future[dict[str, Any]] = Future()
            future.set_running_or_notify_cancel()
            path = dataclasses.replace(path, start_num=parameters.first_image)
            info = {
                "parameters": parameters.to_dict(),
                "path": path.to_dict(),
                "template": path.get_image_path(),
                "directory": path.directory,
                "prefix": path.prefix,
                "run_number": path.run_number,
                "num_images": parameters.num_images,
                "first_image": parameters.first_image,
                "images_taken": 0,
                "files": [],
                "snapshots": [],
                "started": time.time(),
                "elapsed": 0.0,
                "state": "running",
                "reason": "",
            }
            job = CollectionJob(parameters, path, centred_position, future, threading.Event(), info)
            job.helical_end, job.mesh, job.image_starts = helical_end, mesh, image_starts
            info["helical"] = helical_end is not None
            info["image_starts"] = None if image_starts is None else list(image_starts)
            info["mesh"] = mesh is not None
            if grid is not None:
                info["grid"] = dict(grid)
            self._job, self._info = job, info
            self._thread = threading.Thread(
                target=self._run, args=(job,), name=f"collect {path.run_prefix}", daemon=True
            )
            self.set_state(HardwareObjectState.BUSY)
            self._thread.start()
        return future

    def stop_collect(self) -> None:
        job = self._job
        if job is not None:
            job.stop.set()
            self.omega_motor().stop()

    def is_collecting(self) -> bool:
        return self._job is not None

    def get_collection_info(self) -> dict[str, Any] | None:
        with self._lock:
            if self._info is None:
                return None
            info = dict(self._info, files=list(self._info["files"]))
            if self._job is not None:
                info["elapsed"] = time.time() - info["started"]
            return info

    @property
    def simulated_diffractometer(self) -> SimulatedDiffractometer:
        """The diffractometer, whose scene gives the crystal (its type checked at init)."""
        return role_object(self, "diffractometer", SimulatedDiffractometer)

    @property
    def beam(self) -> AbstractBeam:
        """The beam: its size and shape make the part of the crystal that diffracts."""
        return role_object(self, "beam", AbstractBeam)

    def get_diffraction_factor(self) -> float:
        """How well the crystals diffract now, 0..1 (see :meth:`set_diffraction_factor`)."""
        return self._factor

    def detector_fault(self, images_written: int) -> str | None:
        """The injected detector fault (:meth:`inject_fault`) once ``images_written``
        images of the collection are written, else ``None``."""
        fault = self._fault
        if fault is not None and images_written >= fault[1]:
            return fault[0]
        return None

    def set_diffraction_factor(self, factor: float) -> None:
        """How well the crystals diffract from now on, 0..1 (a simulation knob)."""
        if not 0.0 <= factor <= 1.0:
            raise ValueError(f"{self.username}: diffraction factor must be within 0..1")
        self._factor = float(factor)

    def inject_fault(self, reason: str | None, after_images: int = 0) -> None:
        """Make the detector fail with ``reason`` once ``after_images`` images are written
        in the next collections (``None`` clears it): for tests."""
        self._fault = None if reason is None else (reason, int(after_images))

    def shutdown(self) -> None:
        self.stop_collect()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    # the worker --------------------------------------------------------------------------------
    def _run(self, job: CollectionJob) -> None:
        self.emit("collectStarted", dict(job.info))
        reason, state = "", "finished"
        try:
            self._sequence(job)
        except CollectionStopped as exc:
            reason, state = exc.reason, "stopped"
        except CollectionError as exc:
            reason, state = exc.reason, "failed"
        except Exception as exc:  # a bug or an unforeseen hardware error: report, don't hang
            log.exception("%s: collection failed", self.username)
            reason, state = f"{type(exc).__name__}: {exc}", "failed"
        cleanup_problem = self._cleanup(job)
        if cleanup_problem and not reason:
            reason, state = cleanup_problem, "failed"
        with self._lock:
            job.info.update(state=state, reason=reason, elapsed=time.time() - job.info["started"])
            final = dict(job.info, files=list(job.info["files"]))
            self._job = None
        self.set_state(HardwareObjectState.READY)
        if state == "finished":
            log.info(
                "%s: %d images in %s", self.username, final["images_taken"], job.path.directory
            )
            self.emit("collectOscillationFinished", final)
            self.emit("collectEnded", True)
            job.future.set_result(final)
        else:
            log.warning("%s: collection %s: %s", self.username, job.path.run_prefix, reason)
            self.emit("collectOscillationFailed", reason)
            self.emit("collectEnded", False)
            error = CollectionStopped(reason) if state == "stopped" else CollectionError(reason)
            job.future.set_exception(error)

    def _sequence(self, job: CollectionJob) -> None:
        params, path = job.parameters, job.path
        self._check(job)
        self._check_limits(params)
        if params.detector_roi_mode not in ("", self.detector.get_roi_mode()):
            self._set_roi_mode(job)
        make_directories(path, self.session.get_data_roots())
        try:
            self.session.record_run_number(path.directory, path.prefix, path.run_number)
        except OSError as exc:
            raise CollectionError(f"cannot record the run number: {exc}") from None
        safety = self.shutter("safety_shutter")
        if not safety.is_open():
            self.wait_step(job, safety.open(), "opening the safety shutter")
        if job.centred_position is not None:
            self._move_to_centred_position(job, job.centred_position)
        if self.diffractometer.get_phase() is not Phase.DATA_COLLECTION:
            self.wait_step(
                job, self.diffractometer.set_phase(Phase.DATA_COLLECTION), "phase change"
            )
        self._take_snapshots(job)
        self._set_beamline(job)
        simulator, header = self._prepare_detector(params)
        omega = self.omega_motor()
        first = job.first_angle()
        if job.mesh is None and not math.isclose(omega.get_known_value(), first, abs_tol=1e-6):
            self.start_step(job, lambda: omega.set_value(first), "moving omega to start")
        self.wait_step(job, self.shutter("fast_shutter").open(), "opening the fast shutter")
        if job.mesh is not None:
            acquire_mesh(self, job, simulator, header)
        elif job.image_starts is not None:
            acquire_wedges(self, job, simulator, header)
        else:
            acquire_sweep(self, job, simulator, header)
        self.wait_step(job, self.shutter("fast_shutter").close(), "closing the fast shutter")
        if job.writer is not None:
            job.info["files"].append(str(job.writer.close()))
            job.writer = None

    # checks -------------------------------------------------------------------------------------
    def _check(self, job: CollectionJob) -> None:
        params, path = job.parameters, job.path
        problems = params.problems() + path.problems(params.num_images)
        if job.helical_end is not None and job.centred_position is None:
            problems.append("a helical collection needs its start (centred_position)")
        problems.extend(wedge_problems(job))
        if problems:
            raise CollectionError("; ".join(problems))
        directory = Path(path.directory)
        if directory.exists() and not directory.is_dir():
            raise CollectionError(f"{directory} exists and is not a directory")
        existing = existing_run_file(directory, path)
        if existing is not None:
            free = self.session.get_next_run_number(path.directory, path.prefix)
            raise CollectionError(
                f"{existing} exists: run {path.run_number} of {path.prefix!r} was collected "
                f"already and is never overwritten (the next free run is {free})"
            )
        # byte-offset CBF of low counts: about one byte per pixel
        pixels = self.detector.get_width() * self.detector.get_height()
        check_space(directory, params.num_images * pixels * 1.1)

    def _check_limits(self, params: AcquisitionParameters) -> None:
        """Check against the hardware limits, the exposure time against those of the ROI
        mode the collection will use (before switching to it)."""
        limits = self.get_acquisition_limits()
        mode = params.detector_roi_mode
        if mode and mode != self.detector.get_roi_mode():
            try:
                roi = self.detector.get_roi(mode)
            except (KeyError, ValueError) as exc:
                raise CollectionError(f"detector_roi_mode: {exc}") from None
            low = roi.min_exposure_time or self.detector.get_property("exposure_time_min")
            if limits.exp_time is not None:
                limits.exp_time = (low, limits.exp_time[1])
        if params.exp_time == 0:
            limits.exp_time = None  # the simulation's "as fast as possible"
        if params.detector_distance is not None:
            limits.resolution = None  # the distance is set, the resolution follows
        elif not math.isclose(params.energy, self.energy.get_value() or 0.0, abs_tol=1e-4):
            limits.resolution = None  # they follow the energy: the move checks them
        try:
            params.validate(limits)
        except ParameterError as exc:
            raise CollectionError(str(exc)) from None

    # hardware steps ------------------------------------------------------------------------------
    def wait_step(self, job: CollectionJob, future: Future[T], what: str) -> T:
        """Wait for ``future``, looking at the stop request; a failure names ``what``."""
        clock = self.clock
        deadline = clock.now() + STEP_TIMEOUT
        while not future.done():
            if job.stop.is_set():
                raise CollectionStopped()
            if clock.now() > deadline:
                raise CollectionError(f"{what}: no answer after {STEP_TIMEOUT:g} s")
            clock.wait(job.stop, POLL)
        if job.stop.is_set():
            raise CollectionStopped()
        if future.cancelled():
            raise CollectionError(f"{what}: cancelled")
        error = future.exception()
        if error is not None:
            raise CollectionError(f"{what} failed: {error}")
        return future.result()

    def start_step(self, job: CollectionJob, start: Callable[[], Future[T]], what: str) -> T:
        """Call ``start()`` (a ``set_value``) and wait; a refusal names ``what``."""
        try:
            future = start()
        except (ValueError, RuntimeError) as exc:  # refused, or no value read yet
            raise CollectionError(f"{what}: {exc}") from None
        return self.wait_step(job, future, what)

    def shutter(self, role: str) -> AbstractShutter:
        """The shutter of ``role`` (``fast_shutter``, ``safety_shutter``)."""
        return role_object(self, role, AbstractShutter)

    def omega_motor(self) -> AbstractMotor:
        """The rotation axis the images turn about."""
        return self.diffractometer.motor("phi")

    def _move_to_centred_position(
        self, job: CollectionJob, centred: CentredPosition | Mapping[str, object]
    ) -> None:
        """Move the centring motors there, and omega straight to the start angle.

        A centred point stays on the beam at any omega, so going back to the omega of
        the centring first would only cost time.
        """
        position = as_position(centred, "centred position")
        position = dataclasses.replace(position, phi=job.parameters.osc_start)
        self.start_step(
            job,
            lambda: self.diffractometer.move_to_centred_position(position),
            "moving to the centred position",
        )

    def _set_roi_mode(self, job: CollectionJob) -> None:
        mode = job.parameters.detector_roi_mode
        self.start_step(job, lambda: self.detector.set_roi_mode(mode), f"ROI mode {mode}")

    def _take_snapshots(self, job: CollectionJob) -> None:
        count = min(job.parameters.take_snapshots, self.get_property("max_snapshots"))
        if count <= 0:
            return
        camera = self.diffractometer.get_motor("sample_camera")
        if not isinstance(camera, AbstractSampleCamera):
            log.warning("%s: no sample camera: no crystal snapshots", self.username)
            return
        omega = self.omega_motor()
        step = self.get_property("snapshot_angle_step")
        for k in range(1, count + 1):
            if k > 1:
                self.start_step(
                    job, lambda: omega.set_value_relative(step), "turning for a snapshot"
                )
            target = Path(job.path.directory) / job.path.snapshot_file_name(k)
            geometry = self.snapshot_geometry() if k == 1 else None
            frame = camera.get_frame()

            def write(temporary: Path, frame: np.ndarray = frame) -> Path:
                return write_png(temporary, frame)

            try:
                write_staged(target, write)
            except OSError as exc:
                raise CollectionError(f"writing snapshot {target} failed: {exc}") from None
            with self._lock:
                job.info["snapshots"].append(str(target))
                if geometry is not None:
                    job.info["snapshot_geometry"] = geometry
            self.emit("snapshotTaken", str(target))

    def _set_beamline(self, job: CollectionJob) -> None:
        params = job.parameters
        moves: list[tuple[AbstractNumericActuator, float, str]] = [
            (self.transmission, params.transmission, "transmission")
        ]
        moves.append((self.energy, params.energy, "energy"))
        if params.detector_distance is not None:
            motor = self.detector.get_distance_motor()
            moves.append((motor, params.detector_distance, "detector distance"))
        else:
            moves.append((self.resolution, params.resolution, "resolution"))
        for actuator, target, what in moves:  # in order: the resolution follows the energy
            current = actuator.get_value()
            if current is None or not math.isclose(current, target, rel_tol=1e-6, abs_tol=1e-6):
                move = functools.partial(actuator.set_value, target)
                self.start_step(job, move, f"{what} {target:g}")

    def _prepare_detector(
        self, params: AcquisitionParameters
    ) -> tuple[DiffractionSimulator, ImageHeader]:
        geometry, header = detector_setup(
            self.detector,
            energy_to_wavelength(float(self.energy.get_known_value())),
            float(self.transmission.get_known_value()),
            self.diffractometer.get_positions(),
            params,
        )
        sample = self.simulated_diffractometer.get_sample()
        seed = sample.seed if sample is not None else 0
        background, spots = self.get_property("background"), self.get_property("spot_intensity")
        key = (geometry, seed, background, spots)
        simulator = self._simulator
        if simulator is None or key != self._simulator_key:  # a new crystal or geometry
            simulator = DiffractionSimulator(geometry, seed, background, spots)  # a few 100 ms
            self._simulator, self._simulator_key = simulator, key
        return simulator, header

    # cleanup ----------------------------------------------------------------------------------
    def _cleanup(self, job: CollectionJob) -> str:
        """Put the beamline back; return a problem to report ("" when all went well)."""
        problem = ""
        omega = self.omega_motor()
        if job.omega_velocity is not None:
            omega.stop()
            omega.set_velocity(job.omega_velocity)
        if job.staging is not None:
            job.staging.close()
            job.staging = None
        if job.writer is not None:  # stopped or failed: keep the images taken, if any
            try:
                if job.writer.count:
                    job.info["files"].append(str(job.writer.close()))
                else:
                    job.writer.abort()
            except OSError as exc:
                problem = f"closing {job.writer.path} failed: {exc}"
                job.writer.abort()
            job.writer = None
        shutters = ["fast_shutter"]
        if self.get_property("close_safety_shutter"):
            shutters.append("safety_shutter")
        for role in shutters:
            shutter = self.shutter(role)
            if shutter.is_open() or shutter.get_state() is HardwareObjectState.BUSY:
                try:
                    shutter.close(timeout=10.0)
                except Exception as exc:  # report it, the collection result stands
                    problem = problem or f"closing the {shutter.username} failed: {exc}"
        return problem
