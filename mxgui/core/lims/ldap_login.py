"""The LDAP password check of the LIMS login: a simple bind as the user.

``ldap3`` (pure Python) is imported on first use, in the LIMS worker thread. The user's
entry is ``uid=<user>,<base DN>`` (the user escaped, so ``*`` or ``,`` in a typed name
cannot change the DN); an empty password is refused before any bind, as LDAP would take
it for an anonymous bind, which succeeds.

A password is never sent in clear or to a server whose certificate is not checked: an
``ldaps://`` server's certificate must be valid (signed by a CA of the system's, or of
``ca_file``) and name the host; an ``ldap://`` server must take StartTLS (with the same
check) before the bind, or the login is refused saying so.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import ssl
import warnings
from types import ModuleType


class LdapError(Exception):
    """The LDAP server cannot be reached, or failed (the message says which)."""


def _ldap3() -> ModuleType:
    """``ldap3``, imported without the DeprecationWarnings its 2.9.1 gives at import with
    pyasn1 0.6 (``tagMap`` / ``typeMap``): nothing of ours to fix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module("ldap3")


def user_dn(user: str, base_dn: str) -> str:
    """``uid=<user>,<base_dn>`` with ``user`` escaped as an RDN value."""
    _ldap3()
    escape_rdn = importlib.import_module("ldap3.utils.dn").escape_rdn
    return f"uid={escape_rdn(user)},{base_dn}"


def ldap_password_ok(
    url: str, base_dn: str, user: str, password: str, timeout: float, ca_file: str = ""
) -> bool:
    """Whether ``user`` binds at ``url`` with ``password`` (False for wrong credentials
    or an empty password), over TLS with the server's certificate checked (against
    ``ca_file`` if given, else the system's CAs); :class:`LdapError` when the server
    cannot answer, offers no TLS, or its certificate is not trusted."""
    if not password or not user:
        return False
    ldap3 = _ldap3()
    errors = importlib.import_module("ldap3.core.exceptions")
    seconds = max(1, math.ceil(timeout))  # ldap3 wants whole seconds
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file or None)
    server = ldap3.Server(url, connect_timeout=seconds, get_info=ldap3.NONE, tls=tls)
    connection = ldap3.Connection(
        server, user=user_dn(user, base_dn), password=password, receive_timeout=seconds
    )
    try:
        connection.open()
        if not url.lower().startswith("ldaps://"):
            _start_tls(connection, url, errors)
        return bool(connection.bind())
    except errors.LDAPCommunicationError as exc:
        if _untrusted(exc):
            raise LdapError(_untrusted_message(url, exc)) from exc
        raise LdapError(f"the LDAP server {url} cannot be reached ({exc})") from exc
    except errors.LDAPException as exc:
        raise LdapError(f"the LDAP server {url} failed: {exc}") from exc
    finally:
        with contextlib.suppress(errors.LDAPException):
            connection.unbind()


def _start_tls(connection: object, url: str, errors: ModuleType) -> None:
    """StartTLS on ``connection`` (an ``ldap3.Connection``), or :class:`LdapError`."""
    try:
        started = connection.start_tls()  # type: ignore[attr-defined]
    except errors.LDAPStartTLSError as exc:
        if _untrusted(exc):
            raise LdapError(_untrusted_message(url, exc)) from exc
        started = False
        reason = str(exc)
    else:
        reason = "it answered no"
    if not started:
        raise LdapError(
            f"the LDAP server {url} does not take StartTLS ({reason}); a password is never "
            "sent in clear: enable TLS on the server, or give an ldaps:// URL"
        )


def _untrusted(exc: BaseException) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "doesn't match any name" in text


def _untrusted_message(url: str, exc: BaseException) -> str:
    return (
        f"the LDAP server {url} is not trusted: its certificate cannot be checked ({exc}); "
        "give the CA that signed it as ldap_ca_file"
    )
