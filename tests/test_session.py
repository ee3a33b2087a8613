"""The session: proposal, directory scheme, run numbers that are never reused."""

from __future__ import annotations

import json
import logging
import stat
import threading
import time
from pathlib import Path

import pytest

from hardware_objects.abstract.session import AbstractSession
from mxgui.core.repository import HardwareRepository
from mxgui.core.user_dirs import DATA_DIR_ENV, data_dir

from helpers import SIMULATED


@pytest.fixture
def make_session(tmp_path):
    """A new session object (a fresh repository: like a restart) on ``tmp_path/data``."""
    repos = []

    def make(base: Path | None = None, extra: str = "") -> AbstractSession:
        directory = tmp_path / f"repo{len(repos)}"
        directory.mkdir()
        (directory / "session.xml").write_text(
            f"""<object class="simulated.session.SimulatedSession">
  <base_directory>{base or tmp_path / "data"}</base_directory>{extra}
</object>
"""
        )
        repo = HardwareRepository([directory])
        repos.append(repo)
        return repo.get("session")

    yield make
    for repo in repos:
        repo.shutdown()


def touch(directory: str | Path, *names: str) -> None:
    Path(directory).mkdir(parents=True, exist_ok=True)
    for name in names:
        (Path(directory) / name).write_bytes(b"x")


def test_the_simulated_beamline_has_a_session_on_the_data_dir_from_the_environment(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "env-data"))
    repo = HardwareRepository([SIMULATED])
    try:
        session = repo.get("session")
        assert isinstance(session, AbstractSession)
        assert repo.get("beamline").role("session") is session
        assert session.get_proposal() == "mx1234"
        assert session.get_base_data_directory().startswith(str(tmp_path / "env-data"))
    finally:
        repo.shutdown()
    assert not (tmp_path / "env-data").exists(), "nothing is written at start"


