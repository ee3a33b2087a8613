"""Password hashes for the LIMS's local login: made, read and checked, never stored in clear.

A hash is text, ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`` (PBKDF2-HMAC-SHA256,
a random 16-byte salt), so it fits in an XML property. Make one with::

    python -m mxgui.core.lims.passwords            # asks for the password twice
    echo -n secret | python -m mxgui.core.lims.passwords --stdin
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import os
import sys

ALGORITHM = "pbkdf2_sha256"
#: OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (about 0.3 s here: a local login is rare)
DEFAULT_ITERATIONS = 600_000
#: a hash asking for more is refused rather than left to burn the CPU
MAX_ITERATIONS = 10_000_000
SALT_BYTES = 16


def make_hash(
    password: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> str:
    """The text form of a salted PBKDF2-SHA256 hash of ``password``."""
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be 1-{MAX_ITERATIONS}, got {iterations}")
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def parse_hash(text: str) -> tuple[int, bytes, bytes]:
    """``(iterations, salt, digest)`` of a hash made by :func:`make_hash`; ``ValueError``
    saying what the text should look like."""
    parts = text.strip().split("$")
    expected = f"expected {ALGORITHM}$<iterations>$<salt hex>$<hash hex>"
    if len(parts) != 4 or parts[0] != ALGORITHM:
        raise ValueError(f"password hash: {expected} (make one with {_MAKE_ONE})")
    try:
        iterations = int(parts[1])
        salt, digest = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        raise ValueError(f"password hash: {expected}, with a number and hex digits") from None
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"password hash: iterations must be 1-{MAX_ITERATIONS}, got {iterations}")
    if not salt or len(digest) != hashlib.sha256().digest_size:
        raise ValueError(f"password hash: {expected} (a salt and a 32-byte hash)")
    return iterations, salt, digest


def check_password(password: str, stored_hash: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (compared in constant time);
    ``ValueError`` when the hash itself is malformed."""
    iterations, salt, digest = parse_hash(stored_hash)
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(candidate, digest)


_MAKE_ONE = "python -m mxgui.core.lims.passwords"


def main(argv: list[str] | None = None) -> int:
    """Print the hash of a password typed twice (or read from standard input)."""
    parser = argparse.ArgumentParser(
        prog=_MAKE_ONE,
        description="Print a salted hash of a password for <local_password_hash> in lims.xml.",
    )
    parser.add_argument("--stdin", action="store_true", help="read the password from stdin")
    parser.add_argument("--iterations", type=int, default=DEFAULT_ITERATIONS)
    args = parser.parse_args(argv)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return 1
    if not password:
        print("an empty password is not accepted", file=sys.stderr)
        return 1
    try:
        print(make_hash(password, args.iterations))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
