"""A database password never shows in what mxgui says or logs: given in the URL's user
part, in its query string (``?password=``, ``?passwd=``), or holding an ``@`` (a URL
SQLAlchemy would misread is refused at start, saying how to write it)."""

from __future__ import annotations

import logging
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from test_lims_login import lims_xml

from mxgui.core.errors import HardwareObjectError
from mxgui.core.lims.database import make_engine, redacted
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED

LEAKY_URLS = [
    ("mysql+pymysql://ispyb:secret@127.0.0.1:9/ispyb", "secret"),
    ("mysql+pymysql://ispyb@127.0.0.1:9/ispyb?password=secret", "secret"),
    ("mysql+pymysql://ispyb@127.0.0.1:9/ispyb?charset=utf8&passwd=secret2", "secret2"),
    ("mysql+pymysql://ispyb@127.0.0.1:9/ispyb?PASSWORD=secret3&charset=utf8", "secret3"),
]


def _repo(tmp_path: Path, url: str) -> HardwareRepository:
    overrides = tmp_path / "repo"
    overrides.mkdir()
    written = escape(url)  # & in a query is &amp; in XML
    (overrides / "lims.xml").write_text(lims_xml(written, connect_timeout="1", io_timeout="1"))
    return HardwareRepository([overrides, SIMULATED])


@pytest.mark.parametrize(("url", "password"), LEAKY_URLS)
def test_redacted_stars_a_password_in_the_user_part_or_the_query(url, password) -> None:
    shown = redacted(url)
    assert password not in shown and "***" in shown
    assert "127.0.0.1:9/ispyb" in shown


@pytest.mark.parametrize(("url", "password"), LEAKY_URLS)
def test_the_lims_status_messages_and_log_never_show_the_password(
    tmp_path, caplog, url, password
) -> None:
    repo = _repo(tmp_path, url)
    try:
        lims = repo.get("lims")
        assert password not in str(lims.get_status())  # before the first connection
        caplog.set_level(logging.DEBUG)
        with pytest.raises(Exception) as refused:  # nothing listens on port 9
            lims.login("demo", "", "mx1234").result(timeout=30)
        assert password not in str(refused.value)
        assert password not in str(lims.get_status())
        assert password not in caplog.text
        assert "127.0.0.1" in str(lims.get_status()["database"])
    finally:
        repo.shutdown()


def test_a_password_holding_an_at_sign_is_refused_at_start_saying_how_to_write_it(
    tmp_path,
) -> None:
    repo = _repo(tmp_path, "mysql+pymysql://ispyb:p@ss@db.example.org/ispyb")
    try:
        with pytest.raises(HardwareObjectError) as error:
            repo.get("lims")
        message = str(error.value)
        assert "percent-encode @ as %40" in message and "lims.xml" in message
        assert "p@ss" not in message and "ss@db" not in message
    finally:
        repo.shutdown()
    assert "ss@" not in redacted("mysql+pymysql://ispyb:p@ss@db.example.org/ispyb")
    encoded = make_engine("mysql+pymysql://ispyb:p%40ss@db.example.org/ispyb")
    assert encoded.url.password == "p@ss" and encoded.url.host == "db.example.org"
    encoded.dispose()
