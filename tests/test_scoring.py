"""The image score: grows with the diffraction, ~0 for background, names bad files."""

from __future__ import annotations

import numpy as np
import pytest

from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator
from hardware_objects.simulated.image_writer import ImageHeader, write_cbf
from mxscore.scoring import score_counts, score_image

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
