"""The XML-RPC token by default (issue 11, item 3): made at each start, written with mode
0600 to the user's settings directory where an outside workflow engine reads it, required
from every caller, removed when mxgui stops; a configured token, or none, on request."""

from __future__ import annotations

import logging
import os
import re
import stat
import xmlrpc.client
from pathlib import Path

import pytest
from xmlrpc_fixtures import client, quick_repository

from mxgui.core.repository import HardwareRepository
from mxgui.core.xmlrpc.token_file import token_path

from helpers import SIMULATED, quick_collect_overrides


def test_a_token_is_made_at_start_kept_0600_and_every_call_needs_it(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    repository = quick_repository(tmp_path)
    try:
        server = repository.beamline.role("xmlrpc_server")
        path = token_path(server.transport.port)
        assert path.parent == Path(os.environ["MXGUI_SETTINGS_DIR"])
        assert f"XML-RPC token in {path}" in caplog.text
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        token = path.read_text().strip()
        assert token == server.token and len(token) >= 32
        for headers, status in (([], 401), ([("Token", "guess")], 403)):
            with client(server.url, token="", headers=headers) as stranger:
                with pytest.raises(xmlrpc.client.ProtocolError) as refused:
                    stranger.log_message("let me in")
            assert refused.value.errcode == status
        with client(server.url, token=token) as workflow:  # as an outside engine does
            assert set(workflow.get_diffractometer_positions()) >= {"phi", "phiy"}
    finally:
        repository.shutdown()
    assert not path.exists()  # the token dies with the server


def test_each_start_makes_a_new_token(tmp_path):
    tokens = []
    for run in ("one", "two"):
        (tmp_path / run).mkdir()
        repository = quick_repository(tmp_path / run)
        try:
            tokens.append(repository.beamline.role("xmlrpc_server").token)
        finally:
            repository.shutdown()
    assert tokens[0] and tokens[1] and tokens[0] != tokens[1]


def server_with_token(tmp_path: Path, token: str) -> HardwareRepository:
    overrides = quick_collect_overrides(tmp_path)
    xml = (SIMULATED / "xmlrpc_server.xml").read_text()
    (overrides / "xmlrpc_server.xml").write_text(
        re.sub(r"<token>[^<]*</token>", f"<token>{token}</token>", xml)
    )
    return HardwareRepository([overrides, SIMULATED])


def test_a_configured_token_is_used_and_not_written(tmp_path):
    repository = server_with_token(tmp_path, "site-secret")
    try:
        server = repository.beamline.role("xmlrpc_server")
        assert server.token == "site-secret" and server.token_file is None
        assert not token_path(server.transport.port).exists()
        with client(server.url, token="site-secret") as workflow:
            assert workflow.log_message("configured") is True
        with client(server.url, token="") as stranger, pytest.raises(xmlrpc.client.ProtocolError):
            stranger.log_message("no token")
    finally:
        repository.shutdown()


def test_token_none_turns_it_off_with_a_warning(tmp_path, caplog):
    repository = server_with_token(tmp_path, "none")
    try:
        server = repository.beamline.role("xmlrpc_server")
        assert server.token == ""
        assert "XML-RPC token off" in caplog.text
        with client(server.url, token="") as legacy:  # an old mxcubecore script
            assert set(legacy.get_diffractometer_positions()) >= {"phi"}
    finally:
        repository.shutdown()


def test_an_unwritable_settings_directory_keeps_the_server_up(tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "settings-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("MXGUI_SETTINGS_DIR", str(blocked))
    repository = quick_repository(tmp_path)
    try:
        server = repository.beamline.role("xmlrpc_server")
        assert server.token and server.token_file is None
        assert "XML-RPC token not written to" in caplog.text
        with client(server.url, token=server.token) as workflow:
            assert set(workflow.get_diffractometer_positions()) >= {"phi"}
    finally:
        repository.shutdown()
