"""The XML-RPC token's file: ``xmlrpc-token-PORT`` in the user's settings directory.

The file holds the token alone and has mode 0600 from the moment it exists (written to
a private temporary file, then renamed over the old one: ``atomic_write``). A workflow
engine outside mxgui reads it to send the header ``Token``; mxgui removes it when its
server stops.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from mxgui.core.atomic_write import atomic_write
from mxgui.core.user_dirs import settings_dir


def new_token() -> str:
    """A random token (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(32)


def token_path(port: int, directory: Path | None = None) -> Path:
    """The token file of the server on ``port`` (in ``directory``, default the settings)."""
    return (directory if directory is not None else settings_dir()) / f"xmlrpc-token-{port}"


def write_token(path: Path, token: str) -> None:
    """Write ``token`` to ``path`` with mode 0600 (its directory made 0700 if new).
    ``OSError`` when it cannot."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # a new token at every start: not worth a flush to the disk
    atomic_write(path, token + "\n", mode=0o600, sync=False, encoding="ascii")


def read_token(path: Path) -> str:
    """The token in ``path`` (``OSError`` when it cannot be read)."""
    return path.read_text(encoding="ascii").strip()


def remove_token(path: Path, token: str) -> None:
    """Remove ``path`` if it still holds ``token`` (another start may have replaced it)."""
    try:
        if read_token(path) == token:
            path.unlink()
    except (OSError, UnicodeDecodeError):
        pass  # gone already, or not ours
