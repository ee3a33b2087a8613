"""The workflows a workflow client offers: one :class:`WorkflowInfo` per ``<workflow>``
of its XML (see ``hardware_objects/workflow_client.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

    name = text("name")
    if not name:
        raise node.error("<workflow> needs a <name>")
    requires = text("requires", "sample")
    if requires not in REQUIRES:
        raise node.error(
            f"workflow {name}: <requires> must be one of {', '.join(REQUIRES)}, not {requires!r}",
            where("requires"),
        )
    engine = text("engine", "local")
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
        raise node.error(f"workflow {name}: engine bes needs the <bes_url> property")
    return WorkflowInfo(name, text("title") or name, requires, engine, graph)
