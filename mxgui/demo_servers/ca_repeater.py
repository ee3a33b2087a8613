"""A Channel Access repeater on 127.0.0.1 for the demo IOC: ``python -m
mxgui.demo_servers.ca_repeater`` listens on ``EPICS_CA_REPEATER_PORT``.

The IOC sends its beacons there (``EPICS_CAS_BEACON_PORT``) and clients register with
it; without one, every beacon is refused and logged. caproto's own ``caproto-repeater``
binds every interface: this one keeps to the loopback, as the demo servers do. It prints
caproto's ``Repeater is listening on`` line when up.
"""

from __future__ import annotations

import logging
import sys

READY = "Repeater is listening on"


def main() -> int:
    # imported here: the launcher imports only READY from this module
    from caproto.sync.repeater import run  # type: ignore[import-untyped]

    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
    logging.getLogger("caproto.repeater").setLevel(logging.INFO)
    try:
        run(host="127.0.0.1")
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
