"""The XML-RPC server that workflows call back (Qt-free).

- :mod:`~mxgui.core.xmlrpc.transport`: the HTTP/1.1 server and its bounds (connections,
  threads, memory), over :mod:`~mxgui.core.xmlrpc.http_loop` (one non-blocking loop
  thread), :mod:`~mxgui.core.xmlrpc.worker_pool` (the bounded threads) and
  :mod:`~mxgui.core.xmlrpc.http_request` (Host / Origin / token / content type / size
  checks);
- :mod:`~mxgui.core.xmlrpc.token_file`: the token's file in the user's settings;
- :mod:`~mxgui.core.xmlrpc.dispatch`: methods by name, argument checks, fault codes;
- :mod:`~mxgui.core.xmlrpc.methods`: the methods, in groups;
- :class:`XMLRPCService`: the methods of every group on one dispatcher, over the
  beamline's roles (the hardware object ``xmlrpc_server`` serves it).
"""

from mxgui.core.xmlrpc.service import XMLRPCService

__all__ = ["XMLRPCService"]
