"""The simulated sample changer behaves like a robot and dewar of uni-pucks (no Qt)."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import Future

import pytest

from hardware_objects.abstract.sample_changer import (
    AbstractSampleChanger,
    SampleChangerError,
    SampleChangerRefused,
    SampleChangerState,
    format_address,
    hardware_state,
    parse_address,
)
from hardware_objects.simulated.sample_changer import (
    LOAD_STEPS,
    UNLOAD_STEPS,
    SimulatedSampleChanger,
    load_duration,
)
from mxgui.core.clock import ManualClock
from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, step_until

SC = SampleChangerState
HO = HardwareObjectState


class Recorder:
    """Records the arguments of every emission of a signal, from any thread."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self._lock = threading.Lock()

    def __call__(self, *args) -> None:
        with self._lock:
            self.calls.append(args)

    @property
    def firsts(self) -> list:
        return [call[0] for call in self.calls]


@pytest.fixture
def make_changer(tmp_path):
    repos = []

    def make(speed_factor: float = 0.001, **properties) -> SimulatedSampleChanger:
        name = f"sc{len(repos)}"
        extra = "".join(f"  <{k}>{v}</{k}>\n" for k, v in properties.items())
        (tmp_path / f"{name}.xml").write_text(
            '<object class="simulated.sample_changer.SimulatedSampleChanger">\n'
            f"  <speed_factor>{speed_factor}</speed_factor>\n{extra}</object>\n"
        )
        repo = HardwareRepository([tmp_path])
        repos.append(repo)
        return repo.get(name)

    yield make
    for repo in repos:
        repo.shutdown()


def present(changer: AbstractSampleChanger) -> list[str]:
    return [s.address for p in changer.get_contents() for s in p.samples if s.present]


def empty(changer: AbstractSampleChanger) -> list[str]:
    return [s.address for p in changer.get_contents() for s in p.samples if s.present is False]


def abort_when(changer: AbstractSampleChanger, step_prefix: str) -> threading.Event:
    """Abort as soon as a progress report names a step starting with ``step_prefix``."""
    fired = threading.Event()

    def watch(_fraction, step):
        if step.startswith(step_prefix) and not fired.is_set():
            fired.set()
            changer.abort()

    changer.connect("progressChanged", watch)
    return fired


