"""Acquisition parameters and path templates: what a data collection does and where it writes.

Qt-free and free of hardware: the queue, the collect hardware object and the XML-RPC
server share these. Field names follow mxcubecore (``osc_start``, ``osc_range``,
``num_images``, ``exp_time``, ...) so that task parameters and workflow scripts port.

Validation is pure: the limits that come from hardware (the detector's exposure-time
range, the energy and resolution ranges...) are passed in as :class:`AcquisitionLimits`.
Every message names the field, the value and the limit.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, ClassVar, TypeGuard, TypeVar

#: the image-file suffixes the writers know
SUFFIXES = ("cbf", "h5")
#: a prefix is used in file names: letters, digits and - _ . + only
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_RUN_RE = re.compile(r"([0-9]+)_")


class ParameterError(ValueError):
    """Parameters that cannot be used; the message lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or a float, not a bool (``True`` is an int to Python, not a number here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _convert(name: str, kind: object, value: object) -> bool | int | float | str | None:
    """``value`` as the plain type ``kind`` of field ``name``, or ``ParameterError``."""
    optional = False
    if kind == "float | None":
        if value is None:
            return None
        kind, optional = "float", True
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ParameterError([f"{name}: expected true or false, got {value!r}"])
    if kind == "int":
        if isinstance(value, bool) or not is_number(value) or value != int(value):
            raise ParameterError([f"{name}: expected an integer, got {value!r}"])
        return int(value)
    if kind == "float":
        if not is_number(value):
            expected = "a number or null" if optional else "a number"
            raise ParameterError([f"{name}: expected {expected}, got {value!r}"])
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise ParameterError([f"{name}: expected text, got {value!r}"])
        return value
    raise TypeError(f"unsupported field type {kind!r}")  # a programming error


PlainT = TypeVar("PlainT", bound="_PlainDict")


class _PlainDict:
    """``to_dict`` / ``from_dict`` with plain types for a dataclass of plain fields."""

    # declared for the type checker: every subclass is a dataclass
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict of plain types (JSON / XML-RPC ready)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[PlainT], data: dict[str, Any], strict: bool = True) -> PlainT:
        """Build from ``data``; missing fields take their defaults.

        With ``strict`` an unknown key is an error naming it; otherwise it is ignored
        (a task dict also carries path fields such as ``prefix``).
        """
        if not isinstance(data, dict):
            raise ParameterError([f"{cls.__name__}: expected a dict, got {type(data).__name__}"])
        fields = {f.name: f for f in dataclasses.fields(cls)}
        problems = []
        values = {}
        for key, value in data.items():
            spec = fields.get(key)
            if spec is None:
                if strict:
                    problems.append(f"unknown field {key!r} (known: {', '.join(sorted(fields))})")
                continue
            try:
                values[key] = _convert(key, spec.type, value)
            except ParameterError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ParameterError(problems)
        return cls(**values)


@dataclass
class AcquisitionLimits:
    """Limits from the hardware that parameters are checked against (``None``: no limit).

    Each is a ``(low, high)`` pair in the unit of the field: exp_time s, energy keV,
    transmission %, resolution A, detector_distance mm.
    """

    exp_time: tuple[float, float] | None = None
    energy: tuple[float, float] | None = None
    transmission: tuple[float, float] | None = (0.0, 100.0)
    resolution: tuple[float, float] | None = None
    detector_distance: tuple[float, float] | None = None

    UNITS: ClassVar[dict[str, str]] = {
        "exp_time": "s",
        "energy": "keV",
        "transmission": "%",
        "resolution": "A",
        "detector_distance": "mm",
    }
    SOURCES: ClassVar[dict[str, str]] = {
        "exp_time": "the detector's",
        "energy": "the energy's",
        "transmission": "the transmission's",
        "resolution": "the resolution's",
        "detector_distance": "the detector distance's",
    }


