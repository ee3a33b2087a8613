"""The image score: grows with the diffraction, ~0 for background, names bad files."""

from __future__ import annotations

import numpy as np
import pytest

from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator
from hardware_objects.simulated.image_writer import ImageHeader, write_cbf
from mxscore.scoring import assess_counts, assess_image, count_spots, score_counts, score_image

GEOMETRY = DetectorGeometry(512, 512, 0.075, 0.075, 150.0, 259.3, 250.8, 0.98)


@pytest.fixture(scope="module")
def simulator():
    return DiffractionSimulator(GEOMETRY, 7)


def test_the_score_grows_with_the_crystal_in_the_beam(simulator):
    scores = [score_counts(simulator.image(1, 0.0, 1.0, s)) for s in (0.0, 0.3, 0.6, 1.0)]
    assert scores[0] == 0.0  # background and its noise only
    assert scores[1] < scores[2] < scores[3]


def test_a_written_cbf_scores_as_its_counts_and_bad_pixels_are_ignored(simulator, tmp_path):
    data = simulator.image(2, 0.0, 1.0, 0.8)
    header = ImageHeader("test", 0.075, 0.075, 150.0, 0.98, 259.3, 250.8, 0.1, 0.1, 0.0, 1.0)
    path = write_cbf(tmp_path / "x_1_00002.cbf", data, header)
    assert score_image(path) == pytest.approx(score_counts(data))
    gaps = data.copy()
    gaps[100:110, :] = -1  # a detector gap
    gaps[5, 5] = 1_048_575  # an overload
    assert score_counts(gaps) == pytest.approx(score_counts(data), rel=0.1)


def test_unreadable_files_and_bad_arrays_are_refused_naming_them(tmp_path):
    bad = tmp_path / "broken_1_00001.cbf"
    bad.write_bytes(b"###CBF: not really")
    with pytest.raises(ValueError, match="broken_1_00001.cbf"):
        score_image(bad)
    with pytest.raises(ValueError, match="missing.cbf"):
        score_image(tmp_path / "missing.cbf")
    with pytest.raises(ValueError, match="2-D array"):
        score_counts(np.zeros(10))


def test_spots_are_groups_of_8_connected_signal_pixels_of_the_minimum_size():
    mask = np.zeros((40, 50), dtype=bool)
    mask[5, 5] = True  # a lone pixel: no spot
    mask[10, 10:13] = True  # a row of 3
    mask[20, 20] = mask[21, 21] = True  # corner to corner: one spot
    mask[30:33, 45:50] = True  # on the right edge
    mask[31, 0] = True  # wraps after the right edge in flat order: apart, alone
    mask[0, 0:2] = True  # on the top edge
    assert count_spots(mask) == 4
    assert count_spots(mask, min_pixels=1) == 6
    assert count_spots(mask, min_pixels=3) == 2
    assert count_spots(np.zeros((8, 8), dtype=bool)) == 0
    snake = np.zeros((41, 41), dtype=bool)  # one long winding spot
    snake[::2, :] = True
    snake[1::4, -1] = True
    snake[3::4, 0] = True
    assert count_spots(snake) == 1


def test_the_spots_of_a_synthetic_image_are_counted_and_background_has_none():
    rng = np.random.default_rng(3)
    data = rng.poisson(20.0, (256, 300)).astype(np.int32)
    assert assess_counts(data) == (0.0, 0)  # background and its noise only
    centres = [(30, 40), (30, 200), (128, 150), (200, 60), (240, 290), (100, 10)]
    y, x = np.mgrid[-2:3, -2:3]
    profile = np.rint(3000 * np.exp(-(x**2 + y**2) / (2 * 0.9**2))).astype(np.int32)
    for row, col in centres:
        rows = slice(max(row - 2, 0), min(row + 3, 256))
        cols = slice(max(col - 2, 0), min(col + 3, 300))
        data[rows, cols] += profile[
            rows.start - row + 2 : rows.stop - row + 2, cols.start - col + 2 : cols.stop - col + 2
        ]
    data[70, 70] += 5000  # a zinger: one pixel, no spot
    quality = assess_counts(data)
    assert quality.spots == len(centres)
    assert quality.score == pytest.approx(score_counts(data))


def test_a_written_cbf_gives_the_score_and_spots_of_its_counts(simulator, tmp_path):
    data = simulator.image(3, 0.0, 1.0, 1.0)
    header = ImageHeader("test", 0.075, 0.075, 150.0, 0.98, 259.3, 250.8, 0.1, 0.1, 0.0, 1.0)
    path = write_cbf(tmp_path / "x_1_00003.cbf", data, header)
    quality = assess_image(path)
    assert quality.spots > 0 and quality == assess_counts(data)
    assert quality.score == pytest.approx(score_image(path))
    with pytest.raises(ValueError, match="missing.cbf"):
        assess_image(tmp_path / "missing.cbf")
