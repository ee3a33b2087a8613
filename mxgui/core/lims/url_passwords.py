"""A database URL's password kept out of messages and logs, without SQLAlchemy (the
LIMS object shows its URL at start, before SQLAlchemy is imported).

A password may sit in the user part (``user:password@host``) or in the query string
(``?password=...``, ``?passwd=...``, which PyMySQL takes too). An ``@`` in the user part
must be written ``%40``: SQLAlchemy would end the password at the first ``@`` and take
the rest for the host (and then name that "host", part of the password, in its errors).
"""

from __future__ import annotations

import re

__all__ = ["STARS", "star_password", "url_problem"]

STARS = "***"
_QUERY_PASSWORD = re.compile(r"([?&](?:password|passwd)=)[^&#]*", re.IGNORECASE)


def star_password(url: str) -> str:
    """``url`` with the password of its user part and of its query string starred.

    The user part runs to the *last* ``@``, so an unencoded ``@`` in a password hides
    it all (starring too much is harmless; too little is not)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    at = rest.rfind("@")
    colon = rest.find(":")
    if at > 0 and 0 <= colon < at:
        rest = f"{rest[:colon]}:{STARS}{rest[at:]}"
    rest = _QUERY_PASSWORD.sub(lambda match: match.group(1) + STARS, rest)
    return f"{scheme}://{rest}"


def url_problem(url: str) -> str | None:
    """Why ``url`` would be misread (an unencoded ``@`` in its user part), else ``None``;
    the reason never quotes the password."""
    _, separator, rest = url.partition("://")
    if separator and rest.split("?", 1)[0].count("@") > 1:
        return (
            "the user or password holds an @ that is not percent-encoded (SQLAlchemy would "
            "read part of the password as the host): percent-encode @ as %40"
        )
    return None