@dataclass
class AcquisitionParameters(_PlainDict):
    """The parameters of one data collection (mxcubecore's names and units).

    Angles in degrees, ``exp_time`` in seconds per image, ``energy`` in keV,
    ``transmission`` in percent, ``resolution`` in Angstrom at the detector edge,
    ``detector_distance`` in mm (``None``: follow the resolution).

    Image ``i`` (0-based) covers ``[osc_start + i*(osc_range - overlap),
    ... + osc_range)``; with ``overlap`` 0 that is docs/domain.md's
    ``[osc_start + i*osc_range, osc_start + (i+1)*osc_range)``. Its file number is
    ``first_image + i``.
    """

    osc_start: float = 0.0
    osc_range: float = 0.1
    num_images: int = 1
    exp_time: float = 0.1
    energy: float = 12.7
    transmission: float = 100.0
    resolution: float = 2.0
    detector_distance: float | None = None
    shutterless: bool = True
    first_image: int = 1
    overlap: float = 0.0
    kappa: float = 0.0
    kappa_phi: float = 0.0
    num_passes: int = 1
    inverse_beam: bool = False
    take_snapshots: int = 1
    detector_roi_mode: str = ""
    comments: str = ""

    @property
    def start_image_number(self) -> int:
        """The file number of the first image (mxcubecore's other name for first_image)."""
        return self.first_image

    @property
    def osc_total_range(self) -> float:
        """Degrees swept by the whole collection."""
        if self.num_images <= 0:
            return 0.0
        return (self.num_images - 1) * (self.osc_range - self.overlap) + self.osc_range

    @property
    def osc_end(self) -> float:
        """Angle where the last image ends."""
        return self.osc_start + self.osc_total_range

    def image_range(self, index: int) -> tuple[float, float]:
        """``(start, end)`` angles of image ``index`` (0-based)."""
        if not 0 <= index < self.num_images:
            raise IndexError(f"image index {index} outside 0..{self.num_images - 1}")
        start = self.osc_start + index * (self.osc_range - self.overlap)
        return (start, start + self.osc_range)

    def total_time(self) -> float:
        """Exposure time of the whole collection in seconds (no overheads)."""
        return self.num_images * self.exp_time * self.num_passes

    def problems(self, limits: AcquisitionLimits | None = None) -> list[str]:
        """Everything wrong with these parameters, one message per problem.

        Constant time whatever ``num_images`` is (nothing is checked per image).
        """
        found: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if is_number(value) and not math.isfinite(value):
                found.append(f"{f.name}: {value} is not a finite number")
        if found:
            return found
        if self.num_images < 1:
            found.append(f"num_images: {self.num_images} is below the minimum 1")
        if self.first_image < 1:
            found.append(f"first_image: {self.first_image} is below the minimum 1")
        if self.num_passes < 1:
            found.append(f"num_passes: {self.num_passes} is below the minimum 1")
        if self.osc_range < 0:
            found.append(f"osc_range: {self.osc_range:g} deg is below the minimum 0 deg")
        if self.overlap < 0:
            found.append(f"overlap: {self.overlap:g} deg is below the minimum 0 deg")
        elif self.overlap and self.overlap >= self.osc_range:
            found.append(
                f"overlap: {self.overlap:g} deg must be below osc_range {self.osc_range:g} deg"
            )
        if self.exp_time < 0:
            found.append(f"exp_time: {self.exp_time:g} s is below the minimum 0 s")
        if self.energy <= 0:
            found.append(f"energy: {self.energy:g} keV must be above 0 keV")
        if self.resolution <= 0:
            found.append(f"resolution: {self.resolution:g} A must be above 0 A")
        if self.detector_distance is not None and self.detector_distance <= 0:
            found.append(f"detector_distance: {self.detector_distance:g} mm must be above 0 mm")
        if self.take_snapshots < 0:
            found.append(f"take_snapshots: {self.take_snapshots} is below the minimum 0")
        if limits is not None:
            found.extend(self._limit_problems(limits))
        return found

    def _limit_problems(self, limits: AcquisitionLimits) -> list[str]:
        found = []
        for name in AcquisitionLimits.UNITS:
            bounds = getattr(limits, name)
            value = getattr(self, name)
            if bounds is None or value is None:
                continue
            low, high = bounds
            unit = AcquisitionLimits.UNITS[name]
            source = AcquisitionLimits.SOURCES[name]
            if value < low:
                found.append(f"{name}: {value:g} {unit} is below {source} minimum {low:g} {unit}")
            elif value > high:
                found.append(f"{name}: {value:g} {unit} is above {source} maximum {high:g} {unit}")
        return found

    def validate(self, limits: AcquisitionLimits | None = None) -> None:
        """Raise :class:`ParameterError` listing every problem (see :meth:`problems`)."""
        found = self.problems(limits)
        if found:
            raise ParameterError(found)


