"""Calling XML-RPC methods by name: argument checks, faults with clear messages.

Fault codes follow the XML-RPC interoperability convention; the message always starts
with the method's name:

- ``-32700`` the request is not XML-RPC;
- ``-32601`` no such method (the message lists the near names);
- ``-32602`` bad arguments: wrong number, wrong type, a value refused, an unknown
  node, grid or motor;
- ``-32500`` the call was understood but could not be done: the hardware refused or
  failed, a wait timed out, the beamline has no such object;
- ``-32603`` a bug in the server (logged with its traceback).

Arguments nested deeper than :data:`MAX_DEPTH` arrays or structs are refused before
the method is called (nothing downstream has to recurse through them), and whatever
goes wrong, a request always gets a response: a fault at worst.

Values: ``None`` is sent as ``<nil/>`` (the stdlib ``allow_none`` extension, which
mxcubecore uses too; ``xmlrpc.client`` reads it without options); dict keys are sent
as text, tuples as arrays, numpy numbers as plain numbers.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import reprlib
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from mxgui.core.errors import Refused
from mxgui.core.interlock import calling_as

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
APPLICATION_ERROR = -32500
INTERNAL_ERROR = -32603
#: how deep arrays and structs may nest in the arguments of a call
MAX_DEPTH = 32

_params_repr = reprlib.Repr()
_params_repr.maxlevel = 4
_params_repr.maxstring = 200
_params_repr.maxother = 200


class BadArgument(ValueError):
    """An argument of the wrong type or value; the message names the argument."""


class Unavailable(RuntimeError):
    """What the call needs is not there (no such role, no GUI handler) or failed."""


def plain(value: object) -> Any:
    """``value`` with only XML-RPC types: text keys, lists, Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float, bytes)):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    enum_value = getattr(value, "value", None)
    if isinstance(enum_value, (str, int, float)):
        return enum_value  # enums
    return str(value)


