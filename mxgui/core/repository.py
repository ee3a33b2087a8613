"""The hardware repository: loads hardware objects by name from XML (and mxcubecore's
YAML) directories."""

from __future__ import annotations

import functools
import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from mxgui.core.errors import ConfigError, HardwareObjectError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.interlock import Interlock
from mxgui.core.mxcubecore_classes import porting_hint
from mxgui.core.xml_config import ROOT_TAGS, ConfigNode, Reference, parse_file
from mxgui.core.yaml_config import CLASS_KEY, YAML_SUFFIXES, parse_yaml_file

log = logging.getLogger(__name__)

CLASS_PACKAGE = "hardware_objects"
BEAMLINE_NAME = "/beamline"
#: mxcubecore's name for the YAML beamline file, read when there is no beamline.xml
BEAMLINE_YAML = "beamline_config.yml"
#: between an object's name and a nested object's role: ``/diffractometer#kappa``
NESTED_MARK = "#"
#: the endings of a hardware-object file, in the order a name is looked for
SUFFIXES = (".xml", *YAML_SUFFIXES)


class OutsideRepositoryError(ValueError):
    """A name or ``href`` whose ``..`` climbs above the repository directories."""


def normalize_name(name: str, base: str = "/") -> str:
    """``energy``, ``/energy``, ``/energy.xml`` and ``/energy.yml`` all become ``/energy``.

    ``.`` and ``..`` parts are resolved; a name starting with ``./`` or ``../`` is
    taken relative to ``base`` (the name of the directory of the referencing file), any
    other from the top of the repository directories.

    Raises
    ------
    OutsideRepositoryError
        when ``..`` would leave the repository directories (``/../etc/passwd``).
    """
    name = name.strip().replace("\\", "/")
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    relative = name in (".", "..") or name.startswith(("./", "../"))
    parts: list[str] = [p for p in base.split("/") if p] if relative else []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise OutsideRepositoryError(
                    f"{name!r} leaves the repository directories (a name is a path inside them)"
                )
            parts.pop()
        else:
            parts.append(part)
    return "/" + "/".join(parts)


def import_class(dotted: str, node: ConfigNode) -> type[HardwareObject]:
    """Import ``dotted`` (``simulated.motor.SimulatedMotor``) below ``hardware_objects``.

    A name without a dot (``Energy``) means module and class of that name, as in
    mxcubecore.
    """
    if "." in dotted:
        module_name, class_name = dotted.rsplit(".", 1)
    else:
        module_name, class_name = dotted, dotted
    full_module = f"{CLASS_PACKAGE}.{module_name}"
    try:
        module = importlib.import_module(full_module)
    except ModuleNotFoundError as exc:
        if exc.name and not (full_module == exc.name or full_module.startswith(exc.name + ".")):
            # the module exists but something it imports does not
            raise node.error(
                f'class="{dotted}": importing {full_module} failed: {type(exc).__name__}: {exc}'
            ) from exc
        hint = porting_hint(dotted)
        expected = (
            f"; {hint}"
            if hint
            else f" (expected a dotted path below {CLASS_PACKAGE}/, "
            "e.g. simulated.motor.SimulatedMotor)"
        )
        raise node.error(f'class="{dotted}": no module {full_module!r}{expected}') from exc
    except Exception as exc:
        raise node.error(
            f'class="{dotted}": importing {full_module} failed: {type(exc).__name__}: {exc}'
        ) from exc
    cls = getattr(module, class_name, None)
    if cls is None:
        raise node.error(
            f'class="{dotted}": module {full_module} has no class {class_name!r}' + _hint(dotted)
        )
    if not (isinstance(cls, type) and issubclass(cls, HardwareObject)):
        raise node.error(f'class="{dotted}": {class_name} is not a HardwareObject subclass')
    return cls


def _nested_name(name: str) -> str:
    """``/stage#Kappa`` as the repository keeps it, ``/stage#kappa``: roles match in any
    case."""
    parent, _, role = name.partition(NESTED_MARK)
    return f"{parent}{NESTED_MARK}{role.lower()}"


def _hint(dotted: str) -> str:
    hint = porting_hint(dotted)
    return f"; {hint}" if hint else ""


def parse_config(path: Path) -> ConfigNode:
    """Parse a hardware-object file, XML or (by its ending) mxcubecore's YAML."""
    if path.suffix in YAML_SUFFIXES:
        return parse_yaml_file(path)
    return parse_file(path)


