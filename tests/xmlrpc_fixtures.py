"""The simulated beamline with its XML-RPC server on a free port, and a client.

A test module gets the fixtures ``beamline`` (the quick repository) and ``proxy`` (a
client of its server) with ``pytest_plugins = ("xmlrpc_fixtures",)``."""

from __future__ import annotations

import struct
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mxgui.core.repository import HardwareRepository
from mxgui.core.xmlrpc.token_file import read_token, token_path

from helpers import SIMULATED, quick_collect_overrides, speed_up

#: a quick collection: tiny exposure, the small detector region, no snapshot
QUICK = {
    "num_images": 3,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


def token_for(url: str) -> str:
    """The token of the server at ``url``, read as an outside workflow engine reads it:
    from ``xmlrpc-token-PORT`` in the settings directory (``""`` when there is none)."""
    path = token_path(urlsplit(url).port or 80)
    return read_token(path) if path.is_file() else ""


@contextmanager
def client(url: str, token: str | None = None, **options) -> Iterator[xmlrpc.client.ServerProxy]:
    """A client of ``url`` (``allow_none``) sending ``token`` (default: the server's, from
    its token file), closed afterwards."""
    token = token_for(url) if token is None else token
    if token and "headers" not in options:
        options["headers"] = [("Token", token)]
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True, **options)
    try:
        yield proxy
    finally:
        proxy("close")()


def quick_repository(tmp_path: Path) -> HardwareRepository:
    """The simulated beamline writing below ``tmp_path``, with quick shutters and
    motors and a sample changer at 0.001 of real time."""
    repo = HardwareRepository([quick_collect_overrides(tmp_path), SIMULATED])
    speed_up(repo.get("diffractometer"))
    repo.get("sample_changer").speed_factor = 0.001
    return repo


def png_header(path: Path) -> dict:
    """Width, height, bit depth and colour type (2: RGB) of the PNG at ``path``."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return {"width": width, "height": height, "bit_depth": depth, "colour_type": colour}


@pytest.fixture
def beamline(tmp_path: Path) -> Iterator[HardwareRepository]:
    """:func:`quick_repository` below ``tmp_path``, shut down afterwards."""
    repo = quick_repository(tmp_path)
    yield repo
    repo.shutdown()


@pytest.fixture
def proxy(beamline: HardwareRepository) -> Iterator[xmlrpc.client.ServerProxy]:
    """A client of ``beamline``'s XML-RPC server."""
    with client(beamline.beamline.role("xmlrpc_server").url) as proxy:
        yield proxy


def fault_of(call, *args) -> xmlrpc.client.Fault:
    """The fault that ``call(*args)`` raises (the test fails if it raises none)."""
    with pytest.raises(xmlrpc.client.Fault) as error:
        call(*args)
    return error.value


def fault_message(call, *args) -> str:
    """The message of the fault that ``call(*args)`` raises."""
    return fault_of(call, *args).faultString
