"""The NXmx layout of an HDF5 master file, as processing programs read it.

What the DIALS team's ``nxmx`` reader (the one DIALS uses) and fabio need, and the
fields XDS's Neggia plugin reads (pixel sizes, ``detectorSpecific/nimages``,
``ntrigger`` and ``pixel_mask``, ``/entry/data/data_000001``): the entry with its start
and end times, the source, the instrument with its beam (wavelength), attenuator and detector
(sensor, saturation, pixel mask, one detector module with its data origin, size and
pixel directions, and a ``depends_on`` chain putting the detector at its distance along
the beam), the sample on its mini-kappa goniometer (phi on kappa on omega: omega one
angle per image, kappa and phi one angle each) and the images in
``/entry/data/data_000001``, the dataset the ``NXdata`` group's ``signal`` names (in
the master file itself: one file per collection), one chunk per image compressed with
bitshuffle-LZ4 (HDF5 filter 32008, as Dectris writes: DIALS, Neggia, fabio and
Durin read it; h5py needs ``import hdf5plugin`` first).

Every number comes from the :class:`ImageHeader` that also makes the CBF's Pilatus
header, so an HDF5 collection and a CBF collection of the same parameters describe
the same geometry. Vectors are in the NeXus (McStas) frame: z along the beam, y up,
x completing a right-handed frame. The CBF's ``Oscillation_axis X.CW`` is the imgCIF
x axis, which is -x here; the Pilatus fast pixel direction (imgCIF +x) is -x and the
slow one (imgCIF -y) is -y, as in the files Dectris and Diamond write. The beam
meets the detector at ``(beam_x, beam_y)`` pixels counted from the outer corner of
the first pixel (the CBF's ``Beam_xy`` as DIALS reads it): the module's offset puts
that corner at ``(beam_x * pixel_size_x, beam_y * pixel_size_y)`` mm from the beam.
The kappa axis lies at :data:`KAPPA_ALPHA` from omega, in the plane of the omega axis
and the beam (an EMBL MK3 mini-kappa; the CBF header's ``Alpha``); at kappa 0 the phi
axis is the omega axis.

h5py is only imported for annotations (the caller opens the file), hdf5plugin (the
compression filter) when the layout is written.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import h5py

    from hardware_objects.simulated.image_writer import ImageHeader

DETECTOR = "/entry/instrument/detector"
DETECTOR_AXIS = f"{DETECTOR}/transformations/translation"
MODULE = f"{DETECTOR}/module"
GONIOMETER = "/entry/sample/goniometer"
OMEGA = f"{GONIOMETER}/omega"
KAPPA = f"{GONIOMETER}/kappa"
PHI = f"{GONIOMETER}/phi"

#: unit vectors in the NeXus frame (see the module docstring)
BEAM_DIRECTION = (0.0, 0.0, 1.0)
OMEGA_VECTOR = (-1.0, 0.0, 0.0)
FAST_PIXEL_VECTOR = (-1.0, 0.0, 0.0)
SLOW_PIXEL_VECTOR = (0.0, -1.0, 0.0)
#: degrees between the kappa and the omega axes (the MK3 mini-kappa's 24 degrees)
KAPPA_ALPHA = 24.0
KAPPA_VECTOR = (
    -math.cos(math.radians(KAPPA_ALPHA)),
    0.0,
    math.sin(math.radians(KAPPA_ALPHA)),
)
PHI_VECTOR = OMEGA_VECTOR

SOURCE_NAME = "mxgui simulated synchrotron"
INSTRUMENT_NAME = "mxgui simulated beamline"
SENSOR_MATERIAL = "Si"


def utc_now() -> str:
    """The time now, ISO 8601 in UTC with the ``Z`` suffix (as NXmx asks)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_layout(
    f: h5py.File, header: ImageHeader, shape: tuple[int, int], num_images: int
) -> h5py.Dataset:
    """Write everything known before the first image; return the (empty, growable)
    dataset the images go to, ``shape`` being (height, width), one chunk per image
    (``NexusWriter.add`` writes whole chunks), compressed with bitshuffle-LZ4."""
    import hdf5plugin  # deferred as h5py is; it also registers the filter with HDF5

    f.attrs["NX_class"] = "NXroot"
    f.attrs["default"] = "entry"
    entry = group(f, "entry", "NXentry", default="data")
    entry["definition"] = "NXmx"
    entry["start_time"] = header.date or utc_now()
    source = group(entry, "source", "NXsource")
    source["name"] = SOURCE_NAME
    source["type"] = "Synchrotron X-ray Source"
    instrument = group(entry, "instrument", "NXinstrument")
    instrument["name"] = INSTRUMENT_NAME
    beam = group(instrument, "beam", "NXbeam")
    value(beam, "incident_wavelength", header.wavelength, "angstrom")
    if header.flux > 0:
        value(beam, "total_flux", header.flux, "Hz")
    attenuator = group(instrument, "attenuator", "NXattenuator")
    attenuator["attenuator_transmission"] = header.transmission / 100.0
    _detector(instrument, header, shape, num_images)
    sample = group(entry, "sample", "NXsample")
    sample["depends_on"] = PHI
    goniometer = group(sample, "goniometer", "NXtransformations")
    # kappa and phi (the kappa_phi motor: mxcubecore's "phi" motor is omega here) stay
    # where they are during the sweep; omega is written by write_scan
    axis(goniometer, "phi", np.array([header.phi]), "deg", "rotation", PHI_VECTOR, KAPPA)
    axis(goniometer, "kappa", np.array([header.kappa]), "deg", "rotation", KAPPA_VECTOR, OMEGA)
    data = group(entry, "data", "NXdata", signal="data_000001")
    return data.create_dataset(
        "data_000001",
        shape=(0, *shape),
        maxshape=(num_images, *shape),
        chunks=(1, *shape),
        dtype="int32",
        compression=hdf5plugin.Bitshuffle(cname="lz4"),
    )


