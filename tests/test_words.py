"""The articles and plurals of messages: what a user reads."""

import pytest

from mxgui.core.words import article, counted, with_article


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("X-ray centring", "an"),
        ("XrayCentring", "an"),
        ("AbstractMotor", "an"),
        ("EnergyScan", "an"),
        ("MX beamline", "an"),
        ("HDF5 file", "an"),
        ("Sample", "a"),
        ("data collection", "a"),
        ("user", "a"),
        ("uni-puck", "a"),
        ("hour", "an"),
        ("mesh scan", "a"),
        ("", "a"),
    ],
)
def test_article_follows_the_sound(word: str, expected: str) -> None:
    assert article(word) == expected


def test_with_article_and_counts_read_as_english() -> None:
    assert with_article("X-ray centring") == "an X-ray centring"
    assert counted(1, "image") == "1 image"
    assert counted(0, "image") == "0 images"
    assert counted(12000, "image") == "12,000 images"
    assert counted(1, "task has run", "tasks have run") == "1 task has run"
    assert counted(3, "task has run", "tasks have run") == "3 tasks have run"
