"""Staging directories left by a killed writer are recognised by their owner and
removed; those of a writer still running, or of this process, are kept (Qt-free)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from hardware_objects.simulated.image_writer import StagingDirectory
from mxgui.core.owner import is_alive, process_tag
from mxgui.core.staging import STAGING_PREFIX, UNTAGGED_STALE_S, remove_stale, staging_prefix


def _stager(directory: Path) -> tuple[subprocess.Popen, Path]:
    """A real process that makes a staging directory in ``directory`` (a half-written
    image in it), prints its path and waits to be killed."""
    script = (
        "import sys, time\n"
        "from hardware_objects.simulated.image_writer import StagingDirectory\n"
        f"staging = StagingDirectory({str(directory)!r})\n"
        "(staging.path / 'x_1_00007.cbf').write_bytes(b'half an image')\n"
        "print(staging.path, flush=True)\n"
        "time.sleep(120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_a_killed_writers_staging_directory_is_removed_a_live_ones_kept(tmp_path):
    killed, left = _stager(tmp_path)
    alive, busy = _stager(tmp_path)
    mine = StagingDirectory(tmp_path)
    (tmp_path / "x_1_00001.cbf").write_bytes(b"a whole image")
    try:
        assert left.name.startswith(f"{STAGING_PREFIX}{killed.pid}x")
        killed.kill()
        killed.wait(10)
        assert remove_stale(tmp_path) == [left]
        assert not left.exists()
        assert busy.is_dir() and mine.path.is_dir()  # their writers still run
        assert (tmp_path / "x_1_00001.cbf").read_bytes() == b"a whole image"
    finally:
        alive.kill()
        alive.wait(10)
        mine.close()
    assert remove_stale(tmp_path) == [busy]


def test_a_new_collections_staging_directory_tidies_the_left_overs(tmp_path):
    killed, left = _stager(tmp_path)
    killed.kill()
    killed.wait(10)
    staging = StagingDirectory(tmp_path, tidy=True)
    assert not left.exists()
    assert staging.path.name.startswith(staging_prefix())
    staging.close()
    assert not staging.path.exists()


def test_untagged_staging_directories_go_only_once_old(tmp_path):
    old, recent = tmp_path / f"{STAGING_PREFIX}abc_123", tmp_path / f"{STAGING_PREFIX}q8z_1"
    old.mkdir()
    recent.mkdir()
    long_ago = time.time() - UNTAGGED_STALE_S - 60
    os.utime(old, (long_ago, long_ago))
    assert remove_stale(tmp_path) == [old]
    assert recent.is_dir()


def test_owner_tags_tell_a_living_process_from_a_dead_or_reused_id():
    tag = process_tag()
    assert tag.startswith(f"{os.getpid()}x") and is_alive(tag)
    assert not is_alive(tag + "1")  # this process id, another start: the id was reused
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert not is_alive(f"{int(finished.stdout)}x1")
    assert is_alive("not a tag")  # something else's: never taken for left over