def test_the_session_reads_the_data_dir_where_the_rest_of_mxgui_does(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(DATA_DIR_ENV, "~/beamtime")
    repo = HardwareRepository([SIMULATED])
    try:
        session = repo.get("session")
        assert session.get_base_data_directory().startswith(str(data_dir() / "mx1234"))
        assert data_dir() == tmp_path / "home" / "beamtime"
    finally:
        repo.shutdown()


def test_directory_scheme(make_session, tmp_path):
    session = make_session()
    date = time.strftime("%Y%m%d")
    base = tmp_path / "data" / "mx1234" / date
    assert session.get_session_start_date() == date
    assert session.get_base_data_directory() == str(base)
    assert session.get_base_image_directory() == str(base / "RAW_DATA")
    assert session.get_base_process_directory() == str(base / "PROCESSED_DATA")
    assert session.get_image_directory("lyso/A1") == str(base / "RAW_DATA" / "lyso" / "A1")
    assert session.get_process_directory("lyso") == str(base / "PROCESSED_DATA" / "lyso")


@pytest.mark.parametrize("sub_dir", ["../escape", "a/../../b", "a//b", "./a"])
def test_sub_directories_stay_below_the_session(make_session, sub_dir):
    with pytest.raises(ValueError, match="relative path without"):
        make_session().get_image_directory(sub_dir)


def test_a_relative_base_directory_is_a_configuration_error(tmp_path):
    (tmp_path / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        "<base_directory>relative/dir</base_directory></object>"
    )
    repo = HardwareRepository([tmp_path])
    assert repo.try_get("session") is None
    assert "must be an absolute path" in str(repo.failures["/session"])
    assert "session.xml" in str(repo.failures["/session"])


def test_proposal_change(make_session):
    session = make_session()
    seen = []
    session.connect("sessionChanged", seen.append)
    session.set_proposal("mx", "2468")
    assert session.get_proposal() == "mx2468" and seen == ["mx2468"]
    assert "/mx2468/" in session.get_base_image_directory()
    with pytest.raises(ValueError, match="expected letters and digits"):
        session.set_proposal("mx", "../1")
    assert session.get_proposal() == "mx2468"


# -- run numbers -------------------------------------------------------------------------------


def test_first_run_is_1_and_peeking_does_not_reserve(make_session):
    session = make_session()
    directory = session.get_image_directory()
    assert session.get_next_run_number(directory, "lyso") == 1
    assert session.get_next_run_number(directory, "lyso") == 1
    assert not Path(directory).exists()


def test_next_run_number_comes_after_every_run_on_disk(make_session):
    session = make_session()
    directory = session.get_image_directory("x")
    touch(directory, "lyso_1_00001.cbf", "lyso_4_master.h5", "lyso_2_snapshot_1.png")
    touch(directory, "other_9_00001.cbf", "lysozyme_7_00001.cbf", "lyso_notes.txt")
    assert session.get_next_run_number(directory, "lyso") == 5
    assert session.get_next_run_number(directory, "other") == 10
    assert session.get_next_run_number(directory, "new") == 1


def test_reserved_numbers_are_never_given_twice(make_session):
    session = make_session()
    directory = session.get_image_directory()
    assert [session.reserve_run_number(directory, "lyso") for _ in range(3)] == [1, 2, 3]
    assert session.get_next_run_number(directory, "lyso") == 4
    # per directory and prefix
    assert session.reserve_run_number(directory, "thau") == 1
    assert session.reserve_run_number(directory + "/other", "lyso") == 1


def test_run_numbers_survive_a_restart(make_session, tmp_path):
    first = make_session()
    directory = first.get_image_directory()
    assert first.reserve_run_number(directory, "lyso") == 1
    assert first.reserve_run_number(directory, "lyso") == 2
    first.record_run_number(directory, "thau", 7)
    # no file was written: only the record remembers
    restarted = make_session()
    assert restarted is not first
    assert restarted.get_next_run_number(directory, "lyso") == 3
    assert restarted.reserve_run_number(directory, "lyso") == 3
    assert restarted.get_next_run_number(directory, "thau") == 8


def test_the_record_is_plain_json_written_atomically(make_session, tmp_path):
    session = make_session()
    directory = session.get_image_directory()
    for _ in range(5):
        session.reserve_run_number(directory, "lyso")
    record = session.run_record_path
    data = json.loads(record.read_text())
    assert data["format_version"] == 1
    assert data["runs"][directory]["lyso"] == 5
    leftovers = [p.name for p in record.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert stat.S_IMODE(record.stat().st_mode) == 0o600, "the record is the user's own"


def test_recording_a_lower_number_does_not_go_back(make_session):
    session = make_session()
    directory = session.get_image_directory()
    session.record_run_number(directory, "lyso", 6)
    session.record_run_number(directory, "lyso", 2)
    assert session.get_next_run_number(directory, "lyso") == 7


def test_disk_and_record_together(make_session):
    session = make_session()
    directory = session.get_image_directory()
    session.record_run_number(directory, "lyso", 3)
    touch(directory, "lyso_8_00001.cbf")
    assert session.reserve_run_number(directory, "lyso") == 9


def test_an_unreadable_record_is_set_aside_and_the_disk_still_counts(make_session, caplog):
    session = make_session()
    directory = session.get_image_directory()
    session.reserve_run_number(directory, "lyso")
    session.run_record_path.write_text("{ not json")
    touch(directory, "lyso_5_00001.cbf")
    with caplog.at_level(logging.ERROR):
        assert session.reserve_run_number(directory, "lyso") == 6
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    aside = [p for p in session.run_record_path.parent.iterdir() if ".unreadable-" in p.name]
    assert len(aside) == 1 and aside[0].read_text() == "{ not json"
    assert session.get_next_run_number(directory, "lyso") == 7


def test_concurrent_reservations_are_all_different(make_session):
    session = make_session()
    directory = session.get_image_directory()
    got: list[int] = []
    lock = threading.Lock()

    def reserve() -> None:
        for _ in range(5):
            run = session.reserve_run_number(directory, "lyso")
            with lock:
                got.append(run)

    threads = [threading.Thread(target=reserve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(got) == list(range(1, 31))


def test_two_session_objects_at_once_share_the_record(make_session):
    """Two GUI instances on the same base directory never hand out the same run."""
    one, two = make_session(), make_session()
    directory = one.get_image_directory()
    runs = [s.reserve_run_number(directory, "lyso") for s in (one, two, one, two)]
    assert runs == [1, 2, 3, 4]


def test_reserving_where_the_record_cannot_be_written_fails_naming_it(make_session, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a directory")
    session = make_session(extra=f"\n  <run_record>{blocker}/runs.json</run_record>")
    with pytest.raises(OSError) as info:
        session.reserve_run_number(session.get_image_directory(), "lyso")
    assert str(blocker) in str(info.value)


# -- path templates ------------------------------------------------------------------------------


def test_default_path_template(make_session):
    session = make_session()
    path = session.get_default_path_template(sub_dir="lyso", prefix="lyso-A1")
    assert path.directory == session.get_image_directory("lyso")
    assert path.process_directory == session.get_process_directory("lyso")
    assert path.prefix == "lyso-A1" and path.run_number == 1 and path.suffix == "cbf"
    path.validate(num_images=100)
    # without a prefix: the proposal
    assert session.get_default_path_template().prefix == "mx1234"


def test_default_path_template_can_reserve(make_session):
    session = make_session()
    runs = [session.get_default_path_template(prefix="p", reserve=True).run_number for _ in "ab"]
    assert runs == [1, 2]
    assert session.get_default_path_template(prefix="p").run_number == 3


def test_default_prefix(make_session):
    session = make_session()
    assert session.get_default_prefix("A1", "lyso") == "lyso-A1"
    assert session.get_default_prefix("A1") == "A1"
    assert session.get_default_prefix() == "mx1234"
    assert session.get_default_prefix("Insulin-A01", "Insulin") == "Insulin-A01", "not doubled"
