"""JPEGs of a collection's first and last image, made in the background for the LIMS."""

from __future__ import annotations

import threading
from pathlib import Path

import fabio.cbfimage
import numpy as np
import pytest
from PIL import Image

from mxgui.core.lims.jpegs import (
    THUMBNAIL_SIZE,
    JpegMaker,
    first_and_last_images,
    image_to_jpegs,
    jpeg_paths,
    to_grey,
)


def write_cbf(path: Path, data: np.ndarray) -> Path:
    fabio.cbfimage.CbfImage(data=data.astype(np.int32)).write(str(path))
    return path


def diffraction(shape=(400, 512), spot=(100, 300)) -> np.ndarray:
    rng = np.random.default_rng(7)
    data = rng.poisson(5.0, size=shape).astype(np.int32)
    data[spot[0] - 2 : spot[0] + 3, spot[1] - 2 : spot[1] + 3] = 5000
    data[:, 200:210] = -1  # a module gap
    return data


def test_spots_are_dark_on_white_and_masked_pixels_white() -> None:
    grey = to_grey(diffraction())
    assert grey.dtype == np.uint8 and grey.shape == (400, 512)
    assert grey[100, 300] == 0  # the spot
    assert (grey[:, 200:210] == 255).all()  # the gap
    assert 200 < np.median(grey) < 255  # background: light grey
    assert (to_grey(np.zeros((4, 4))) == 255).all()  # nothing exposed: white, no error


def test_an_image_gives_a_full_size_jpeg_and_a_thumbnail(tmp_path: Path) -> None:
    image = write_cbf(tmp_path / "lyso_1_00001.cbf", diffraction())
    jpeg, thumbnail = image_to_jpegs(image, tmp_path / "jpegs")
    assert (jpeg, thumbnail) == jpeg_paths(image, tmp_path / "jpegs")
    assert jpeg.name == "lyso_1_00001.jpeg" and thumbnail.name == "lyso_1_00001.thumb.jpeg"
    with Image.open(jpeg) as full:
        assert (full.format, full.mode, full.size) == ("JPEG", "L", (512, 400))
        assert full.getpixel((300, 100)) < 60  # the spot is still there
    with Image.open(thumbnail) as small:
        assert small.format == "JPEG" and small.size == (THUMBNAIL_SIZE[0], 200)
    made = jpeg.stat().st_mtime_ns
    assert image_to_jpegs(image, tmp_path / "jpegs") == (jpeg, thumbnail)
    assert jpeg.stat().st_mtime_ns == made  # never rewritten


def test_an_unreadable_image_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "x_1_00001.cbf"
    broken.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="x_1_00001.cbf"):
        image_to_jpegs(broken, tmp_path)
    assert not list(tmp_path.glob("*.jpeg"))


def test_first_and_last_images_of_a_collection() -> None:
    files = [f"/d/p_1_{n:05d}.cbf" for n in range(3, 8)] + ["/d/p_1_snapshot_1.png"]
    assert first_and_last_images({"files": files, "first_image": 3}) == [
        (3, "/d/p_1_00003.cbf"),
        (7, "/d/p_1_00007.cbf"),
    ]
    assert first_and_last_images({"files": ["/d/p_1_00001.cbf"]}) == [(1, "/d/p_1_00001.cbf")]
    assert first_and_last_images({"files": ["/d/p_1_master.h5"]}) == []


def test_the_maker_works_in_its_own_thread_and_bounds_what_waits(tmp_path: Path) -> None:
    files = [str(write_cbf(tmp_path / f"p_1_{n:05d}.cbf", diffraction())) for n in (1, 2, 3)]
    maker = JpegMaker(max_pending=1)
    try:
        threads: list[str] = []
        future = maker.submit({"files": files, "first_image": 1}, tmp_path / "jpegs")
        future.add_done_callback(lambda _f: threads.append(threading.current_thread().name))
        made = future.result(timeout=30)
        assert [m["number"] for m in made] == [1, 3]
        assert made[1] == {
            "number": 3,
            "file": files[2],
            "jpeg": str(tmp_path / "jpegs" / "p_1_00003.jpeg"),
            "thumbnail": str(tmp_path / "jpegs" / "p_1_00003.thumb.jpeg"),
        }
        assert not (tmp_path / "jpegs" / "p_1_00002.jpeg").exists()
        blocker = threading.Event()
        maker._executor.submit(blocker.wait, 30)  # the thread busy: the next one waits
        waiting = maker.submit({"files": files[:1]}, tmp_path / "more")
        with pytest.raises(RuntimeError, match="1 collections are waiting"):
            maker.submit({"files": files[:1]}, tmp_path / "refused")
        blocker.set()
        assert waiting.result(timeout=30)[0]["number"] == 1
        assert not (tmp_path / "refused").exists()
    finally:
        maker.shutdown()


def test_making_the_grey_image_needs_little_more_memory_than_the_frame() -> None:
    import tracemalloc

    rng = np.random.default_rng(7)
    frame = rng.poisson(3.0, size=(2000, 2000)).astype(np.int32)  # 16 MB, as Eiger's int32
    frame[::97, :] = -1  # module gaps
    expected = to_grey(frame)
    tracemalloc.start()
    try:
        grey = to_grey(frame)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.array_equal(grey, expected) and grey.dtype == np.uint8
    assert (grey[::97, :] == 255).all()
    assert peak <= 1.5 * frame.nbytes, f"{peak / frame.nbytes:.2f} times the frame"