def _detector(
    instrument: h5py.Group, header: ImageHeader, shape: tuple[int, int], num_images: int
) -> None:
    h = header
    detector = group(instrument, "detector", "NXdetector")
    detector["description"] = h.detector
    detector["type"] = "pixel"
    detector["depends_on"] = DETECTOR_AXIS
    # the names image viewers and older readers look for (lengths in m, centre in pixels)
    value(detector, "distance", h.distance * 1e-3, "m")
    value(detector, "x_pixel_size", h.pixel_size_x * 1e-3, "m")
    value(detector, "y_pixel_size", h.pixel_size_y * 1e-3, "m")
    value(detector, "beam_center_x", h.beam_x, "pixel")
    value(detector, "beam_center_y", h.beam_y, "pixel")
    value(detector, "count_time", h.exposure_time, "s")
    value(detector, "frame_time", h.exposure_period, "s")
    detector["sensor_material"] = SENSOR_MATERIAL
    value(detector, "sensor_thickness", h.sensor_thickness * 1e-3, "m")
    detector["saturation_value"] = h.count_cutoff
    detector["bit_depth_image"] = 32
    specific = group(detector, "detectorSpecific", "NXcollection")
    specific["nimages"] = num_images
    specific["ntrigger"] = 1
    specific["x_pixels_in_detector"] = shape[1]
    specific["y_pixels_in_detector"] = shape[0]
    # no pixel is masked; Neggia reads the mask first (and the image size from it)
    mask = np.zeros(shape, dtype=np.uint32)
    specific.create_dataset("pixel_mask", data=mask, compression="gzip")
    detector.create_dataset("pixel_mask", data=mask, compression="gzip")
    transformations = group(detector, "transformations", "NXtransformations")
    axis(transformations, "translation", h.distance, "mm", "translation", BEAM_DIRECTION, ".")
    module = group(detector, "module", "NXdetector_module")
    module["data_origin"] = np.array([0, 0], dtype=np.int64)
    module["data_size"] = np.array(shape, dtype=np.int64)
    module["data_stride"] = np.array([1, 1], dtype=np.int64)
    # the corner of the first pixel, from the point where the beam meets the detector
    corner = (h.beam_x * h.pixel_size_x, h.beam_y * h.pixel_size_y, 0.0)
    axis(module, "module_offset", 0.0, "mm", "translation", (1.0, 0.0, 0.0), DETECTOR_AXIS)
    module["module_offset"].attrs["offset"] = np.array(corner)
    module["module_offset"].attrs["offset_units"] = "mm"
    offset_axis = f"{MODULE}/module_offset"
    for name, size, vector in (
        ("fast_pixel_direction", h.pixel_size_x, FAST_PIXEL_VECTOR),
        ("slow_pixel_direction", h.pixel_size_y, SLOW_PIXEL_VECTOR),
    ):
        axis(module, name, size, "mm", "translation", vector, offset_axis)


def write_scan(f: h5py.File, header: ImageHeader, starts: Sequence[float]) -> None:
    """Write what is known once the images are taken: omega at the start of each image
    (one value per image), its end and increment, the number of images, the end time."""
    angles = np.array(starts, dtype=float)
    goniometer = f[GONIOMETER]
    axis(goniometer, "omega", angles, "deg", "rotation", OMEGA_VECTOR, ".")
    value(goniometer, "omega_end", angles + header.angle_increment, "deg")
    value(goniometer, "omega_increment_set", header.angle_increment, "deg")
    # as the first HDF5 files of mxgui had them (their readers keep working)
    value(goniometer, "omega_increment", np.full(len(angles), header.angle_increment), "deg")
    value(goniometer, "omega_range_average", header.angle_increment, "deg")
    f[f"{DETECTOR}/detectorSpecific/nimages"][()] = len(angles)
    f["entry"]["end_time"] = utc_now()


def group(parent: h5py.Group, name: str, nx_class: str, **attrs: str) -> h5py.Group:
    """A new group of NeXus class ``nx_class`` with ``attrs``."""
    new = parent.create_group(name)
    new.attrs["NX_class"] = nx_class
    for key, text in attrs.items():
        new.attrs[key] = text
    return new


def value(parent: h5py.Group, name: str, data: float | np.ndarray, units: str) -> h5py.Dataset:
    """A new dataset with its ``units``."""
    dataset = parent.create_dataset(name, data=data)
    dataset.attrs["units"] = units
    return dataset


def axis(
    parent: h5py.Group,
    name: str,
    data: float | np.ndarray,
    units: str,
    kind: str,
    vector: tuple[float, float, float],
    depends_on: str,
) -> h5py.Dataset:
    """A transformation axis: ``kind`` (translation or rotation) of ``data`` along the
    unit ``vector``, applied after the axis ``depends_on`` (``"."``: the last one)."""
    dataset = value(parent, name, data, units)
    dataset.attrs["transformation_type"] = kind
    dataset.attrs["vector"] = np.array(vector, dtype=float)
    dataset.attrs["depends_on"] = depends_on
    return dataset