# -- addresses and contents ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"), [("3:05", (3, 5)), ("3:5", (3, 5)), (" 12 : 16 ", (12, 16))]
)
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3-05", "'3-05' is not of the form puck:pin (e.g. 3:05)"),
        ("", "'' is not of the form puck:pin"),
        ("a:b", "not of the form puck:pin"),
        (None, "None is not of the form puck:pin"),
        ("0:05", "numbered from 1"),
        ("3:00", "numbered from 1"),
    ],
)
def test_parse_address_refuses_bad_text(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_address(text)


def test_parse_address_checks_the_capacity_and_format_pads_the_pin():
    with pytest.raises(ValueError, match=r"no puck 6 \(the sample changer has pucks 1-5\)"):
        parse_address("6:01", pucks=5, pins=16)
    with pytest.raises(ValueError, match=r"no pin 17 in puck 2 \(pins 1-16\)"):
        parse_address("2:17", pucks=5, pins=16)
    assert format_address(3, 5) == "3:05" and format_address(10, 16) == "10:16"
    for bad in ((0, 1), (1, 0), (1.5, 2), (True, 2)):
        with pytest.raises(ValueError, match="must be an integer from 1"):
            format_address(*bad)


def test_contents_are_five_unipucks_of_sixteen_pins(make_changer):
    changer = make_changer()
    pucks = changer.get_contents()
    assert [p.index for p in pucks] == [1, 2, 3, 4, 5]
    assert changer.get_capacity() == (5, 16)
    for puck in pucks:
        assert puck.type == "unipuck" and puck.name and puck.barcode
        assert [s.address for s in puck.samples] == [f"{puck.index}:{n:02d}" for n in range(1, 17)]
    assert changer.get_sample("3:5").address == "3:05"
    # seeded: some pins empty, the others with barcode, name and protein acronym
    full, holes = present(changer), empty(changer)
    assert len(full) + len(holes) == 80 and 4 <= len(holes) <= 30
    for address in full:
        sample = changer.get_sample(address)
        assert sample.barcode and sample.name and sample.protein_acronym
        assert not sample.loaded and not sample.has_been_loaded
    assert all(changer.get_sample(a).barcode == "" for a in holes)
    assert changer.get_sc_state() is SC.Ready and changer.get_state() is HO.READY
    assert changer.get_loaded_sample() is None


def test_contents_are_read_only_snapshots(make_changer):
    changer = make_changer()
    pucks = changer.get_contents()
    pucks.clear()
    assert len(changer.get_contents()) == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        changer.get_sample("1:01").present = False


def test_capacity_is_configurable(make_changer):
    changer = make_changer(number_of_pucks=3, pins_per_puck=10)
    assert changer.get_capacity() == (3, 10)
    with pytest.raises(
        SampleChangerRefused, match=r"no puck 4 \(the sample changer has pucks 1-3\)"
    ):
        changer.load("4:01")


def test_bad_speed_factor_is_a_config_error_with_file_and_line(make_changer):
    with pytest.raises(HardwareObjectError, match=r"sc0.xml:2: speed_factor must be above 0"):
        make_changer(speed_factor=0)


def test_state_mapping_to_hardware_states():
    assert hardware_state(SC.Ready) is HO.READY and hardware_state(SC.Loaded) is HO.READY
    for state in (SC.Loading, SC.Unloading, SC.Scanning, SC.Resetting, SC.Moving):
        assert hardware_state(state) is HO.BUSY
    assert hardware_state(SC.Alarm) is HO.FAULT and hardware_state(SC.Fault) is HO.FAULT
    assert hardware_state(SC.Disabled) is HO.OFF and hardware_state(SC.Unknown) is HO.UNKNOWN
    assert {s.name for s in SC} >= {"StandBy", "Charging", "ChangingMode", "Closing"}


# -- load and unload ---------------------------------------------------------------------------


def test_load_reports_state_progress_and_the_loaded_sample(make_changer):
    changer = make_changer(speed_factor=0.003)
    target = present(changer)[5]
    sc_states, states, loaded, progress, contents = (Recorder() for _ in range(5))
    changer.connect("scStateChanged", sc_states)
    changer.connect("stateChanged", states)
    changer.connect("loadedSampleChanged", loaded)
    changer.connect("progressChanged", progress)
    changer.connect("contentsChanged", contents)

    future = changer.load(target)
    assert isinstance(future, Future) and not future.done()
    assert changer.get_sc_state() is SC.Loading and changer.get_state() is HO.BUSY
    assert changer.get_status_message() == f"Loading {target}"
    assert changer.get_target_address() == target
    sample = future.result(timeout=5)

    assert sample.address == target and sample.loaded and sample.has_been_loaded
    assert changer.get_loaded_sample() == sample
    assert changer.get_sc_state() is SC.Loaded and changer.get_state() is HO.READY
    assert changer.get_target_address() is None
    assert sc_states.calls[0] == (SC.Loading, f"Loading {target}")
    assert sc_states.calls[-1][0] is SC.Loaded and sample.name in sc_states.calls[-1][1]
    assert states.firsts == [HO.BUSY, HO.READY]
    assert loaded.firsts == [sample]
    assert contents.calls, "the loaded flag is a change of the contents"
    fractions = [f for f, _ in progress.calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(b >= a for a, b in zip(fractions, fractions[1:]))
    puck = target.split(":")[0]
    steps = list(dict.fromkeys(step for _, step in progress.calls))
    expected = [t.format(puck=puck, address=target) for t, _ in LOAD_STEPS]
    assert [s for s in steps if s in expected] == expected
    assert steps[-1] == f"load of {target} done"


def test_load_over_a_loaded_sample_unloads_it_first(make_changer):
    changer = make_changer()
    first, second = present(changer)[:2]
    changer.load(first).result(timeout=5)
    loaded, progress = Recorder(), Recorder()
    changer.connect("loadedSampleChanged", loaded)
    changer.connect("progressChanged", progress)
    changer.load(second).result(timeout=5)
    assert [s.address if s else None for s in loaded.firsts] == [None, second]
    back = changer.get_sample(first)
    assert not back.loaded and back.has_been_loaded and back.present
    assert changer.get_loaded_sample().address == second
    steps = [step for _, step in progress.calls]
    assert f"unload {first}: place {first} in its pin" in steps
    assert steps.index(f"unload {first}: retreat") < steps.index(f"pick {second}")


def test_loading_the_loaded_sample_again_does_nothing(make_changer):
    changer = make_changer()
    target = present(changer)[0]
    changer.load(target).result(timeout=5)
    states = Recorder()
    changer.connect("scStateChanged", states)
    again = changer.load(target)
    assert again.done() and again.result().address == target
    assert states.calls == []


def test_unload_puts_the_sample_back(make_changer):
    changer = make_changer()
    target = present(changer)[3]
    with pytest.raises(SampleChangerRefused, match="no sample is loaded"):
        changer.unload()
    changer.load(target).result(timeout=5)
    loaded, sc_states = Recorder(), Recorder()
    changer.connect("loadedSampleChanged", loaded)
    changer.connect("scStateChanged", sc_states)
    future = changer.unload()
    assert changer.get_sc_state() is SC.Unloading
    sample = future.result(timeout=5)
    assert sample.address == target and not sample.loaded and sample.has_been_loaded
    assert loaded.firsts == [None]
    assert changer.get_loaded_sample() is None and changer.get_sc_state() is SC.Ready
    assert sc_states.firsts == [SC.Unloading, SC.Ready]


# -- refusals ----------------------------------------------------------------------------------


def test_load_while_busy_is_refused_at_once(make_changer):
    changer = make_changer(speed_factor=0.01)
    first, second = present(changer)[:2]
    future = changer.load(first)
    for call, args in ((changer.load, (second,)), (changer.scan, ()), (changer.reset, ())):
        with pytest.raises(SampleChangerRefused) as info:
            call(*args)
        assert str(info.value) == f"sample changer is busy (Loading {first})"
    assert not changer.is_ready_for("load", second)
    assert changer.is_ready_for("abort")
    assert future.result(timeout=5).address == first
    assert changer.get_loaded_sample().address == first


def test_only_one_of_two_simultaneous_loads_is_accepted(make_changer):
    changer = make_changer(speed_factor=0.01)
    addresses = present(changer)[:2]
    barrier = threading.Barrier(2)
    outcome: dict[str, object] = {}

    def try_load(address):
        barrier.wait()
        try:
            outcome[address] = changer.load(address)
        except SampleChangerRefused as exc:
            outcome[address] = exc

    threads = [threading.Thread(target=try_load, args=(a,)) for a in addresses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    futures = [v for v in outcome.values() if isinstance(v, Future)]
    refused = [v for v in outcome.values() if isinstance(v, SampleChangerRefused)]
    assert len(futures) == 1 and len(refused) == 1
    assert "busy" in str(refused[0])
    futures[0].result(timeout=5)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("6:01", "cannot load '6:01': no puck 6 (the sample changer has pucks 1-5)"),
        ("2:17", "cannot load '2:17': no pin 17 in puck 2 (pins 1-16)"),
        ("2-03", "cannot load '2-03': sample address '2-03' is not of the form puck:pin"),
        ("", "cannot load '': sample address '' is not of the form puck:pin"),
    ],
)
def test_address_that_does_not_exist_is_refused(make_changer, address, message):
    changer = make_changer()
    states = Recorder()
    changer.connect("scStateChanged", states)
    with pytest.raises(SampleChangerRefused) as info:
        changer.load(address)
    assert str(info.value).startswith(message)
    assert states.calls == [] and changer.get_sc_state() is SC.Ready


def test_known_empty_pin_is_refused(make_changer):
    changer = make_changer()
    hole = empty(changer)[0]
    with pytest.raises(SampleChangerRefused, match=f"no sample in {hole} \\(the pin is empty\\)"):
        changer.load(hole)
    assert changer.why_not("load", hole) == f"no sample in {hole} (the pin is empty)"
    assert changer.why_not("load", None) == "no sample selected"


# -- faults --------------------------------------------------------------------------------------


def test_pin_found_empty_when_picking(make_changer):
    changer = make_changer()
    target = present(changer)[7]
    changer.inject_fault("empty_pin", target)
    assert changer.get_sample(target).present, "nobody knows yet"
    future = changer.load(target)
    with pytest.raises(SampleChangerError, match=f"^no sample in {target}$"):
        future.result(timeout=5)
    assert changer.get_sc_state() is SC.Ready
    assert changer.get_status_message() == f"load failed: no sample in {target}"
    assert changer.get_sample(target).present is False
    assert changer.get_loaded_sample() is None
    with pytest.raises(SampleChangerRefused, match="the pin is empty"):
        changer.load(target)
    other = present(changer)[0]
    assert changer.load(other).result(timeout=5).address == other


def test_gripper_alarm_stops_in_alarm_until_reset(make_changer):
    changer = make_changer(speed_factor=0.003)
    first, second = present(changer)[:2]
    changer.inject_fault("gripper_alarm")
    states = Recorder()
    changer.connect("stateChanged", states)
    with pytest.raises(SampleChangerError, match="gripper alarm: collision detected during pick"):
        changer.load(first).result(timeout=5)
    reason = f"gripper alarm: collision detected during pick of {first}"
    assert changer.get_sc_state() is SC.Alarm and changer.get_status_message() == reason
    assert changer.get_state() is HO.FAULT and states.firsts[-1] is HO.FAULT
    assert changer.get_loaded_sample() is None and changer.get_sample(first).present
    refusal = f"sample changer in Alarm: {reason}; reset first"
    for call, args in ((changer.load, (second,)), (changer.load, (first,)), (changer.scan, ())):
        with pytest.raises(SampleChangerRefused) as info:
            call(*args)
        assert str(info.value) == refusal
    assert changer.why_not("unload") == refusal
    assert changer.is_ready_for("reset")

    changer.clock = clock = ManualClock()
    future = changer.reset()
    assert changer.get_sc_state() is SC.Resetting
    step_until(clock, future.done)
    future.result()
    assert clock.now() == pytest.approx(7.0 * changer.speed_factor)  # a reset takes time
    assert changer.get_sc_state() is SC.Ready and changer.get_state() is HO.READY
    # the alarm fired once: loading works again
    loading = changer.load(second)
    step_until(clock, loading.done)
    assert loading.result().address == second


def test_gripper_alarm_during_unload_leaves_the_sample_on_the_goniometer(make_changer):
    changer = make_changer()
    target = present(changer)[2]
    changer.load(target).result(timeout=5)
    changer.inject_fault("gripper_alarm", message="gripper alarm: vacuum lost")
    with pytest.raises(SampleChangerError, match="vacuum lost"):
        changer.unload().result(timeout=5)
    assert changer.get_sc_state() is SC.Alarm
    assert changer.get_status_message() == "gripper alarm: vacuum lost"
    changer.reset().result(timeout=5)
    assert changer.get_sc_state() is SC.Loaded
    assert changer.get_loaded_sample().address == target


def test_unknown_fault_kind_is_refused(make_changer):
    changer = make_changer()
    with pytest.raises(ValueError, match="one of empty_pin, gripper_alarm"):
        changer.inject_fault("dewar_empty")
    with pytest.raises(ValueError, match="needs an address"):
        changer.inject_fault("empty_pin")


# -- abort --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "state", "loaded", "in_message"),
    [
        ("move to puck", SC.Ready, False, "load of {a} aborted during 'move to puck"),
        ("pick", SC.Ready, False, "aborted during 'pick {a}'"),
        ("move to goniometer", SC.Fault, False, "with {a} in the gripper: reset puts it back"),
        ("retreat", SC.Loaded, True, "aborted during 'retreat'"),
    ],
)
def test_abort_mid_load_leaves_a_consistent_state(make_changer, step, state, loaded, in_message):
    changer = make_changer(speed_factor=0.01)
    target = present(changer)[4]
    fired = abort_when(changer, step)
    future = changer.load(target)
    with pytest.raises(SampleChangerError, match="aborted"):
        future.result(timeout=5)
    assert fired.is_set()
    assert changer.get_sc_state() is state
    assert in_message.format(a=target) in changer.get_status_message()
    assert (changer.get_loaded_sample() is not None) is loaded
    if state is SC.Fault:
        with pytest.raises(SampleChangerRefused, match="in Fault: .*reset first"):
            changer.load(target)
        changer.reset().result(timeout=5)
        assert changer.get_sc_state() is SC.Ready
        # the sample went back to its pin: a scan finds it there
        assert target in changer.scan(int(target.split(":")[0])).result(timeout=5)
    if not loaded:
        assert changer.load(target).result(timeout=5).address == target


