"""The energy brick sets the simulated energy; the log brick and status bar show messages."""

from __future__ import annotations

import logging

from PyQt5.QtCore import Qt

from hardware_objects.abstract.energy import energy_to_wavelength
from mxgui.core.hardware_object import HardwareObjectState

from helpers import type_into


def test_energy_brick_moves_energy_and_shows_the_wavelength(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["energy"]
    energy = app.repository.get("/energy")
    assert brick.energy_label.text() == "12.7000 keV"
    type_into(qtbot, brick.energy_input, "13.5")
    qtbot.waitUntil(lambda: energy.get_state() is HardwareObjectState.BUSY, timeout=1000)
    qtbot.waitUntil(lambda: energy.get_state() is HardwareObjectState.READY, timeout=3000)
    assert abs(energy.get_value() - 13.5) < 1e-9
    qtbot.waitUntil(lambda: brick.energy_label.text() == "13.5000 keV", timeout=1000)
    assert brick.wavelength_label.text() == f"{energy_to_wavelength(13.5):.5f} Å"


def test_energy_brick_wavelength_entry_and_refusal(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["energy"]
    energy = app.repository.get("/energy")
    brick.wavelength_input.setText("1.0")
    qtbot.keyClick(brick.wavelength_input, Qt.Key_Return)
    qtbot.waitUntil(lambda: abs(energy.get_value() - 12.3984) < 1e-9, timeout=3000)
    brick.wavelength_input.setText("0.1")  # 124 keV: above the 20 keV limit
    qtbot.keyClick(brick.wavelength_input, Qt.Key_Return)
    assert "above the high limit 20" in brick.energy_input.toolTip()
    brick.wavelength_input.setText("abc")
    qtbot.keyClick(brick.wavelength_input, Qt.Key_Return)
    assert "'abc'" in brick.energy_input.toolTip()
    assert abs(energy.get_value() - 12.3984) < 1e-9


def test_log_brick_shows_messages_from_worker_threads_and_filters_by_level(make_app, qtbot):
    import threading

    app = make_app()
    brick = app.built.bricks["log"]
    logger = logging.getLogger("hardware_objects.test")
    worker = threading.Thread(target=lambda: logger.warning("gripper needs attention"))
    worker.start()
    worker.join()
    logger.debug("hidden detail")

    def messages():
        return [brick.model.entry(r).message for r in range(brick.model.rowCount())]

    qtbot.waitUntil(lambda: "gripper needs attention" in messages(), timeout=1000)
    assert "hidden detail" not in messages()
    assert messages().count("gripper needs attention") == 1
    brick.level_box.setCurrentText("WARNING")
    assert messages() == ["gripper needs attention"]
    # the status bar shows the latest warning
    assert app.status_bar.message_label.text() == "gripper needs attention"
    brick.clear()
    assert messages() == []
    logger.error("after clear")
    qtbot.waitUntil(lambda: messages() == ["after clear"], timeout=1000)


def test_log_brick_shows_levels_whole_and_keeps_library_chatter_out(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["log"]
    brick.level_box.setCurrentText("DEBUG")
    logging.getLogger("matplotlib.font_manager").warning(
        "Matplotlib is building the font cache; this may take a moment."
    )
    logging.getLogger("PIL.PngImagePlugin").debug("STREAM b'IHDR' 16 13")
    logging.getLogger("hardware_objects.test").critical("robot collision")

    def messages():
        return [brick.model.entry(r).message for r in range(brick.model.rowCount())]

    qtbot.waitUntil(lambda: "robot collision" in messages(), timeout=1000)
    assert not [m for m in messages() if "font cache" in m or "IHDR" in m]
    metrics = brick.view.fontMetrics()
    # the widest level name fits its column (no "CRITI...")
    assert brick.view.columnWidth(1) >= metrics.horizontalAdvance("CRITICAL") + 8
    assert brick.view.columnWidth(0) >= metrics.horizontalAdvance("00:00:00") + 8


def test_status_bar_counts_hardware(make_app):
    app = make_app()
    loaded = len(app.repository.loaded())
    assert loaded >= 6 and not app.repository.failures
    assert app.status_bar.hardware_label.text() == f"Hardware: {loaded} OK"
