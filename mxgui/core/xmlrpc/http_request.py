"""One HTTP request head: parsed from bytes, then checked against what the server accepts.

Qt-free and free of sockets: :func:`parse_head` reads the request line and headers,
:class:`RequestPolicy` decides whether the request may be served (and how long its body
is) or is refused with an HTTP status and a message that says why. The transport calls
both before it reads a byte of the body.

Refused, in this order: a malformed head (400, 505), a missing ``Host`` (400) or one that
is neither the bound address nor an allowed name (403: DNS rebinding), any ``Origin``
header (403: a web page), a method other than POST (405), another path (404), a missing
or wrong token (401, 403), a content type other than XML (415), a chunked or unannounced
body (411) and a body over the limit (413).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from mxgui.core.xmlrpc.run_tokens import RunTokens

#: the HTTP header that carries the token
TOKEN_HEADER = "Token"
#: the longest request head (request line and headers) read before refusing it
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
#: the content types of an XML-RPC request
XML_TYPES = frozenset({"text/xml", "application/xml"})
RPC_PATHS = ("/", "/RPC2")


class BadRequest(ValueError):
    """A request head that is not HTTP/1.x; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class RequestHead:
    """The request line and headers (names in lower case; the last of a repeat wins,
    except where a repeat is refused)."""

    method: str
    path: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def keep_alive(self) -> bool:
        """Whether the client keeps the connection for another request."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection

    @property
    def expects_continue(self) -> bool:
        return self.headers.get("expect", "").lower() == "100-continue"


@dataclass(frozen=True)
class Verdict:
    """What to do with a request: serve a body of ``length`` bytes, or refuse it."""

    length: int = 0
    status: int = 0
    message: str = ""

    @property
    def refused(self) -> bool:
        return self.status != 0


def parse_head(block: bytes) -> RequestHead:
    """The request head in ``block`` (up to, not including, the blank line).

    ``BadRequest`` when it is not an HTTP/1.x request head.
    """
    try:
        text = block.decode("latin-1")
    except UnicodeDecodeError:  # latin-1 decodes every byte; kept for clarity
        raise BadRequest(400, "the request head is not text") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest(400, f"bad request line {lines[0][:100]!r}")
    method, path, version = parts
    if not version.startswith("HTTP/1."):
        raise BadRequest(505, f"HTTP version {version[:20]!r} is not supported (HTTP/1.1)")
    if len(lines) - 1 > MAX_HEADERS:
        raise BadRequest(431, f"more than {MAX_HEADERS} header lines")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[0] in " \t":
            raise BadRequest(400, f"bad header line {line[:100]!r}")
        key = name.lower()
        value = value.strip()
        if key in headers and key in ("content-length", "host", "token") and headers[key] != value:
            raise BadRequest(400, f"conflicting {name} headers")
        headers[key] = value
    return RequestHead(method, path, version, headers)


def host_of(header: str) -> str:
    """The host part of a ``Host`` header (port and IPv6 brackets removed), lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        header = header.partition(":")[0]
    return header.rstrip(".")


def _canonical(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


class RequestPolicy:
    """What the server accepts.

    Parameters
    ----------
    host_names
        The names and addresses a ``Host`` header may give (the bound address, the
        allowed hosts).
    token
        ``""``: none needed; else the header ``Token`` must carry it.
    max_request_bytes
        Larger bodies are refused with 413.
    run_tokens
        Tokens granted for one workflow run (``run_tokens.py``): accepted besides
        ``token`` while granted; never where ``token`` is ``""`` (no token asked).
    """

    def __init__(
        self,
        host_names: Iterable[str],
        token: str,
        max_request_bytes: int,
        run_tokens: RunTokens | None = None,
    ) -> None:
        self.host_names = frozenset(_canonical(host_of(h)) for h in host_names if h.strip())
        self.token = token
        self.max_request_bytes = max_request_bytes
        self.run_tokens = run_tokens

    def accepts_host(self, host: str) -> bool:
        """Whether a ``Host`` header of ``host`` (a name or address, a port allowed) is
        this server's address or an allowed name."""
        return _canonical(host_of(host)) in self.host_names

    def check(self, head: RequestHead) -> Verdict:
        """Serve or refuse ``head``; a refusal says why in words a caller understands."""
        headers = head.headers
        host = headers.get("host")
        if host is None:
            return Verdict(status=400, message="the Host header is required")
        if not self.accepts_host(host):
            return Verdict(
                status=403,
                message=f"Host {host[:100]!r} is not this server's address or an allowed name",
            )
        if "origin" in headers:
            return Verdict(
                status=403,
                message=f"requests from web pages (Origin {headers['origin'][:100]!r}) are refused",
            )
        if head.method != "POST":
            return Verdict(status=405, message="this is an XML-RPC server: POST an XML-RPC request")
        if head.path not in RPC_PATHS:
            return Verdict(status=404, message=f"no XML-RPC service at {head.path[:100]} (use /)")
        given = headers.get(TOKEN_HEADER.lower())
        if self.token:
            if given is None:
                return Verdict(status=401, message=f"missing {TOKEN_HEADER} header")
            # the server's token, or a workflow run's while that run lasts (run_tokens.py)
            if not hmac.compare_digest(given.encode(), self.token.encode()) and not (
                self.run_tokens is not None and self.run_tokens.accepts(given)
            ):
                return Verdict(status=403, message=f"wrong {TOKEN_HEADER}")
        content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if content_type not in XML_TYPES:
            return Verdict(
                status=415,
                message=f"Content-Type {content_type or '(none)'!r} is refused: send text/xml",
            )
        if "transfer-encoding" in headers:
            return Verdict(status=411, message="chunked bodies are refused: send Content-Length")
        length_text = headers.get("content-length")
        if length_text is None:
            return Verdict(status=411, message="Content-Length is required")
        if not length_text.isdigit():
            return Verdict(
                status=400, message=f"Content-Length {length_text[:40]!r} is not a number"
            )
        length = int(length_text)
        if length > self.max_request_bytes:
            return Verdict(
                status=413,
                message=f"request of {length} bytes is over the limit of "
                f"{self.max_request_bytes} bytes (max_request_bytes)",
            )
        return Verdict(length=length)

    def serving(self, head: RequestHead) -> AbstractContextManager[None]:
        """Around the dispatch of ``head``'s request (checked, its body read): a run whose
        token it carries counts the call, in flight until answered (``run_tokens.py``);
        also where no token is asked. A refused request never gets here."""
        given = head.headers.get(TOKEN_HEADER.lower())
        if given is None or self.run_tokens is None:
            return nullcontext()
        return self.run_tokens.serving(given)