def nesting_depth(value: object, limit: int = MAX_DEPTH) -> int:
    """How deep arrays and structs nest in ``value`` (a scalar: 0), without recursion;
    stops counting once past ``limit``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Iterable[object] = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth) for child in children)
    return deepest


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]  # KeyError's str() quotes its message
    return str(exc) or type(exc).__name__


class RequestHandler(Protocol):
    """What the transport serves: the XML-RPC response to a request body
    (:class:`Dispatcher`, ``XMLRPCService``)."""

    def handle(self, body: bytes | bytearray) -> bytes: ...


class Dispatcher:
    """Methods by name, called with checked arguments; ``handle`` answers a request."""

    def __init__(self) -> None:
        self._methods: dict[str, Callable[..., Any]] = {}
        self._signatures: dict[str, inspect.Signature] = {}
        self._shown: dict[str, str] = {}
        self.register("system.listMethods", self.list_methods)
        self.register("system.methodHelp", self.method_help)
        self.register("system.methodSignature", self.method_signature)

    # registry -------------------------------------------------------------------------
    def register(self, name: str, function: Callable[..., Any]) -> None:
        """Serve ``function`` as ``name``; ``ValueError`` if a method of that name is
        served already (two groups offering one name: the one registered last would
        silently win)."""
        if name in self._methods:
            raise ValueError(
                f"XML-RPC method {name} is served twice: by {_owner(self._methods[name])}"
                f" and by {_owner(function)}"
            )
        self._methods[name] = function
        self._signatures[name] = inspect.signature(function)
        self._shown[name] = _shown_signature(name, self._signatures[name])

    def register_object(self, obj: object, names: tuple[str, ...]) -> None:
        """Serve the methods ``names`` of ``obj`` under their own names."""
        for name in names:
            self.register(name, getattr(obj, name))

    def list_methods(self) -> list[str]:
        """The names of every method served, sorted."""
        return sorted(self._methods)

    def method_help(self, name: str) -> str:
        """The documentation of method ``name``."""
        function = self._function(str(name))
        return inspect.getdoc(function) or ""

    def method_signature(self, name: str) -> str:
        """``name(arg, arg=default)``: how method ``name`` is called."""
        self._function(str(name))
        return self._shown[name]

    def _function(self, name: str) -> Callable[..., Any]:
        function = self._methods.get(name)
        if function is None:
            near = difflib.get_close_matches(name, list(self._methods), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise xmlrpc.client.Fault(
                METHOD_NOT_FOUND, f"{name}: no such method{hint} (system.listMethods lists them)"
            )
        return function

    # calling --------------------------------------------------------------------------
    def call(self, name: str, params: tuple[object, ...]) -> Any:
        """Call method ``name``; every failure becomes an ``xmlrpc.client.Fault``."""
        function = self._function(name)
        signature = self._signatures[name]
        if nesting_depth(params, MAX_DEPTH + 1) > MAX_DEPTH + 1:  # params is one level
            raise xmlrpc.client.Fault(
                INVALID_PARAMS,
                f"{name}: the arguments nest arrays or structs more than {MAX_DEPTH} levels deep",
            )
        try:
            signature.bind(*params)
        except TypeError as exc:
            raise xmlrpc.client.Fault(
                INVALID_PARAMS,
                f"{name}: {exc} (called with {len(params)} argument(s); "
                f"expected {self._shown[name]})",
            ) from None
        try:
            with calling_as("an XML-RPC client"):  # its moves wait for a collection's end
                return plain(function(*params))
        except xmlrpc.client.Fault:
            raise
        except (Refused, Unavailable, TimeoutError) as exc:
            raise xmlrpc.client.Fault(APPLICATION_ERROR, f"{name}: {_reason(exc)}") from None
        except (ValueError, KeyError) as exc:
            raise xmlrpc.client.Fault(INVALID_PARAMS, f"{name}: {_reason(exc)}") from None
        except Exception as exc:
            log.exception("XML-RPC method %s%s failed", name, _params_repr.repr(params))
            raise xmlrpc.client.Fault(
                INTERNAL_ERROR, f"{name}: internal error {type(exc).__name__}: {exc}"
            ) from None

    def handle(self, body: bytes | bytearray) -> bytes:
        """The XML-RPC response to the request ``body`` (a result or a fault)."""
        try:
            params, name = xmlrpc.client.loads(body)
        except (xml.parsers.expat.ExpatError, ValueError, TypeError, IndexError) as exc:
            return _fault(PARSE_ERROR, f"the request is not XML-RPC: {exc}")
        except xmlrpc.client.ResponseError:  # well-formed XML, but no <methodCall>
            return _fault(PARSE_ERROR, "the request is not XML-RPC: no complete <methodCall>")
        if not name:
            return _fault(PARSE_ERROR, "the request names no method (methodName)")
        try:
            result = self.call(name, params)
            return xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True).encode()
        except xmlrpc.client.Fault as fault:
            log.info("XML-RPC fault %s: %s", fault.faultCode, fault.faultString)
            return _fault(fault.faultCode, fault.faultString)
        except (TypeError, OverflowError) as exc:  # a result XML-RPC cannot carry
            log.exception("XML-RPC method %s returned a value XML-RPC cannot carry", name)
            return _fault(INTERNAL_ERROR, f"{name}: the result cannot be sent: {exc}")
        except Exception as exc:  # noqa: BLE001 - the caller must get an answer
            log.exception("XML-RPC request %s could not be answered", name)
            return _fault(INTERNAL_ERROR, f"{name}: internal error {type(exc).__name__}")


def _shown_signature(name: str, signature: inspect.Signature) -> str:
    """``name(a, b=False)``: the signature without annotations."""
    parts = [
        p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
        for p in signature.parameters.values()
    ]
    return f"{name}({', '.join(parts)})"


def _fault(code: int, message: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, message), methodresponse=True).encode()


def _owner(function: Callable[..., Any]) -> str:
    """``Class.method`` (or the function's qualified name) of a served method."""
    return str(getattr(function, "__qualname__", None) or repr(function))