@dataclass
class PathTemplate(_PlainDict):
    """Where a collection writes and how its files are named.

    Images are ``<directory>/<prefix>_<run_number>_<nnnnn>.cbf`` (``precision`` digits,
    numbered from ``start_num``); in HDF5 mode one master file
    ``<prefix>_<run_number>_master.h5`` holds them all. Snapshots of the crystal are
    ``<prefix>_<run_number>_snapshot_<k>.png`` beside the images.
    """

    directory: str = ""
    prefix: str = ""
    run_number: int = 1
    suffix: str = "cbf"
    start_num: int = 1
    precision: int = 5
    process_directory: str = ""

    # names -------------------------------------------------------------------------
    @property
    def run_prefix(self) -> str:
        """``<prefix>_<run_number>``: what every file of this run starts with."""
        return f"{self.prefix}_{self.run_number}"

    @property
    def is_hdf5(self) -> bool:
        return self.suffix == "h5"

    def get_image_file_name(self) -> str:
        """The printf-style template of image names (mxcubecore), e.g. ``p_1_%05d.cbf``."""
        if self.is_hdf5:
            return self.master_file_name()
        return f"{self.run_prefix}_%0{self.precision}d.{self.suffix}"

    def get_image_path(self) -> str:
        """:meth:`get_image_file_name` inside :attr:`directory`."""
        return str(PurePath(self.directory) / self.get_image_file_name())

    def image_file_name(self, number: int) -> str:
        """The file name of image number ``number`` (CBF mode)."""
        return f"{self.run_prefix}_{number:0{self.precision}d}.{self.suffix}"

    def master_file_name(self) -> str:
        """The HDF5 master file name."""
        return f"{self.run_prefix}_master.h5"

    def snapshot_file_name(self, index: int) -> str:
        """The name of crystal snapshot ``index`` (1-based)."""
        return f"{self.run_prefix}_snapshot_{index}.png"

    def file_names(self, num_images: int) -> list[str]:
        """The data files a collection of ``num_images`` writes, in order."""
        if self.is_hdf5:
            return [self.master_file_name()]
        return [self.image_file_name(self.start_num + i) for i in range(num_images)]

    def belongs_to_run(self, file_name: str) -> bool:
        """True for a file of this run (image, master, data file or snapshot)."""
        return file_name.startswith(self.run_prefix + "_")

    def with_run_number(self, run_number: int) -> PathTemplate:
        """A copy with another run number."""
        return dataclasses.replace(self, run_number=run_number)

    # checks ------------------------------------------------------------------------
    def problems(self, num_images: int | None = None) -> list[str]:
        """Everything wrong with this template, one message per problem."""
        found = []
        if not self.directory:
            found.append("directory: empty; expected an absolute path")
        elif not PurePath(self.directory).is_absolute():
            found.append(f"directory: {self.directory!r} is not an absolute path")
        elif ".." in PurePath(self.directory).parts:
            found.append(f"directory: {self.directory!r} must not contain '..'")
        if self.process_directory and not PurePath(self.process_directory).is_absolute():
            found.append(f"process_directory: {self.process_directory!r} is not an absolute path")
        elif ".." in PurePath(self.process_directory).parts:
            found.append(f"process_directory: {self.process_directory!r} must not contain '..'")
        if not _PREFIX_RE.match(self.prefix or ""):
            found.append(
                f"prefix: {self.prefix!r} is not usable in a file name "
                "(letters, digits and - _ . + only, starting with a letter or digit)"
            )
        if self.run_number < 1:
            found.append(f"run_number: {self.run_number} is below the minimum 1")
        if self.suffix not in SUFFIXES:
            found.append(f"suffix: {self.suffix!r} is not one of {', '.join(SUFFIXES)}")
        if not 1 <= self.precision <= 9:
            found.append(f"precision: {self.precision} is outside 1..9 digits")
        if self.start_num < 0:
            found.append(f"start_num: {self.start_num} is below the minimum 0")
        elif num_images is not None and 1 <= self.precision <= 9 and not self.is_hdf5:
            last = self.start_num + num_images - 1
            if last >= 10**self.precision:
                found.append(
                    f"start_num: image number {last} needs more than precision "
                    f"{self.precision} digits"
                )
        return found

    def validate(self, num_images: int | None = None) -> None:
        """Raise :class:`ParameterError` listing every problem (see :meth:`problems`)."""
        found = self.problems(num_images)
        if found:
            raise ParameterError(found)


def run_number_of(file_name: str, prefix: str) -> int | None:
    """The run number in ``file_name`` if it is a file of a run of ``prefix``, else None.

    ``p_3_00001.cbf``, ``p_3_master.h5`` and ``p_3_snapshot_1.png`` are run 3 of ``p``.
    """
    head = prefix + "_"
    if not file_name.startswith(head):
        return None
    match = _RUN_RE.match(file_name, len(head))
    return int(match.group(1)) if match else None


__all__ = [
    "AcquisitionLimits",
    "AcquisitionParameters",
    "ParameterError",
    "PathTemplate",
    "SUFFIXES",
    "run_number_of",
]
