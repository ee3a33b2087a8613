"""Issue 11, item 7: paths stay inside the data roots, and nothing is overwritten.

The attacks, repeated over real XML-RPC against the simulated beamline: ``save_snapshot``
to an absolute path elsewhere, through ``..``, through a dangling symbolic link and
through a linked directory; a task whose ``directory`` is ``/etc/mxgui-poc`` or whose
``process_directory`` is relative; five concurrent snapshots to one path; a file created
between the check and the write. Each path is refused with a fault naming the argument,
nothing is created outside the roots, and no file is ever replaced. Snapshots are PNG or
JPEG by their suffix.
"""

from __future__ import annotations

import os
import threading
import xmlrpc.client
from pathlib import Path

import pytest
from xmlrpc_fixtures import QUICK, client, fault_of, png_header

from mxgui.core.data_roots import DataRoots, OutsideDataRoots
from mxgui.core.new_files import write_new_file

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


@pytest.fixture
def root(tmp_path) -> Path:
    """The session's data root of the ``beamline`` fixture."""
    return tmp_path / "data"


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """A directory outside the data roots."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    return outside


# snapshots ---------------------------------------------------------------------------------
def test_snapshot_paths_outside_the_data_roots_are_refused(beamline, proxy, root, elsewhere):
    root.mkdir(parents=True, exist_ok=True)
    (root / "dangling.png").symlink_to(elsewhere / "target.png")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    attacks = {
        str(elsewhere / "deep" / "tree" / "x.png"): "outside the data roots",
        str(root / ".." / "elsewhere" / "dotdot.png"): "outside the data roots",
        str(root / "linked" / "through.png"): "outside the data roots",
        str(root / "dangling.png"): "outside the data roots",
        "relative/x.png": "not an absolute path",
        "/etc/mxgui-poc/x.png": "outside the data roots",
    }
    for path, reason in attacks.items():
        fault = fault_of(proxy.save_snapshot, path)
        assert fault.faultCode == -32602, fault.faultString
        assert fault.faultString.startswith("save_snapshot: path: "), fault.faultString
        assert reason in fault.faultString, fault.faultString
    many = fault_of(proxy.save_multiple_snapshots, [[0, str(root / "ok.png")], [90, "/tmp/x.png"]])
    assert "path_list[1][1]" in many.faultString and "outside the data roots" in many.faultString
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # no file, no directory tree
    assert not (elsewhere / "target.png").exists()
    assert not Path("relative").exists() and not Path("/etc/mxgui-poc").exists()
    assert not (root / "ok.png").exists()  # checked before anything was written


def test_five_concurrent_snapshots_to_one_path_one_succeeds(beamline, proxy, root):
    url = beamline.beamline.role("xmlrpc_server").url
    path = root / "race" / "snap.png"
    start = threading.Barrier(5)
    outcomes: list[object] = []

    def take() -> None:
        with client(url) as own:
            start.wait()
            try:
                outcomes.append(own.save_snapshot(str(path)))
            except xmlrpc.client.Fault as fault:
                outcomes.append(fault.faultString)

    threads = [threading.Thread(target=take) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count(True) == 1, outcomes
    refused = [o for o in outcomes if o is not True]
    assert len(refused) == 4 and all("never overwrite a file" in str(o) for o in refused)
    assert png_header(path)["width"] == 1280  # whole: one writer's complete file
    assert sorted(p.name for p in path.parent.iterdir()) == ["snap.png"]  # no temporary left


def test_snapshots_are_written_as_jpeg_too(beamline, proxy, root):
    from PIL import Image

    for name in ("shot.jpg", "shot.jpeg", "SHOT.JPG"):
        assert proxy.save_snapshot(str(root / name)) is True
        with Image.open(root / name) as image:
            assert (image.format, image.size, image.mode) == ("JPEG", (1280, 1024), "RGB")


def test_a_file_made_between_the_check_and_the_write_is_not_overwritten(make_app, qtbot):
    """The GUI draws the snapshot: the server checks the path, hands over to the GUI
    thread, and meanwhile another program creates the file. It is kept."""
    app = make_app()
    server = app.repository.beamline.role("xmlrpc_server")
    brick = app.built.bricks["sample_view"]
    qtbot.waitUntil(lambda: brick.view.frame_item.qimage() is not None, timeout=10000)
    root = Path(app.repository.get("session").get_base_directory())
    path = root / "gui-race" / "snap.png"
    answers: list[object] = []

    def workflow() -> None:
        with client(server.url) as own:
            try:
                answers.append(own.save_snapshot(str(path)))
            except xmlrpc.client.Fault as fault:
                answers.append(fault)

    thread = threading.Thread(target=workflow)
    thread.start()  # the GUI thread handles no event until the file is made below
    deadline = 20.0
    while not path.parent.exists() and deadline > 0:  # the server's check has passed
        threading.Event().wait(0.01)
        deadline -= 0.01
    assert path.parent.exists(), "the server did not check the path"
    threading.Event().wait(0.05)  # the handler is posted to the (busy) GUI thread
    path.write_bytes(b"another program's file")
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20000)
    assert len(answers) == 1 and isinstance(answers[0], xmlrpc.client.Fault), answers
    assert "exists; snapshots never overwrite a file" in answers[0].faultString
    assert path.read_bytes() == b"another program's file"
    # the GUI draws JPEG too, at the camera's size
    from PyQt5.QtGui import QImage, QImageReader

    jpeg = root / "gui-race" / "snap.jpg"
    path = jpeg
    answers.clear()
    thread = threading.Thread(target=workflow)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20000)
    assert answers == [True]
    assert bytes(QImageReader(str(jpeg)).format()) == b"jpeg"
    image = QImage(str(jpeg))
    assert (image.width(), image.height()) == brick.view.image_size()


# tasks -------------------------------------------------------------------------------------------
def sample_node(proxy) -> int:
    return proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})


def test_task_directories_outside_the_data_roots_are_refused(beamline, proxy, root, elsewhere):
    queue = beamline.get("queue")
    sample = sample_node(proxy)
    root.mkdir(parents=True, exist_ok=True)
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    attacks = [
        ({"directory": "/etc/mxgui-poc"}, "directory: '/etc/mxgui-poc' is outside the data roots"),
        ({"process_directory": "processed/here"}, "process_directory: 'processed/here' is not"),
        ({"process_directory": str(elsewhere / "p")}, "process_directory: "),
        ({"directory": str(root / "linked" / "raw")}, f"(it leads to {elsewhere / 'raw'})"),
        ({"directory": str(root / ".." / "elsewhere")}, "directory: "),
    ]
    for given, reason in attacks:
        task = {"type": "DataCollection", "parameters": {**QUICK, **given}}
        fault = fault_of(proxy.queue_add_child, sample, task)
        assert fault.faultCode == -32602, fault.faultString
        assert reason in fault.faultString, fault.faultString
    assert queue.model.children(sample) == ()
    assert not Path("/etc/mxgui-poc").exists() and not Path("processed").exists()
    assert list(elsewhere.iterdir()) == []
    # inside the root: accepted, and the collection writes there
    inside = {"directory": str(root / "mine" / "raw"), "process_directory": str(root / "proc")}
    task = proxy.queue_add_child(
        sample, {"type": "DataCollection", "parameters": {**QUICK, **inside}}
    )
    assert proxy.queue_execute_entry_with_id(sample) == "success"
    files = queue.model.get_node(task).files
    assert len(files) == 3 and all(f.startswith(str(root / "mine" / "raw")) for f in files)
    assert (root / "proc").is_dir()


def test_a_directory_changed_after_the_check_fails_the_task_and_writes_nothing(
    beamline, proxy, root, elsewhere
):
    """The directory was inside the root when the task was added; then it became a
    link to elsewhere. The queue checks again before the run, the collect once more
    before it creates anything."""
    queue = beamline.get("queue")
    sample = sample_node(proxy)
    moved = root / "moved"
    task = proxy.queue_add_child(
        sample, {"type": "DataCollection", "parameters": {**QUICK, "directory": str(moved)}}
    )
    root.mkdir(parents=True, exist_ok=True)
    moved.symlink_to(elsewhere, target_is_directory=True)
    assert proxy.queue_execute_entry_with_id(sample) == "failed"
    message = queue.model.get_node(task).message
    assert "directory: " in message and "outside the data roots" in message, message
    assert list(elsewhere.iterdir()) == []
    collect = beamline.get("collect")
    from mxgui.core.queue.entries.collection import acquisition_of, path_of

    params = queue.model.get_node(task).parameters
    with pytest.raises(Exception, match="outside the data roots"):
        collect.collect(acquisition_of(params), path_of(params)).result(30)
    assert list(elsewhere.iterdir()) == []


def test_more_data_roots_come_from_the_session_xml(tmp_path):
    from mxgui.core.repository import HardwareRepository

    from helpers import SIMULATED, quick_collect_overrides

    extra = tmp_path / "extra"
    overrides = quick_collect_overrides(tmp_path)
    (overrides / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        f"<base_directory>{tmp_path / 'data'}</base_directory>"
        f"<data_roots>{extra}{os.pathsep}{tmp_path / 'more'}</data_roots></object>"
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        roots = repo.get("session").get_data_roots()
        assert roots.roots == (tmp_path / "data", extra, tmp_path / "more")
        with client(repo.beamline.role("xmlrpc_server").url) as proxy:
            assert proxy.save_snapshot(str(extra / "snap.png")) is True
            outside = fault_of(proxy.save_snapshot, str(tmp_path / "x.png")).faultString
            assert "outside the data roots" in outside and str(extra) in outside
    finally:
        repo.shutdown()


# the pieces -----------------------------------------------------------------------------------
def test_data_roots_follow_links_and_refuse_naming_the_argument(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    roots = DataRoots([tmp_path / "alias"])  # a root that is itself a link
    assert roots.check(str(real / "a" / "b.png"), "path") == real / "a" / "b.png"
    assert roots.check(str(tmp_path / "alias" / "c"), "path") == real / "c"
    with pytest.raises(OutsideDataRoots, match=r"^where: .* is outside the data roots"):
        roots.check(str(tmp_path / "realx"), "where")  # a prefix of the name is not inside
    with pytest.raises(OutsideDataRoots, match="^where: .* contains a NUL character"):
        roots.check(str(real / "a\0b"), "where")
    with pytest.raises(ValueError, match="absolute"):
        DataRoots(["relative"])


def test_a_new_file_never_replaces_a_file_or_follows_a_link(tmp_path):
    assert write_new_file(tmp_path / "a.bin", b"one").read_bytes() == b"one"
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path / "a.bin", b"two")
    assert (tmp_path / "a.bin").read_bytes() == b"one"
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(FileExistsError):
        write_new_file(tmp_path / "link", b"through")
    assert not (tmp_path / "target").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "link"]
