"""A site's LIMS asks for a password: a database given in ``url`` must say how passwords
are checked (the embedded demo needs none), and a login does not tell whether a user
exists before the password is checked."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hardware_objects.abstract.lims import LoginRefused
from mxgui.core.errors import HardwareObjectError
from mxgui.core.lims.passwords import make_hash
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED

BEAMLINE_PASSWORD = "beamline-secret"


def _repo(tmp_path: Path, **properties: str) -> HardwareRepository:
    overrides = tmp_path / "repo"
    overrides.mkdir()
    body = "\n".join(f"  <{k}>{v}</{k}>" for k, v in properties.items())
    (overrides / "lims.xml").write_text(
        '<object class="lims.ispyb_lims.IspybLims">\n'
        '  <object href="/sample_changer" role="sample_changer"/>\n'
        f"{body}\n</object>\n"
    )
    return HardwareRepository([overrides, SIMULATED])


def test_a_site_database_without_password_check_is_refused_naming_the_line(tmp_path) -> None:
    repo = _repo(tmp_path, url="mysql+pymysql://ispyb:secret@db.example.org/ispyb")
    try:
        with pytest.raises(HardwareObjectError) as error:
            repo.get("lims")
        message = str(error.value)
        assert "lims.xml" in message and "password_check" in message
        assert "local or ldap" in message and "secret" not in message
    finally:
        repo.shutdown()


def test_password_check_none_on_a_site_database_is_warned_of_at_start(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    url = f"sqlite:///{tmp_path / 'site.sqlite'}"
    repo = _repo(tmp_path, url=url, password_check="none")
    try:
        repo.get("lims")
        assert any(
            "password_check none" in r.getMessage() and "any password" in r.getMessage()
            for r in caplog.records
        )
    finally:
        repo.shutdown()


def test_the_embedded_demo_needs_no_password_check(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    repo = _repo(tmp_path, url="")
    try:
        assert repo.get("lims").login("demo", "").result(timeout=60).proposal == "mx1234"
    finally:
        repo.shutdown()


def test_an_unknown_user_is_told_so_only_after_the_password_is_checked(tmp_path) -> None:
    repo = _repo(
        tmp_path,
        url=f"sqlite:///{tmp_path / 'site.sqlite'}",  # made with the demo on first login
        password_check="local",
        local_user="opsim",
        local_password_hash=make_hash(BEAMLINE_PASSWORD, iterations=1000),
    )
    try:
        lims = repo.get("lims")
        for user in ("nobody", "mx9999", "demo"):
            with pytest.raises(LoginRefused, match=f"wrong password for {user}"):
                lims.login(user, "guess").result(timeout=60)
        with pytest.raises(LoginRefused, match="unknown user 'nobody'"):
            lims.login("nobody", BEAMLINE_PASSWORD).result(timeout=60)
        assert lims.login("demo", BEAMLINE_PASSWORD).result(timeout=60).proposal == "mx1234"
    finally:
        repo.shutdown()
