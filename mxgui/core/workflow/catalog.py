"""The workflows a workflow client offers: one :class:`WorkflowInfo` per ``<workflow>``
of its XML (see ``hardware_objects/workflow_client.py``).

mxcubecore's form of a BES workflow is read as it is (``ednaparams.xml``)::

    <workflow><title>MXPressA</title><path>MXPressA</path><requires>sample</requires></workflow>

A ``<workflow>`` with a ``<path>`` and no ``<graph>`` runs on the ``bes`` engine unless
its ``<engine>`` says otherwise; its name is the path's last part without extension
(what mxcubecore puts after ``RUN/``) unless a ``<name>`` is given; ``<requires>`` may
list several (``point, sample``: the first that mxgui knows is taken).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mxgui.core.xml_config import ConfigNode

REQUIRES = ("sample", "point", "grid")
ENGINES = ("local", "bes", "ewoksjob")


@dataclass(frozen=True)
class WorkflowInfo:
    """One workflow of the XML: its name, title, what it needs, engine and graph."""

    name: str
    title: str
    requires: str = "sample"
    engine: str = "local"
    graph: Path | None = None
    #: bes: the workflow's path at the BES (mxcubecore's ``modelpath``)
    path: str = ""

    def to_dict(self) -> dict[str, str]:
        """``name``, ``title``, ``requires``, ``engine`` (plain values for XML-RPC)."""
        return {
            "name": self.name,
            "title": self.title,
            "requires": self.requires,
            "engine": self.engine,
        }


def workflow_of(node: ConfigNode, workflows_dir: Path, bes_url: str) -> WorkflowInfo:
    """The workflow a ``<workflow>`` node of the client's XML describes; the node's
    ``error`` (file and line) for a bad one."""
    values = node.properties

    def text(key: str, default: str = "") -> str:
        value = values.get(key, default)
        return str(value).strip() if value is not None else default

    def where(key: str) -> int | None:
        return node.property_lines.get(key)

    path = text("path")
    name = text("name") or bes_name(path)
    if not name:
        raise node.error("<workflow> needs a <name> (or, for a BES workflow, a <path>)")
    requires = _requires(text("requires", "sample"))
    if requires not in REQUIRES:
        raise node.error(
            f"workflow {name}: <requires> must be one of {', '.join(REQUIRES)}, not {requires!r}",
            where("requires"),
        )
    engine = text("engine", "bes" if path and not text("graph") else "local")
    if engine not in ENGINES:
        raise node.error(
            f"workflow {name}: <engine> must be one of {', '.join(ENGINES)}, not {engine!r}",
            where("engine"),
        )
    graph = None
    if engine in ("local", "ewoksjob"):  # an ewoks graph of workflows_dir
        graph_name = text("graph")
        if not graph_name:
            raise node.error(f"workflow {name}: a {engine} workflow needs a <graph> file")
        graph = workflows_dir / graph_name
        if not graph.is_file():
            raise node.error(f"workflow {name}: no graph file {graph}", where("graph"))
    elif engine == "bes" and not bes_url:
        raise node.error(
            f"workflow {name}: engine bes needs the BES server: <bes_host> and <bes_port> "
            "(or <bes_url>)"
        )
    if engine == "bes":
        path = path or name
    return WorkflowInfo(name, text("title") or name, requires, engine, graph, path)


def bes_name(path: str) -> str:
    """The name a BES knows a workflow by: the last part of its path without extension
    (``/models/MXPressA.moml`` -> ``MXPressA``), as mxcubecore asks ``RUN/<name>``."""
    return PurePosixPath(path.strip()).name.split(".")[0] if path.strip() else ""


def _requires(text: str) -> str:
    """The first of a comma-separated ``<requires>`` that mxgui knows (else the first)."""
    given = [part.strip() for part in text.split(",") if part.strip()]
    known = [part for part in given if part in REQUIRES]
    return known[0] if known else (given[0] if given else "sample")