def test_abort_mid_unload_in_the_gripper_then_reset(make_changer):
    changer = make_changer(speed_factor=0.01)
    target = present(changer)[0]
    changer.load(target).result(timeout=5)
    abort_when(changer, "move to puck")
    with pytest.raises(SampleChangerError, match=f"with {target} in the gripper"):
        changer.unload().result(timeout=5)
    assert changer.get_sc_state() is SC.Fault and changer.get_loaded_sample() is None
    steps = Recorder()
    changer.connect("progressChanged", steps)
    changer.reset().result(timeout=5)
    assert f"return {target} to its pin" in [s for _, s in steps.calls]
    assert changer.get_sc_state() is SC.Ready


def test_abort_when_idle_does_nothing(make_changer):
    changer = make_changer()
    states = Recorder()
    changer.connect("scStateChanged", states)
    assert changer.why_not("abort") == "nothing to abort"
    changer.abort()
    assert states.calls == [] and changer.get_sc_state() is SC.Ready


# -- timing and scan -------------------------------------------------------------------------------


def test_durations_scale_with_the_speed_factor(make_changer):
    elapsed = {}
    for factor in (0.004, 0.016):
        changer = make_changer(speed_factor=factor)
        changer.clock = clock = ManualClock()
        loading = changer.load(present(changer)[0])
        step_until(clock, loading.done)
        loading.result()
        elapsed[factor] = clock.now()
        assert elapsed[factor] == pytest.approx(load_duration(factor)), (factor, elapsed)
    assert load_duration(1.0) == sum(s for _, s in LOAD_STEPS) == 33.0
    assert 30 <= sum(s for _, s in UNLOAD_STEPS) <= 40
    assert elapsed[0.016] / elapsed[0.004] == pytest.approx(4.0)


