"""The images of a mesh scan on the simulated beamline: one per grid cell, fast.

A real mesh scan is a continuous fast scan: the goniometer sweeps each row while the
detector takes one image per cell. The simulation does the same without moving the
motors cell by cell: it computes each cell's image from the scene *at the cell's
position* (the motors as they would be there), writes it, and goes on; the sample stays
where it was. So a 20 x 15 mesh takes as long as writing 300 images (paced by
``exp_time`` when it is above 0), not 300 motor moves.

Signal physics: the strength of a cell's image is ``diffraction_factor`` x the crystal
volume the beam goes through at that position (:meth:`Scene.illuminated_volume`)
divided by the volume of a :data:`REFERENCE_THICKNESS_MM` slab the size of the beam
(so a thick crystal filling the beam gives 1), times a per-cell jitter of
:data:`JITTER` (crystal quality varies, deterministic per image number). Off the
crystal the strength is 0: background and noise only.

Every image covers ``[osc_start, osc_start + osc_range)``: the same reflections may
appear in every cell, scaled by how much crystal the cell hits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.collect import AbstractCollect, CollectionError, CollectionStopped
from hardware_objects.simulated.collect_job import CollectionJob
from hardware_objects.simulated.diffraction import DiffractionSimulator
from hardware_objects.simulated.image_writer import ImageHeader, StagingDirectory, write_cbf
from hardware_objects.simulated.sample_geometry import Scene
from mxgui.core.centring import CentredPosition

if TYPE_CHECKING:  # the collect object imports this module
    from hardware_objects.simulated.collect import SimulatedCollect

#: crystal thickness (mm) along the beam that gives full strength when it fills the beam
REFERENCE_THICKNESS_MM = 0.05
#: relative spread of the strength from cell to cell (1 sigma)
JITTER = 0.05


def mesh_strength(
    scene: Scene,
    factor: float,
    beam: AbstractBeam,
    position: CentredPosition,
    omega: float,
    number: int,
) -> float:
    """The image strength (0..1) at ``position`` with omega at ``omega`` (see the
    module docstring); ``number`` seeds the jitter."""
    if scene.sample is None or factor == 0:
        return 0.0
    size, shape = beam.get_beam_size(), beam.get_beam_shape()
    positions = {**position.motor_positions(), "phi": omega}
    volume = scene.illuminated_volume(positions, size, shape)
    if volume <= 0:
        return 0.0
    area = size[0] * size[1] * (np.pi / 4.0 if shape == "ellipse" else 1.0)
    rng = np.random.default_rng([int(number) & 0xFFFFFFFF, 0x6D657368])
    jitter = max(0.0, 1.0 + JITTER * float(rng.standard_normal()))
    return float(min(1.0, factor * volume / (area * REFERENCE_THICKNESS_MM) * jitter))


def write_image(
    job: CollectionJob, number: int, data: np.ndarray, header: ImageHeader, start: float
) -> None:
    """Write image ``number`` of ``job`` (starting at omega ``start``) as a CBF in its
    directory and add the file to ``job.info["files"]``; :class:`CollectionError` when
    it cannot be written."""
    target = Path(job.path.directory) / job.path.image_file_name(number)
    try:
        write_cbf(target, data, header.for_image(start), job.staging)
    except OSError as exc:
        raise CollectionError(f"writing {target} failed: {exc}") from None
    job.info["files"].append(str(target))


def image_taken(collect: AbstractCollect, job: CollectionJob, taken: int, total: int) -> None:
    """Count ``taken`` images of ``total`` in ``job`` and tell ``collect``'s listeners."""
    job.info["images_taken"] = taken
    collect.emit("collectImageTaken", taken)
    collect.emit("progressChanged", taken / total)


def acquire_mesh(
    collect: SimulatedCollect,
    job: CollectionJob,
    simulator: DiffractionSimulator,
    header: ImageHeader,
) -> None:
    """Write one CBF per position of ``job.mesh`` (the collect's worker thread).

    Stops between two images when ``job.stop`` is set (every file written is whole and
    in ``job.info["files"]``); the collect's injected detector fault applies.
    """
    params, path = job.parameters, job.path
    positions = job.mesh or []
    try:
        job.staging = StagingDirectory(path.directory, tidy=True)
    except OSError as exc:
        raise CollectionError(f"cannot write in {path.directory}: {exc}") from None
    scene = collect.simulated_diffractometer.scene
    beam = collect.beam
    factor = collect.get_diffraction_factor()
    start, end = params.osc_start, params.osc_start + params.osc_range
    mid = 0.5 * (start + end)
    n = len(positions)
    clock = collect.clock
    started = clock.now()
    for i, position in enumerate(positions):
        if params.exp_time > 0:
            clock.wait(job.stop, max(0.0, started + (i + 1) * params.exp_time - clock.now()))
        if job.stop.is_set():
            raise CollectionStopped()
        fault = collect.detector_fault(i)
        if fault is not None:
            raise CollectionError(f"detector error: {fault}")
        number = params.first_image + i
        strength = mesh_strength(scene, factor, beam, position, mid, number)
        data = simulator.image(number, start, end, strength)
        write_image(job, number, data, header, start)
        image_taken(collect, job, i + 1, n)
