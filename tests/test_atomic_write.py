"""One atomic write for every file mxgui replaces, and one data-directory lookup."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hardware_objects.abstract.energy_scan import write_scan_file
from mxgui.core import shapes_file, workflow_log
from mxgui.core.atomic_write import KEEP_MODE, atomic_write, default_file_mode, write_temporary
from mxgui.core.new_files import write_new_file
from mxgui.core.queue.persistence import default_queue_path
from mxgui.core.user_dirs import DATA_DIR_ENV, data_dir
from mxgui.core.xmlrpc.token_file import read_token, write_token


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keep_mode_keeps_the_replaced_files_bits_and_a_new_file_gets_the_umasks(tmp_path):
    shared = tmp_path / "shared.yml"
    shared.write_text("old")
    os.chmod(shared, 0o640)
    atomic_write(shared, "new", mode=KEEP_MODE)
    assert shared.read_text() == "new" and mode_of(shared) == 0o640

    fresh = tmp_path / "fresh.json"
    atomic_write(fresh, b"\x00bytes", mode=KEEP_MODE)
    assert fresh.read_bytes() == b"\x00bytes" and mode_of(fresh) == default_file_mode()


def test_an_explicit_mode_replaces_the_old_bits(tmp_path):
    path = tmp_path / "token"
    path.write_text("readable by all")
    os.chmod(path, 0o644)
    atomic_write(path, "secret", mode=0o600, sync=False)
    assert path.read_text() == "secret" and mode_of(path) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text("the old queue")
    with pytest.raises(UnicodeEncodeError):  # fails while the temporary file is written
        atomic_write(path, "caf\u00e9", mode=KEEP_MODE, encoding="ascii")
    assert path.read_text() == "the old queue"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.json"]

    directory = tmp_path / "a directory"
    (directory / "inside").mkdir(parents=True)
    with pytest.raises(OSError):  # fails at the rename: a directory is not replaced
        atomic_write(directory, "text", mode=0o644)
    assert (directory / "inside").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a directory", "queue.json"]


def test_a_missing_directory_is_an_error_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "no" / "such.yml", "x", mode=KEEP_MODE)
    assert not (tmp_path / "no").exists()


def test_the_temporary_file_is_in_the_same_directory_with_the_asked_mode(tmp_path):
    temporary = write_temporary(tmp_path, "text", prefix=".x.", mode=0o640, sync=True)
    assert temporary.parent == tmp_path
    assert temporary.name.startswith(".x.") and temporary.name.endswith(".tmp")
    assert temporary.read_text() == "text" and mode_of(temporary) == 0o640


def test_the_token_and_the_energy_scan_file_go_through_it(tmp_path):
    """The token is private, new files never overwrite (the layout: test_layout.py)."""
    token = tmp_path / "settings" / "xmlrpc-token-8000"
    write_token(token, "abc")
    assert read_token(token) == "abc" and mode_of(token) == 0o600

    scan = write_scan_file(tmp_path / "scan.txt", [12.6, 12.7], [1.0, 3.0], {"element": "Se"})
    assert scan.read_text().splitlines()[0] == "# element: Se"
    assert mode_of(scan) == mode_of(write_new_file(tmp_path / "new.bin", b"x")) == 0o644
    with pytest.raises(FileExistsError):
        write_scan_file(scan, [12.6], [2.0], {})
    assert scan.read_text().splitlines()[0] == "# element: Se"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_the_data_directory_comes_from_one_place(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    assert data_dir() == tmp_path / "data"
    own = data_dir() / ".mxgui"
    assert shapes_file.default_shapes_dir() == own / "shapes"
    assert workflow_log.default_path() == own / "workflows.sqlite"
    assert default_queue_path() == own / "queue.json"

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(DATA_DIR_ENV, "~/beamtime")
    assert data_dir() == tmp_path / "home" / "beamtime"
    assert shapes_file.default_shapes_dir() == tmp_path / "home" / "beamtime" / ".mxgui" / "shapes"
    monkeypatch.delenv(DATA_DIR_ENV)
    assert data_dir() == tmp_path / "home" / "mxgui-data"