def test_scan_reads_barcodes_and_finds_empty_pins(make_changer):
    changer = make_changer()
    target = present(changer)[17]
    puck = int(target.split(":")[0])
    changer.inject_fault("empty_pin", target)
    future = changer.scan(puck)
    assert changer.get_sc_state() is SC.Scanning
    barcodes = future.result(timeout=5)
    in_puck = [a for a in present(changer) if a.startswith(f"{puck}:")]
    assert sorted(barcodes) == sorted(in_puck) and target not in barcodes
    assert all(barcodes[a] == changer.get_sample(a).barcode != "" for a in barcodes)
    assert changer.get_sample(target).present is False
    assert changer.get_sc_state() is SC.Ready and "scanned puck" in changer.get_status_message()
    with pytest.raises(SampleChangerRefused, match="cannot scan puck 9"):
        changer.scan(9)
    assert len(changer.scan().result(timeout=10)) == len(present(changer))


# -- the diffractometer -----------------------------------------------------------------------


class FakeDiffractometer(HardwareObject):
    """Records the phases and mounted samples the sample changer asks for."""

    def __init__(self, name: str, fail_phase: str | None = None) -> None:
        super().__init__(name)
        self.calls: list[tuple[str, object]] = []
        self.fail_phase = fail_phase

    def set_phase(self, phase: str) -> Future:
        self.calls.append(("phase", phase))
        future: Future = Future()
        if phase == self.fail_phase:
            future.set_exception(RuntimeError("aperture stuck"))
        else:
            threading.Timer(0.01, future.set_result, (phase,)).start()
        return future

    def set_mounted_sample(self, address: str | None) -> None:
        self.calls.append(("mounted", address))


