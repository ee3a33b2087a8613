"""mxgui's shipped workflows: ewoks tasks that drive the GUI over XML-RPC.

Run by the workflow client in a child process with the ``workflows/`` directory on
``sys.path`` (so this package imports as ``mxwf``). See ``workflows/README.md``.
"""
