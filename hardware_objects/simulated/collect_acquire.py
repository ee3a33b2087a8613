"""The images of a simulated collection: one sweep, or one image per reference wedge.

:func:`acquire_sweep` turns omega through ``num_images x osc_range`` at the speed the
exposure asks while it writes the images (paced by ``exp_time``); :func:`acquire_wedges`
takes one image per start angle of ``job.image_starts`` (a characterisation's reference
images), the fast shutter closed while omega moves between them. Both write CBF files
through a staging directory or one HDF5 master file (:func:`open_output`), compute each
image from the scene (:func:`crystal_strength`), and stop between two images when
``job.stop`` is set. They run in the collect object's worker thread.
"""

from __future__ import annotations

import functools
import math
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hardware_objects.abstract.collect import CollectionError, CollectionStopped
from hardware_objects.simulated.collect_job import CollectionJob
from hardware_objects.simulated.collect_mesh import image_taken, write_image
from hardware_objects.simulated.collect_steps import Strength, helical_moves, strength_function
from hardware_objects.simulated.diffraction import DiffractionSimulator
from hardware_objects.simulated.image_writer import ImageHeader, NexusWriter, StagingDirectory

if TYPE_CHECKING:  # the collect object imports this module
    from hardware_objects.simulated.collect import SimulatedCollect

#: omega speed (deg/s) for the sweep of a zero-exposure collection: "as fast as possible"
FAST_SWEEP = 1.0e6


def open_output(
    job: CollectionJob, simulator: DiffractionSimulator, header: ImageHeader, n: int
) -> None:
    """Where the ``n`` images go: an HDF5 master file (``job.writer``) or a staging
    directory for the CBF files (``job.staging``); ``CollectionError`` when the
    directory cannot be written."""
    path = job.path
    try:
        if path.is_hdf5:
            shape = (simulator.geometry.height, simulator.geometry.width)
            job.writer = NexusWriter(
                Path(path.directory) / path.master_file_name(), header, shape, n
            )
        else:
            job.staging = StagingDirectory(path.directory, tidy=True)
    except OSError as exc:
        raise CollectionError(f"cannot write in {path.directory}: {exc}") from None


def crystal_strength(collect: SimulatedCollect) -> Strength:
    """How strongly the crystal diffracts at an omega (and motor positions), from the
    scene, the diffraction factor and the beam as they are now."""
    return strength_function(
        collect.simulated_diffractometer.scene,
        collect.get_diffraction_factor(),
        collect.beam,
        collect.diffractometer.get_positions(),
    )


def _store(
    job: CollectionJob, number: int, data: np.ndarray, header: ImageHeader, start: float
) -> None:
    if job.writer is not None:
        job.writer.add(data, start)
    else:
        write_image(job, number, data, header, start)


def _check_detector(collect: SimulatedCollect, job: CollectionJob, i: int) -> None:
    if job.stop.is_set():
        raise CollectionStopped()
    fault = collect.detector_fault(i)
    if fault is not None:
        raise CollectionError(f"detector error: {fault}")


def acquire_sweep(
    collect: SimulatedCollect,
    job: CollectionJob,
    simulator: DiffractionSimulator,
    header: ImageHeader,
) -> None:
    """The images of one sweep (a helical collection moves along its line as it goes)."""
    params = job.parameters
    omega = collect.omega_motor()
    n = params.num_images
    open_output(job, simulator, header, n)
    strength = crystal_strength(collect)
    sweep: Future[Any] | None = None
    job.omega_velocity = omega.get_velocity()
    if params.exp_time > 0 and params.osc_total_range > 0:
        omega.set_velocity(params.osc_total_range / params.total_time())
        sweep = omega.set_value(params.osc_end)
    clock = collect.clock
    started = clock.now()
    for i in range(n):
        if params.exp_time > 0:
            clock.wait(job.stop, max(0.0, started + (i + 1) * params.exp_time - clock.now()))
        if job.stop.is_set():
            raise CollectionStopped()
        if sweep is not None and sweep.done() and sweep.exception() is not None:
            raise CollectionError(f"omega sweep failed: {sweep.exception()}")
        _check_detector(collect, job, i)
        start, end = params.image_range(i)
        number = params.first_image + i
        moved = None
        if job.helical_end is not None:  # along the line from the start to the end
            moved, moves = helical_moves(collect.diffractometer, job, i)
            for name, future in moves:
                collect.wait_step(job, future, f"helical move of {name}")
        data = simulator.image(number, start, end, strength(0.5 * (start + end), moved))
        _store(job, number, data, header, start)
        image_taken(collect, job, i + 1, n)
    if sweep is None and params.osc_total_range > 0:
        omega.set_velocity(FAST_SWEEP)
        sweep = omega.set_value(params.osc_end)
    if sweep is not None:
        collect.wait_step(job, sweep, "omega sweep")


def acquire_wedges(
    collect: SimulatedCollect,
    job: CollectionJob,
    simulator: DiffractionSimulator,
    header: ImageHeader,
) -> None:
    """One image per wedge of ``job.image_starts``: the fast shutter closed while
    omega goes to the wedge's start, open while it sweeps ``osc_range`` (at
    ``osc_range / exp_time``; as fast as possible for ``exp_time`` 0)."""
    params = job.parameters
    starts = job.image_starts or []
    omega, shutter = collect.omega_motor(), collect.shutter("fast_shutter")
    open_output(job, simulator, header, len(starts))
    strength = crystal_strength(collect)
    job.omega_velocity = omega.get_velocity()
    sweep_velocity = FAST_SWEEP
    if params.exp_time > 0 and params.osc_range > 0:
        sweep_velocity = params.osc_range / params.exp_time
    for i, start in enumerate(starts):
        _check_detector(collect, job, i)
        if not math.isclose(omega.get_known_value(), start, abs_tol=1e-6):
            collect.wait_step(job, shutter.close(), "closing the fast shutter between wedges")
            omega.set_velocity(job.omega_velocity)
            move = functools.partial(omega.set_value, start)
            collect.start_step(job, move, f"omega to {start:g}")
            collect.wait_step(job, shutter.open(), "opening the fast shutter")
        end = start + params.osc_range
        if params.osc_range > 0:
            omega.set_velocity(sweep_velocity)
            move = functools.partial(omega.set_value, end)
            collect.start_step(job, move, f"sweep from {start:g}")
        number = params.first_image + i
        data = simulator.image(number, start, end, strength(0.5 * (start + end), None))
        _store(job, number, data, header, start)
        image_taken(collect, job, i + 1, len(starts))