def test_diffractometer_goes_to_transfer_and_learns_the_mounted_sample(make_changer):
    changer = make_changer()
    diffractometer = FakeDiffractometer("/diffractometer")
    changer.add_role("diffractometer", diffractometer)
    target = present(changer)[0]
    changer.load(target).result(timeout=5)
    assert diffractometer.calls == [
        ("phase", "Transfer"),
        ("mounted", target),
        ("phase", "Centring"),
    ]
    diffractometer.calls.clear()
    changer.unload().result(timeout=5)
    assert diffractometer.calls == [("phase", "Transfer"), ("mounted", None)]


def test_load_fails_when_the_diffractometer_cannot_go_to_transfer(make_changer):
    changer = make_changer()
    changer.add_role("diffractometer", FakeDiffractometer("/d", fail_phase="Transfer"))
    target = present(changer)[0]
    with pytest.raises(SampleChangerError, match="Transfer phase: .*aperture stuck"):
        changer.load(target).result(timeout=5)
    assert changer.get_sc_state() is SC.Ready and changer.get_loaded_sample() is None
    assert "aperture stuck" in changer.get_status_message()


def test_a_diffractometer_without_those_methods_is_left_alone(make_changer):
    changer = make_changer()
    changer.add_role("diffractometer", HardwareObject("/plain"))
    target = present(changer)[0]
    assert changer.load(target).result(timeout=5).address == target


