"""The XML-RPC server that workflows call back (Qt-free).

- :mod:`~mxgui.core.xmlrpc.transport`: threaded HTTP/1.1 server, host / token / size
  checks;
- :mod:`~mxgui.core.xmlrpc.dispatch`: methods by name, argument checks, fault codes;
- :mod:`~mxgui.core.xmlrpc.methods`: the methods, in groups;
- :class:`XMLRPCService`: the methods of every group on one dispatcher, over the
  beamline's roles (the hardware object ``xmlrpc_server`` serves it).
"""

from mxgui.core.xmlrpc.service import XMLRPCService

__all__ = ["XMLRPCService"]
