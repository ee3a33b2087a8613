"""The LIMS's clock: which session is running now, which day a login is on.

The real clock, shifted by ``MXGUI_LIMS_CLOCK_SHIFT_S`` seconds when that is set. The
demo LIMS's sessions run from 08:00 to 08:00; tests that assert what a login in the day
sees set the shift when they run at night, so that they hold at any hour (a beamline
never sets it).
"""

from __future__ import annotations

import datetime as dt
import os

#: seconds added to the real clock (tests running at night; unset everywhere else)
SHIFT_VARIABLE = "MXGUI_LIMS_CLOCK_SHIFT_S"


def now() -> dt.datetime:
    """The local time as the LIMS sees it."""
    shift = os.environ.get(SHIFT_VARIABLE, "")
    try:
        seconds = float(shift) if shift else 0.0
    except ValueError:
        seconds = 0.0
    return dt.datetime.now() + dt.timedelta(seconds=seconds)


def today() -> dt.date:
    """The date as the LIMS sees it."""
    return now().date()