def _is_yaml_object(path: Path) -> bool:
    """A YAML file that describes a hardware object (it names its class), not some
    other data file kept next to the configuration."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return True  # listed, so that loading it reports why it cannot be read
    return any(line.startswith(f"{CLASS_KEY}:") for line in text.splitlines())


class HardwareRepository:
    """Hardware objects loaded on demand from one or more XML directories.

    A name such as ``/diffractometer`` is the file's path inside a directory without
    ``.xml`` (or ``.yml``/``.yaml``: mxcubecore's YAML files; ``/beamline`` is also
    ``beamline_config.yml``); the first directory holding the file wins. Objects are
    cached. An object that fails is recorded in :attr:`failures` with a
    :class:`ConfigError` (file, line, reason) and asking for it again raises
    :class:`HardwareObjectError` with that reason;
    it never stops the others from loading.
    """

    #: whether :meth:`get` gives objects connected to the hardware (``False`` for the
    #: layout designer's preview, whose bricks are built unconnected)
    live: ClassVar[bool] = True

    def __init__(self, directories: Iterable[str | Path], *, check_only: bool = False) -> None:
        self.directories = [Path(d) for d in directories]
        #: loaded for ``mxgui --check``: its objects write and send nothing
        self.check_only = check_only
        self._objects: dict[str, HardwareObject] = {}
        self.failures: dict[str, ConfigError] = {}
        self._loading: list[str] = []
        #: names found on a reference loop: each of them fails, but an object that
        #: merely refers to one of them (optional role) still loads
        self._loop_members: set[str] = set()
        #: roles an object's file names but that were left empty because their object
        #: failed (the object loads without them): object name -> the reasons
        self.empty_roles: dict[str, list[ConfigError]] = {}
        self._lock = threading.RLock()
        #: held by the queue while a collection or mesh runs; shared by every object
        self.interlock = Interlock()

    # lookup ------------------------------------------------------------------------
    def find_file(self, name: str) -> Path | None:
        """The file for ``name`` in the first directory that has it.

        Anything of that name counts (a directory called ``motor.xml`` too), so that
        loading it reports that path instead of "no file".
        """
        relative = normalize_name(name).lstrip("/")
        spellings = [relative + suffix for suffix in SUFFIXES]
        if "/" + relative == BEAMLINE_NAME:
            spellings.append(BEAMLINE_YAML)
        for directory in self.directories:
            for spelling in spellings:
                candidate = directory / spelling
                if candidate.exists():
                    return candidate
        return None

    def _check_inside(self, path: Path) -> None:
        """Refuse a file that resolves (symbolic links followed) outside every
        repository directory.

        Raises
        ------
        ConfigError
            naming the file and where it leads.
        """
        resolved = path.resolve()
        for directory in self.directories:
            if resolved.is_relative_to(directory.resolve()):
                return
        raise ConfigError(
            str(path),
            None,
            f"leads to {resolved}, outside the repository directories "
            f"({', '.join(str(d) for d in self.directories)}); expected a file inside them",
        )

    def names(self) -> list[str]:
        """Every object name found in the directories (first directory wins)."""
        found: dict[str, None] = {}
        for directory in self.directories:
            # one walk; sorted, "x.xml" comes before "x.yaml" and "x.yml", so XML wins
            for path in sorted(directory.rglob("*")):
                relative = str(path.relative_to(directory))
                if path.suffix == ".xml":
                    found.setdefault(normalize_name(relative), None)
                elif path.suffix in YAML_SUFFIXES and _is_yaml_object(path):
                    name = BEAMLINE_NAME if relative == BEAMLINE_YAML else normalize_name(relative)
                    found.setdefault(name, None)
        return list(found)

    def get(self, name: str) -> HardwareObject:
        """The object called ``name``, loading it (and what it references) if needed.

        Raises
        ------
        HardwareObjectError
            when the object failed; the message is the ``file:line: reason``.
        """
        try:
            name = normalize_name(name)
        except OutsideRepositoryError as exc:
            raise HardwareObjectError(str(exc)) from None
        if NESTED_MARK in name:
            return self._nested_by_name(_nested_name(name))
        return self._cached(name, lambda: self._load(name))

    def _nested_by_name(self, name: str) -> HardwareObject:
        """A nested object asked for by name (``/stage#kappa``): its file's object is
        loaded first, which creates it."""
        parent = name.split(NESTED_MARK, 1)[0]
        self.get(parent)
        with self._lock:
            if name in self._objects:
                return self._objects[name]
            if name in self.failures:
                raise HardwareObjectError(str(self.failures[name]))
        raise HardwareObjectError(
            f"{name}: {parent} has no nested object of that role "
            f'(expected <object class="..." role="{name.split(NESTED_MARK, 1)[1]}"> in it)'
        )

    def _cached(self, name: str, load: Callable[[], HardwareObject]) -> HardwareObject:
        """Object ``name`` from the cache, or ``load()``-ed and kept (or its failure)."""
        with self._lock:
            if name in self._objects:
                return self._objects[name]
            if name in self.failures:
                raise HardwareObjectError(str(self.failures[name]))
            try:
                obj = load()
            except ConfigError as exc:
                self.failures[name] = exc
                log.error("%s", exc)
                raise HardwareObjectError(str(exc)) from None
            self._objects[name] = obj
            return obj

    def object_class(self, name: str) -> type[HardwareObject]:
        """The class of object ``name``, its file checked as far as it can be without
        connecting anything: found inside the repository directories, well-formed, its
        class importable and its properties typed. References are not followed,
        :meth:`HardwareObject.init` is not run, nothing is kept (the designer's preview).

        Raises
        ------
        HardwareObjectError
            when the file is wrong; the message is the ``file:line: reason``.
        """
        try:
            name = normalize_name(name)
            if NESTED_MARK not in name:
                return type(self._configured(name)[0])
            parent, role = _nested_name(name).split(NESTED_MARK, 1)
            _, node = self._configured(parent)
            for _, level in _levels(node):
                for nested in _nested_objects(level):
                    if (nested.attributes.get("role") or nested.tag).lower() == role:
                        return type(self._create(name, nested))
            raise node.error(
                f"no nested object of role {role!r}; expected "
                f'<object class="..." role="{role}"> in it'
            )
        except (ConfigError, OutsideRepositoryError) as exc:
            raise HardwareObjectError(str(exc)) from None

    def try_get(self, name: str) -> HardwareObject | None:
        """Like :meth:`get` but ``None`` for an object that failed."""
        try:
            return self.get(name)
        except HardwareObjectError:
            return None

    def loaded(self) -> dict[str, HardwareObject]:
        """The objects loaded so far, by name."""
        with self._lock:
            return dict(self._objects)

    def load_all(self) -> None:
        """Load every file in the directories (``mxgui --check``)."""
        for name in self.names():
            self.try_get(name)

    @property
    def beamline(self) -> HardwareObject | None:
        """The ``/beamline`` object that gives the roles, or ``None`` if it failed."""
        return self.try_get(BEAMLINE_NAME)

    def shutdown(self) -> None:
        """Shut every loaded object down (errors are logged, not raised)."""
        for obj in reversed(list(self.loaded().values())):
            try:
                obj.shutdown()
            except Exception:
                log.exception("shutting down %s failed", obj.name)
        if "mxgui.core.channels.loop" in sys.modules:  # a channel was made: its thread
            from mxgui.core.channels.loop import stop_control_loop

            stop_control_loop()

    # loading -------------------------------------------------------------------------
    def _load(self, name: str) -> HardwareObject:
        obj, node = self._configured(name)
        return self._finish(obj, node)

    def _finish(self, obj: HardwareObject, node: ConfigNode) -> HardwareObject:
        """Attach what ``node`` references or nests, then run :meth:`HardwareObject.init`."""
        self._attach_references(obj, node)
        try:
            obj.init()
        except ConfigError:
            raise
        except Exception as exc:
            log.debug("init of %s failed", obj.name, exc_info=True)
            raise node.error(
                f"{type(obj).__name__}.init() failed: {type(exc).__name__}: {exc}"
            ) from exc
        log.debug("loaded %s from %s", obj.name, node.path)
        return obj

    def _configured(self, name: str) -> tuple[HardwareObject, ConfigNode]:
        """The object of file ``name`` created and given its properties, and its file's
        root node: no references attached, :meth:`HardwareObject.init` not run, so
        nothing is connected yet."""
        path = self.find_file(name)
        if path is None:
            where = ", ".join(str(d) for d in self.directories) or "no directory"
            raise ConfigError(None, None, f"no file for hardware object {name} (looked in {where})")
        self._check_inside(path)
        node = parse_config(path)
        return self._create(name, node), node

    def _create(self, name: str, node: ConfigNode) -> HardwareObject:
        """An object of the class ``node`` names, called ``name``, given its properties."""
        class_path = node.class_path
        if not class_path:
            raise node.error(f'<{node.tag}> needs a class="module.Class" attribute')
        cls = import_class(class_path, node)
        try:
            obj = cls(name)
        except Exception as exc:
            raise node.error(f"creating {class_path} failed: {type(exc).__name__}: {exc}") from exc
        obj.interlock = self.interlock
        obj.check_only = self.check_only
        obj.configure(node)
        return obj

    def _attach_references(self, obj: HardwareObject, node: ConfigNode) -> None:
        """Resolve the references of ``node`` and create its nested objects, as mxcubecore
        does: those directly in the file's root element, then, level by level, those
        inside sub-elements (``<motors><object href="/phi" role="phi"/></motors>``),
        which also attach by role (a role already given nearer the root keeps its
        object) and are listed by :meth:`HardwareObject.get_objects` under the
        sub-element's name. A failed optional role stays empty."""
        self._loading.append(obj.name)
        try:
            base = obj.name.rsplit("/", 1)[0] or "/"
            for container, level in _levels(node):
                for ref in level.references:
                    target = self._target(level, ref, base)
                    self._attach(
                        obj,
                        level,
                        ref.role,
                        ref.line,
                        target,
                        container,
                        functools.partial(self.get, target),
                    )
                for nested in _nested_objects(level):
                    role = nested.attributes.get("role") or nested.tag
                    name = f"{obj.name}{NESTED_MARK}{role.lower()}"
                    self._attach(
                        obj,
                        level,
                        role,
                        nested.line,
                        name,
                        container,
                        functools.partial(self._nested, name, nested),
                    )
            missing = [role for role in obj.REQUIRED_ROLES if not obj.has_role(role)]
            if missing:
                raise node.error(
                    f"{type(obj).__name__} needs the role(s) {', '.join(missing)}: "
                    'add <object href="/..." role="..."/>'
                )
        finally:
            self._loading.pop()

    def _nested(self, name: str, node: ConfigNode) -> HardwareObject:
        """The object a nested ``<object class=... role=...>`` element describes, created
        once and kept under ``name`` (``/parent#role``) like any other object."""
        return self._cached(name, lambda: self._finish(self._create(name, node), node))

    def _target(self, node: ConfigNode, ref: Reference, base: str) -> str:
        """The name ``ref`` points to, refused when it leaves the repository or closes
        a loop; a target without a file is recorded as failed (at the reference)."""
        try:
            target = normalize_name(ref.href, base)
        except OutsideRepositoryError:
            raise node.error(
                f'role "{ref.role}": href="{ref.href}" leaves the repository '
                "directories; expected a name inside them (/name, ./name, ../name)",
                ref.line,
            ) from None
        if target in self._loading:
            members = self._loading[self._loading.index(target) :]
            self._loop_members.update(members)
            chain = " -> ".join([*members, target])
            raise node.error(f"reference loop: {chain}", ref.line)
        if self.find_file(target) is None and target not in self.failures:
            self.failures[target] = node.error(
                f'role "{ref.role}": no file {target.lstrip("/")}.xml in '
                + ", ".join(str(d) for d in self.directories),
                ref.line,
            )
            log.error("%s", self.failures[target])
        return target

    def _attach(
        self,
        obj: HardwareObject,
        node: ConfigNode,
        role: str,
        line: int | None,
        target: str,
        container: str | None,
        load: Callable[[], HardwareObject],
    ) -> None:
        """Attach ``load()`` to ``obj`` under ``role`` (and in ``container``); when it
        fails, a required role (or one on a reference loop) fails ``obj``, any other
        stays empty with the reason recorded in :attr:`empty_roles`."""
        try:
            child = load()
        except HardwareObjectError as exc:
            required = role.lower() in {r.lower() for r in obj.REQUIRED_ROLES}
            if obj.name in self._loop_members or required:
                raise node.error(
                    f'role "{role}" needs {target}, which failed: {exc}', line
                ) from None
            empty = node.error(f'role "{role}" left empty because {target} failed: {exc}', line)
            self.empty_roles.setdefault(obj.name, []).append(empty)
            log.warning(
                "%s:%s: role %r of %s left empty because %s failed",
                node.path,
                line,
                role,
                obj.name,
                target,
            )
            return
        if container is None or not obj.has_role(role):
            obj.add_role(role, child)
        if container is not None:
            obj.add_contained(container, child)


def _nested_objects(node: ConfigNode) -> list[ConfigNode]:
    """The sub-elements of ``node`` that are objects of their own (``<object class=...>``)."""
    return [
        child
        for children in node.children.values()
        for child in children
        if child.tag in ROOT_TAGS and child.class_path
    ]


def _levels(root: ConfigNode) -> list[tuple[str | None, ConfigNode]]:
    """``root`` and its plain sub-elements, breadth first, each with the name of the
    container its references belong to (``None`` for the root's own). A nested object's
    own sub-elements belong to it, so they are not walked."""
    levels: list[tuple[str | None, ConfigNode]] = [(None, root)]
    for _, node in levels:  # grows while it is walked: breadth first
        for children in node.children.values():
            for child in children:
                if not (child.tag in ROOT_TAGS and child.class_path):
                    levels.append((child.tag, child))
    return levels
