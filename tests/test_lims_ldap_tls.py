"""The LDAP password check never sends a password in clear or to a server it cannot
trust: ``ldaps://`` with the certificate checked, StartTLS for ``ldap://``; against a
private slapd with a CA of its own (and one offering no TLS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mxgui.core.errors import HardwareObjectError
from mxgui.core.lims.ldap_login import LdapError, ldap_password_ok
from mxgui.core.repository import HardwareRepository
from mxgui.demo_servers.slapd import PrivateSlapd

from helpers import SIMULATED


@pytest.fixture
def slapd_tls(tmp_path: Path) -> Iterator[PrivateSlapd]:
    server = PrivateSlapd(tmp_path / "ldap", {"demo": "ldap-secret"})
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("scheme", ["ldaps", "ldap"])
def test_a_server_whose_certificate_is_checked_gets_the_password(slapd_tls, scheme) -> None:
    url = slapd_tls.ldaps_url if scheme == "ldaps" else slapd_tls.url
    ca = str(slapd_tls.ca_file)
    assert ldap_password_ok(url, slapd_tls.people_dn, "demo", "ldap-secret", 5, ca)
    assert not ldap_password_ok(url, slapd_tls.people_dn, "demo", "wrong", 5, ca)


@pytest.mark.parametrize("scheme", ["ldaps", "ldap"])
def test_a_server_with_a_certificate_not_trusted_is_refused_naming_ldap_ca_file(
    slapd_tls, scheme
) -> None:
    url = slapd_tls.ldaps_url if scheme == "ldaps" else slapd_tls.url
    with pytest.raises(LdapError) as refused:  # the system's CAs did not sign it
        ldap_password_ok(url, slapd_tls.people_dn, "demo", "ldap-secret", 5)
    message = str(refused.value)
    assert message.startswith(f"the LDAP server {url} is not trusted")
    assert "CERTIFICATE_VERIFY_FAILED" in message and "ldap_ca_file" in message


def test_a_server_without_starttls_never_gets_the_password_in_clear(tmp_path) -> None:
    plain = PrivateSlapd(tmp_path / "plain", {"demo": "ldap-secret"}, tls=False)
    plain.start()
    try:
        with pytest.raises(LdapError, match="does not take StartTLS") as refused:
            ldap_password_ok(plain.url, plain.people_dn, "demo", "ldap-secret", 5)
        assert "never sent in clear" in str(refused.value)
    finally:
        plain.stop()


def test_an_ldap_ca_file_that_does_not_exist_is_named_with_its_line(tmp_path) -> None:
    overrides = tmp_path / "repo"
    overrides.mkdir()
    (overrides / "lims.xml").write_text(
        '<object class="lims.ispyb_lims.IspybLims">\n'
        f"  <url>sqlite:///{tmp_path / 'lims.sqlite'}</url>\n"
        "  <password_check>ldap</password_check>\n"
        "  <ldap_url>ldaps://ldap.example.org</ldap_url>\n"
        "  <ldap_base_dn>ou=People,dc=example,dc=org</ldap_base_dn>\n"
        f"  <ldap_ca_file>{tmp_path / 'no-ca.pem'}</ldap_ca_file>\n"
        "</object>\n"
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        with pytest.raises(HardwareObjectError, match=r"lims\.xml:6.*ldap_ca_file .*no such file"):
            repo.get("lims")
    finally:
        repo.shutdown()
