"""Data collection on the simulated beamline: real files, never overwritten, stoppable."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import SimpleNamespace

import fabio
import numpy as np
import pytest
from PIL import Image

from hardware_objects.abstract.collect import (
    STOPPED_BY_USER,
    AbstractCollect,
    CollectionError,
    CollectionStopped,
)
from hardware_objects.abstract.energy import HC_KEV_ANGSTROM
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.clock import ManualClock
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides, step_until, use_clock


class Signals:
    """Records every signal of the collect object, in order, with its arguments."""

    def __init__(self, collect: AbstractCollect) -> None:
        self.events: list[tuple[str, tuple]] = []
        self.ended = threading.Event()
        self._lock = threading.Lock()
        for name in collect.SIGNALS:
            collect.connect(name, lambda *args, name=name: self._record(name, args))

    def _record(self, name: str, args: tuple) -> None:
        with self._lock:
            self.events.append((name, args))
        if name == "collectEnded":
            self.ended.set()

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def args(self, name: str) -> list[tuple]:
        return [args for n, args in self.events if n == name]


@pytest.fixture
def bl(tmp_path):
    """The simulated beamline, its session writing below ``tmp_path/data``."""
    # the same beamline with quicker shutters and phase changes (the test is the sequence)
    overrides = quick_collect_overrides(tmp_path)
    repo = HardwareRepository([overrides, SIMULATED])
    collect = repo.get("collect")
    diffractometer = repo.get("diffractometer")
    omega = diffractometer.get_motor("phi")
    omega.set_velocity(3600.0)  # keep the moves between tests' collections short
    for role in ("phiy", "phiz", "sampx", "sampy"):
        diffractometer.get_motor(role).set_velocity(20.0)
    centring = diffractometer.scene.centring_positions()
    centred = CentredPosition(**{"phi": 0.0, **{k: float(v) for k, v in centring.items()}})
    yield SimpleNamespace(
        repo=repo,
        collect=collect,
        session=repo.get("session"),
        diffractometer=diffractometer,
        omega=omega,
        centred=centred,
        signals=Signals(collect),
    )
    collect.stop_collect()
    repo.shutdown()


def parameters(**changes) -> AcquisitionParameters:
    values = dict(
        osc_start=0.0,
        osc_range=1.0,
        num_images=10,
        exp_time=0.0,
        energy=12.7,
        transmission=100.0,
        detector_distance=150.0,
        take_snapshots=0,
        detector_roi_mode="test",
    )
    values.update(changes)
    return AcquisitionParameters(**values)


def files_in(directory) -> list[str]:
    return sorted(os.listdir(directory))


# -- the DONE-WHEN collection -----------------------------------------------------------------


def test_a_360_image_collection_writes_360_readable_files_in_the_session_directory(bl):
    params = parameters(num_images=360, osc_start=-30.0, osc_range=1.0, energy=12.4)
    path = bl.collect.get_default_path_template(prefix="lyso")
    assert path.directory == bl.session.get_image_directory()
    info = bl.collect.collect(params, path, bl.centred).result(timeout=30)

    names = [f"lyso_1_{n:05d}.cbf" for n in range(1, 361)]
    assert files_in(path.directory) == names, "360 files, nothing else"
    assert info["files"] == [str(Path(path.directory) / name) for name in names]
    assert info["images_taken"] == 360 and info["state"] == "finished"
    wavelength = HC_KEV_ANGSTROM / 12.4
    for i, name in enumerate(names):
        image = fabio.open(str(Path(path.directory) / name))
        header = image.pilatus_headers
        start, end = params.image_range(i)
        assert header["Start_angle"] == pytest.approx(start, abs=1e-4), name
        assert header["Start_angle"] + header["Angle_increment"] == pytest.approx(end, abs=1e-4)
        assert header["Exposure_time"] == 0.0
        assert header["Wavelength"] == pytest.approx(wavelength, abs=1e-5), name
        assert header["Detector_distance"] == pytest.approx(0.150), name
        assert image.data.shape == (256, 256) and image.data.dtype == np.int32
    # the beamline did what the sequence says
    assert bl.repo.get("energy").get_value() == pytest.approx(12.4)
    assert bl.diffractometer.get_phase().value == "DataCollection"
    assert bl.repo.get("safety_shutter").is_open()
    assert not bl.repo.get("fast_shutter").is_open()
    assert bl.omega.get_value() == pytest.approx(params.osc_end)
    assert bl.omega.get_velocity() == 3600.0, "omega speed restored"
    assert bl.collect.get_state() is HardwareObjectState.READY
    # the signals, in order
    names_seen = bl.signals.names()
    assert names_seen[0] == "collectStarted"
    assert names_seen[-2:] == ["collectOscillationFinished", "collectEnded"]
    assert [a[0] for a in bl.signals.args("collectImageTaken")] == list(range(1, 361))
    assert bl.signals.args("progressChanged")[-1] == (1.0,)
    assert bl.signals.args("collectEnded") == [(True,)]


def test_a_second_run_never_overwrites_the_first(bl):
    first_path = bl.collect.get_default_path_template(prefix="thau")
    bl.collect.collect(parameters(num_images=5), first_path, bl.centred).result(timeout=20)
    first = {name: (Path(first_path.directory) / name) for name in files_in(first_path.directory)}
    for path in first.values():  # dated a day back: a rewrite would date them now
        old = path.stat().st_mtime_ns - 86_400 * 10**9
        os.utime(path, ns=(old, old))
    before = {name: (p.stat().st_mtime_ns, p.read_bytes()) for name, p in first.items()}

    second_path = bl.collect.get_default_path_template(prefix="thau")
    assert second_path.run_number == 2
    bl.collect.collect(parameters(num_images=5), second_path, bl.centred).result(timeout=20)

    # the same run again: refused, naming the file, nothing touched
    with pytest.raises(CollectionError) as info:
        bl.collect.collect(parameters(num_images=5), first_path, bl.centred).result(timeout=20)
    assert str(Path(first_path.directory) / "thau_1_00001.cbf") in info.value.reason
    assert "never overwritten" in info.value.reason and "next free run is 3" in info.value.reason
    assert bl.signals.args("collectOscillationFailed")[-1] == (info.value.reason,)

    after = {name: (p.stat().st_mtime_ns, p.read_bytes()) for name, p in first.items()}
    assert after == before
    assert files_in(first_path.directory) == sorted(
        [f"thau_1_{n:05d}.cbf" for n in range(1, 6)] + [f"thau_2_{n:05d}.cbf" for n in range(1, 6)]
    )


def test_run_numbers_used_survive_a_restart(bl, tmp_path):
    path = bl.collect.get_default_path_template(prefix="ins")
    bl.collect.collect(parameters(num_images=1), path, bl.centred).result(timeout=20)
    for name in files_in(path.directory):
        os.remove(Path(path.directory) / name)  # even with the files gone
    restarted = HardwareRepository([tmp_path / "repo", SIMULATED])
    try:
        assert restarted.get("session").get_next_run_number(path.directory, "ins") == 2
    finally:
        restarted.shutdown()


# -- physics ------------------------------------------------------------------------------------


def test_a_crystal_off_the_beam_gives_weaker_images_than_a_centred_one(bl):
    off = CentredPosition(**{**bl.centred.to_dict(), "phiy": bl.centred.phiy + 0.8})
    images = {}
    for name, position in (("centred", bl.centred), ("off", off)):
        path = bl.collect.get_default_path_template(prefix=name)
        info = bl.collect.collect(parameters(num_images=12, osc_range=2.0), path, position).result(
            timeout=20
        )
        images[name] = np.array([fabio.open(f).data for f in info["files"]], dtype=np.int64)
    centred, off_beam = images["centred"], images["off"]
    # the same noise, the same background: only the Bragg spots differ
    assert np.all(centred >= off_beam)
    excess = centred - off_beam
    assert excess.sum() > 0.02 * off_beam.sum()
    assert (excess > 100).sum() >= 20, "bright spots on the centred crystal"
    assert off_beam.max() < 200, "no spots off the beam"


def test_strength_follows_the_diffraction_factor(bl):
    bl.collect.set_diffraction_factor(0.0)
    path = bl.collect.get_default_path_template(prefix="dead")
    info = bl.collect.collect(parameters(num_images=3, osc_range=5.0), path, bl.centred).result(20)
    assert max(fabio.open(f).data.max() for f in info["files"]) < 200


# -- stop and failures -------------------------------------------------------------------------


def test_stop_midway_stops_at_once_and_leaves_only_complete_files(bl):
    path = bl.collect.get_default_path_template(prefix="stop")
    taken = threading.Event()
    bl.collect.connect("collectImageTaken", lambda n: n >= 10 and taken.set())
    clock = ManualClock()
    use_clock(clock, bl.collect)
    future = bl.collect.collect(parameters(num_images=400, exp_time=0.02), path, bl.centred)
    step_until(clock, taken.is_set)
    stopped_at = clock.now()
    bl.collect.stop_collect()
    step_until(clock, future.done)  # closing the shutter takes its time
    with pytest.raises(CollectionStopped) as info:
        future.result()
    assert clock.now() - stopped_at < 0.5  # at once, not after the 390 images left (7.8 s)
    assert info.value.reason == STOPPED_BY_USER
    assert bl.signals.args("collectOscillationFailed") == [(STOPPED_BY_USER,)]
    assert bl.signals.args("collectEnded") == [(False,)]
    written = files_in(path.directory)
    count = bl.collect.get_collection_info()["images_taken"]
    assert 10 <= count < 400 and len(written) == count
    assert written == [f"stop_1_{n:05d}.cbf" for n in range(1, count + 1)]
    for name in written:  # every file is whole
        assert fabio.open(str(Path(path.directory) / name)).data.shape == (256, 256)
    assert not bl.repo.get("fast_shutter").is_open()
    assert bl.omega.get_velocity() == 3600.0
    assert not bl.collect.is_collecting()
    # and the next collection runs
    next_path = bl.collect.get_default_path_template(prefix="stop")
    assert next_path.run_number == 2
    collecting = bl.collect.collect(parameters(num_images=2), next_path)
    step_until(clock, collecting.done, timeout=20)
    collecting.result()


def test_an_unwritable_directory_fails_with_the_path_in_the_reason(bl, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file")
    path = PathTemplate(directory=str(blocker / "RAW_DATA"), prefix="lyso")
    with pytest.raises(CollectionError) as info:
        bl.collect.collect(parameters(), path).result(timeout=20)
    assert str(blocker / "RAW_DATA") in info.value.reason
    assert bl.signals.args("collectOscillationFailed") == [(info.value.reason,)]
    assert bl.signals.args("collectEnded") == [(False,)]
    assert bl.collect.get_state() is HardwareObjectState.READY


def test_bad_parameters_fail_naming_the_field_and_limit(bl):
    path = bl.collect.get_default_path_template(prefix="bad")
    with pytest.raises(CollectionError) as info:
        bl.collect.collect(parameters(exp_time=1e-5), path).result(timeout=20)
    assert "exp_time: 1e-05 s is below the detector's minimum 0.00033 s" in info.value.reason
    with pytest.raises(CollectionError, match="num_images: 0 is below the minimum 1"):
        bl.collect.collect(parameters(num_images=0), path).result(timeout=20)
    with pytest.raises(CollectionError, match="energy: 30 keV is above the energy's maximum"):
        bl.collect.collect(parameters(energy=30.0), path).result(timeout=20)
    with pytest.raises(CollectionError, match="ROI mode 'huge' is not one of 4M, 1M, test"):
        bl.collect.collect(parameters(detector_roi_mode="huge"), path).result(timeout=20)
    assert not Path(path.directory).exists(), "nothing created for a refused collection"
    assert bl.repo.get("detector").get_roi_mode() == "1M", "nor the detector changed"


def test_one_collection_at_a_time(bl):
    path = bl.collect.get_default_path_template(prefix="busy")
    future = bl.collect.collect(parameters(num_images=100, exp_time=0.01), path)
    with pytest.raises(RuntimeError, match="already running"):
        bl.collect.collect(parameters(), path.with_run_number(2))
    bl.collect.stop_collect()
    with pytest.raises(CollectionStopped):
        future.result(timeout=5)


def test_a_motor_fault_fails_the_collection_with_the_motor_reason(bl):
    bl.omega.inject_fault("omega amplifier tripped")
    path = bl.collect.get_default_path_template(prefix="fault")
    with pytest.raises(CollectionError, match="omega amplifier tripped"):
        bl.collect.collect(parameters(osc_start=5.0), path).result(timeout=20)
    bl.omega.inject_fault(None)


def test_a_detector_error_keeps_the_images_taken_before(bl):
    bl.collect.inject_fault("lost the data link", after_images=4)
    path = bl.collect.get_default_path_template(prefix="det")
    with pytest.raises(CollectionError, match="detector error: lost the data link"):
        bl.collect.collect(parameters(num_images=10), path).result(timeout=20)
    assert files_in(path.directory) == [f"det_1_{n:05d}.cbf" for n in range(1, 5)]
    assert not bl.repo.get("fast_shutter").is_open()


# -- HDF5, snapshots, exposure ------------------------------------------------------------------


def test_hdf5_mode_writes_a_master_file_with_the_omega_values(bl):
    h5py = pytest.importorskip("h5py")
    path = bl.collect.get_default_path_template(prefix="nx")
    path = PathTemplate.from_dict({**path.to_dict(), "suffix": "h5"})
    params = parameters(num_images=30, osc_start=10.0, osc_range=0.5)
    info = bl.collect.collect(params, path, bl.centred).result(timeout=20)
    assert files_in(path.directory) == ["nx_1_master.h5"]
    assert info["files"] == [str(Path(path.directory) / "nx_1_master.h5")]
    with h5py.File(info["files"][0], "r") as f:
        omega = f["entry/sample/goniometer/omega"][()]
        assert omega == pytest.approx([params.image_range(i)[0] for i in range(30)])
        assert f["entry/sample/goniometer/omega_increment"][()] == pytest.approx([0.5] * 30)
        assert f["entry/data/data_000001"].shape == (30, 256, 256)
        assert f["entry/instrument/detector/distance"][()] == pytest.approx(0.150)
        assert f["entry/instrument/beam/incident_wavelength"][()] == pytest.approx(
            HC_KEV_ANGSTROM / 12.7, abs=1e-5
        )
    image = fabio.open(info["files"][0])
    try:
        assert image.nframes == 30
    finally:
        image.close()


def test_crystal_snapshots_are_png_files_of_the_camera(bl):
    path = bl.collect.get_default_path_template(prefix="snap")
    info = bl.collect.collect(parameters(num_images=1, take_snapshots=2), path, bl.centred).result(
        timeout=20
    )
    expected = [str(Path(path.directory) / f"snap_1_snapshot_{k}.png") for k in (1, 2)]
    assert info["snapshots"] == expected
    assert bl.signals.args("snapshotTaken") == [(p,) for p in expected]
    camera = bl.diffractometer.get_motor("sample_camera")
    frames = []
    for name in expected:
        with Image.open(name) as image:
            assert image.size == (camera.get_width(), camera.get_height())
            frames.append(np.asarray(image))
    assert not np.array_equal(frames[0], frames[1]), "turned by 90 degrees in between"


def test_exposure_paces_the_images_and_omega_sweeps(bl):
    path = bl.collect.get_default_path_template(prefix="slow")
    params = parameters(num_images=10, exp_time=0.04, osc_range=0.5, osc_start=20.0)
    values: list[float] = []
    bl.omega.connect("valueChanged", values.append)
    clock = ManualClock()
    use_clock(clock, bl.collect)
    collecting = bl.collect.collect(params, path, bl.centred)
    step_until(clock, collecting.done, timeout=20)
    info = collecting.result()
    assert clock.now() >= 10 * 0.04  # each image waits its exposure
    assert fabio.open(info["files"][3]).pilatus_headers["Exposure_time"] == pytest.approx(0.04)
    sweep = [v for v in values if 20.0 < v < 25.0]
    assert len(sweep) >= 5, "omega passed through the oscillation, not a jump"
    assert bl.omega.get_value() == pytest.approx(25.0)
    assert bl.omega.get_velocity() == 3600.0


def test_defaults_and_limits_come_from_the_hardware(bl):
    limits = bl.collect.get_acquisition_limits()
    assert limits.energy == bl.repo.get("energy").get_limits()
    assert limits.exp_time == bl.repo.get("detector").get_exposure_time_limits()
    low, high = limits.resolution
    assert low < high
    defaults = bl.collect.get_default_acquisition_parameters()
    assert defaults.energy == pytest.approx(12.7)
    defaults.validate(limits)
    assert bl.collect.get_default_path_template().suffix == "cbf"


# -- helical ------------------------------------------------------------------------------------


def test_a_helical_collection_moves_the_sample_linearly_from_start_to_end(bl):
    start = CentredPosition(**{**bl.centred.to_dict(), "phiy": bl.centred.phiy - 0.05})
    end = CentredPosition(**{**bl.centred.to_dict(), "phiy": bl.centred.phiy + 0.05})
    motors = {n: bl.diffractometer.get_motor(n) for n in ("phiy", "phiz", "sampx", "sampy")}
    seen: list[dict[str, float]] = []
    bl.collect.connect(
        "collectImageTaken", lambda _n: seen.append({n: m.get_value() for n, m in motors.items()})
    )
    path = bl.collect.get_default_path_template(prefix="helix")
    info = bl.collect.collect(parameters(num_images=10), path, start, helical_end=end).result(
        timeout=20
    )

    names = [f"helix_1_{n:05d}.cbf" for n in range(1, 11)]
    assert files_in(path.directory) == names
    assert info["files"] == [str(Path(path.directory) / name) for name in names]
    assert info["state"] == "finished" and info["helical"] is True
    assert len(seen) == 10
    for i, positions in enumerate(seen):
        assert positions["phiy"] == pytest.approx(start.phiy + 0.1 * i / 9, abs=1e-6), i
        for name in ("phiz", "sampx", "sampy"):
            assert positions[name] == pytest.approx(getattr(start, name), abs=1e-6), (i, name)
    assert bl.omega.get_value() == pytest.approx(10.0)


def test_a_helical_collection_needs_its_start(bl):
    path = bl.collect.get_default_path_template(prefix="nostart")
    with pytest.raises(CollectionError, match="helical collection needs its start"):
        bl.collect.collect(parameters(num_images=2), path, None, helical_end=bl.centred).result(
            timeout=20
        )