# -- the simulated beamline -------------------------------------------------------------------


def test_the_simulated_beamline_has_a_pleasant_sample_changer(repo):
    changer = repo.beamline.role("sample_changer")
    assert isinstance(changer, SimulatedSampleChanger)
    assert changer is repo.get("/sample_changer")
    assert changer.get_capacity() == (5, 16)
    # a load of a few seconds: long enough to watch, short enough not to bore
    assert 2.0 <= load_duration(changer.speed_factor) <= 6.0
    assert "/sample_changer" not in repo.failures


def test_changer_and_diffractometer_of_the_simulated_beamline_agree():
    repo = HardwareRepository([SIMULATED])
    try:
        changer = repo.get("/sample_changer")
        diffractometer = changer.get_object_by_role("diffractometer")
        if not hasattr(diffractometer, "get_mounted_sample"):
            pytest.skip("the simulated beamline has no diffractometer telling its sample")
        mounted = diffractometer.get_mounted_sample()
        loaded = changer.get_loaded_sample()
        assert (loaded.address if loaded else None) == mounted
        assert changer.get_sc_state() is (SC.Loaded if mounted else SC.Ready)
        changer.speed_factor = 0.001
        target = next(a for a in present(changer) if a != mounted)
        changer.load(target).result(timeout=10)
        assert diffractometer.get_mounted_sample() == target
        assert diffractometer.get_phase().value == "Centring"
        changer.unload().result(timeout=10)
        assert diffractometer.get_mounted_sample() is None
    finally:
        repo.shutdown()


def test_loaded_sample_at_start_is_configurable_and_checked(make_changer):
    changer = make_changer(loaded_sample="2:07")
    assert changer.get_sc_state() is SC.Loaded
    assert changer.get_loaded_sample().address == "2:07"
    assert changer.get_status_message().startswith("Loaded 2:07")
    with pytest.raises(HardwareObjectError, match=r"loaded_sample: no puck 7"):
        make_changer(loaded_sample="7:01")
