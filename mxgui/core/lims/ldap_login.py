"""The LDAP password check of the LIMS login: a simple bind as the user.

``ldap3`` (pure Python) is imported on first use, in the LIMS worker thread. The user's
entry is ``uid=<user>,<base DN>`` (the user escaped, so ``*`` or ``,`` in a typed name
cannot change the DN); an empty password is refused before any bind, as LDAP would take
it for an anonymous bind, which succeeds.
"""

from __future__ import annotations

import contextlib
import importlib
import math
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


def ldap_password_ok(url: str, base_dn: str, user: str, password: str, timeout: float) -> bool:
    """Whether ``user`` binds at ``url`` with ``password`` (False for wrong credentials
    or an empty password); :class:`LdapError` when the server cannot answer."""
    if not password or not user:
        return False
    ldap3 = _ldap3()
    errors = importlib.import_module("ldap3.core.exceptions")
    seconds = max(1, math.ceil(timeout))  # ldap3 wants whole seconds
    server = ldap3.Server(url, connect_timeout=seconds, get_info=ldap3.NONE)
    connection = ldap3.Connection(
        server, user=user_dn(user, base_dn), password=password, receive_timeout=seconds
    )
    try:
        return bool(connection.bind())
    except errors.LDAPCommunicationError as exc:
        raise LdapError(f"the LDAP server {url} cannot be reached ({exc})") from exc
    except errors.LDAPException as exc:
        raise LdapError(f"the LDAP server {url} failed: {exc}") from exc
    finally:
        with contextlib.suppress(errors.LDAPException):
            connection.unbind()
