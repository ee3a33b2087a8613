"""Colours that show a hardware object's state, the same in every brick."""

from __future__ import annotations

from mxgui.core.hardware_object import HardwareObjectState

STATE_COLOURS = {
    HardwareObjectState.UNKNOWN: "#d0d0d0",
    HardwareObjectState.WARNING: "#ffd54f",
    HardwareObjectState.BUSY: "#fff176",
    HardwareObjectState.READY: "#c8e6c9",
    HardwareObjectState.FAULT: "#ef9a9a",
    HardwareObjectState.OFF: "#b0bec5",
}


def state_style(state: HardwareObjectState) -> str:
    """Style sheet fragment giving the background colour of ``state``."""
    return f"background-color: {STATE_COLOURS.get(state, '#d0d0d0')};"
