"""The logged-in proposal's LIMS samples by sample-changer address, and where they disagree
with what the sample changer holds.

A :class:`SampleCatalogue` follows one LIMS object: after each ``loginChanged`` /
``samplesChanged`` it asks the LIMS for the samples (``get_samples()``, a Future run in
the LIMS's own worker thread) and, when they come, replaces its contents in one step and
emits ``catalogueChanged``. A logout empties it at once; an offline login gives an empty
catalogue (the sample changer's own names are then used). Reading it is a dictionary
look-up, safe from any thread: the GUI and the queue never wait on the database.

:func:`catalogue_of` gives the one catalogue of a LIMS object, so that the sample changer
view, "Add samples" and the queue see the same samples without reading them twice.

:func:`mismatch` says how a LIMS sample and the sample changer's pin disagree (a sample
placed where the changer found the pin empty, barcodes that differ), in words for the user.
"""

from __future__ import annotations

import html
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Protocol

from mxgui.core.signals import SignalEmitter
from mxgui.core.words import counted

if TYPE_CHECKING:
    from mxgui.core.lims.queries import LimsSample

log = logging.getLogger(__name__)
#: mismatches listed in a tooltip (the count is always given)
MAX_LISTED = 20


class SampleSource(Protocol):
    """What the catalogue needs of a LIMS object (``AbstractLims`` is one)."""

    def connect(self, signal: str, callback: Callable[..., object]) -> None: ...

    def disconnect(self, signal: str, callback: Callable[..., object]) -> None: ...

    def get_login(self) -> object | None: ...

    def get_samples(self) -> Future[list[LimsSample]]: ...


class ChangerPin(Protocol):
    """A pin of the sample changer as the catalogue compares it (``Sample`` is one)."""

    @property
    def address(self) -> str: ...

    @property
    def present(self) -> bool | None: ...

    @property
    def barcode(self) -> str: ...


class ChangerPuck(Protocol):
    """A puck of the sample changer (``Puck`` is one)."""

    @property
    def barcode(self) -> str: ...

    @property
    def samples(self) -> tuple[ChangerPin, ...]: ...


class SampleCatalogue(SignalEmitter):
    """The samples of the logged-in proposal as the LIMS has them, by ``"puck:pin"``.

    Signals: ``catalogueChanged()`` after the contents changed (emitted in the LIMS's
    thread). :meth:`get` gives the LIMS sample at an address, :meth:`samples` all of
    them (placed or not), :meth:`conflicts` the addresses the LIMS gives to more than one
    sample; :meth:`mismatches` compares the catalogue with the sample changer's pucks.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("catalogueChanged",)

    def __init__(self, source: SampleSource) -> None:
        super().__init__()
        self._source = weakref.ref(source)
        self._lock = threading.Lock()
        self._generation = 0
        #: the read asked last: its Future, its generation, and when the catalogue took it
        self._pending: tuple[Future[list[LimsSample]], int, Future[None]] | None = None
        self._samples: tuple[LimsSample, ...] = ()
        self._by_address: Mapping[str, LimsSample] = MappingProxyType({})
        self._conflicts: Mapping[str, tuple[LimsSample, ...]] = MappingProxyType({})
        source.connect("loginChanged", self._on_login)
        source.connect("samplesChanged", self._on_samples)
        if source.get_login() is not None:
            self.refresh()

    def close(self) -> None:
        """Stop following the LIMS (the contents stay as they are)."""
        source = self._source()
        if source is not None:
            source.disconnect("loginChanged", self._on_login)
            source.disconnect("samplesChanged", self._on_samples)

    # reading -----------------------------------------------------------------------------
    def get(self, address: str | None) -> LimsSample | None:
        """The LIMS sample at ``address`` (``"3:05"``), or ``None``."""
        return self._by_address.get(address) if address else None

    def by_address(self) -> Mapping[str, LimsSample]:
        """Every placed sample by address (a read-only snapshot)."""
        return self._by_address

    def samples(self) -> tuple[LimsSample, ...]:
        """Every sample of the proposal, placed in the sample changer or not."""
        return self._samples

    def unplaced(self) -> tuple[LimsSample, ...]:
        """The samples the LIMS gives no sample-changer address."""
        return tuple(s for s in self._samples if s.address is None)

    def conflicts(self) -> Mapping[str, tuple[LimsSample, ...]]:
        """Addresses the LIMS gives to more than one sample, with those samples."""
        return self._conflicts

    def __len__(self) -> int:
        return len(self._samples)

    def mismatches(self, pucks: Iterable[ChangerPuck]) -> dict[str, str]:
        """``{address: what disagrees}`` between the LIMS and the sample changer's
        ``pucks``: pins the changer found empty or whose barcodes differ, addresses the
        LIMS gives twice, and LIMS samples at addresses the changer does not have."""
        found: dict[str, str] = {}
        seen: set[str] = set()
        for puck in pucks:
            for pin in puck.samples:
                seen.add(pin.address)
                problem = self._problem(pin.address, pin, puck.barcode)
                if problem:
                    found[pin.address] = problem
        for address in self._by_address:
            if address not in seen:
                found[address] = self._problem(address, None, "")
        return found

    def summary(self, proposal: str, mismatches: Mapping[str, str]) -> str:
        """``"LIMS mx1234: 67 samples, 66 in the sample changer · 2 mismatches"``."""
        placed = len(self._by_address)
        text = (
            f"LIMS {proposal}".rstrip()
            + f": {counted(len(self), 'sample')}, {placed} in the sample changer"
        )
        if mismatches:
            text += f" · {counted(len(mismatches), 'mismatch', 'mismatches')}"
        return text

    def _problem(self, address: str, pin: ChangerPin | None, puck_barcode: str) -> str:
        twice = self._conflicts.get(address)
        if twice:
            names = ", ".join(f"{s.name} (blSampleId {s.sample_id})" for s in twice)
            return f"the LIMS puts {len(twice)} samples at {address}: {names}"
        return mismatch(self.get(address), pin, puck_barcode, address)

    # filling -----------------------------------------------------------------------------
    def _on_login(self, login: object) -> None:
        if login is None:
            self._replace([], None)
        else:
            self.refresh()

    def _on_samples(self) -> None:
        self.refresh()

    def refresh(self) -> Future[None]:
        """Read the samples again (in the LIMS's thread); the catalogue changes when
        they come. A read already waiting to start is not asked twice. Returns a Future
        done once the catalogue has taken the read's outcome (a failed read keeps the
        samples known)."""
        settled: Future[None] = Future()
        source = self._source()
        if source is None or source.get_login() is None:
            self._replace([], None)
            settled.set_result(None)
            return settled
        with self._lock:
            if self._pending is not None:
                future, asked, waiting = self._pending
                if asked == self._generation and not future.running() and not future.done():
                    return waiting  # a read waits to start: it will see the same samples
            self._generation += 1
            generation = self._generation
        try:
            future = source.get_samples()
        except RuntimeError as exc:  # the LIMS has shut down
            log.debug("LIMS samples not read: %s", exc)
            settled.set_result(None)
            return settled
        with self._lock:
            self._pending = (future, generation, settled)
        future.add_done_callback(lambda f: self._arrived(f, generation, settled))
        return settled

    def _arrived(
        self, future: Future[list[LimsSample]], generation: int, settled: Future[None]
    ) -> None:
        try:
            self._take(future, generation)
        finally:
            settled.set_result(None)

    def _take(self, future: Future[list[LimsSample]], generation: int) -> None:
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            source = self._source()
            if source is None or source.get_login() is None:
                self._replace([], generation)  # logged out meanwhile
            else:  # the database is away: the samples known stay shown
                log.warning("the LIMS samples could not be read again: %s", error)
            return
        self._replace(future.result(), generation)

    def _replace(self, samples: list[LimsSample], generation: int | None) -> None:
        by_address: dict[str, LimsSample] = {}
        twice: dict[str, list[LimsSample]] = {}
        for sample in samples:
            address = sample.address
            if address is None:
                continue
            if address in by_address:
                twice.setdefault(address, [by_address[address]]).append(sample)
            else:
                by_address[address] = sample
        with self._lock:
            if generation is None:
                self._generation += 1  # a read still running is out of date
            elif generation != self._generation:
                return
            if not samples and not self._samples:
                return
            self._samples = tuple(samples)
            self._by_address = MappingProxyType(by_address)
            self._conflicts = MappingProxyType({a: tuple(s) for a, s in twice.items()})
        log.info("LIMS samples: %d (%d in the sample changer)", len(samples), len(by_address))
        self.emit("catalogueChanged")


_catalogues: weakref.WeakKeyDictionary[SampleSource, SampleCatalogue] = weakref.WeakKeyDictionary()
_catalogues_lock = threading.Lock()


def catalogue_of(source: SampleSource) -> SampleCatalogue:
    """The catalogue following ``source`` (made on first use, then shared)."""
    with _catalogues_lock:
        catalogue = _catalogues.get(source)
        if catalogue is None:
            catalogue = _catalogues[source] = SampleCatalogue(source)
        return catalogue


def mismatch(
    lims: LimsSample | None,
    pin: ChangerPin | None,
    puck_barcode: str = "",
    address: str = "",
) -> str:
    """How the LIMS sample ``lims`` and the sample changer's ``pin`` (at ``address``)
    disagree, in words; ``""`` when they agree (or the LIMS says nothing there)."""
    if lims is None:
        return ""
    where = address or (pin.address if pin is not None else lims.address or "")
    if pin is None:
        return f"the LIMS puts {lims.name} at {where}, a place the sample changer does not have"
    problems = []
    if pin.present is False:
        problems.append(f"the LIMS puts {lims.name} at {where}, the sample changer found it empty")
    if lims.barcode and pin.barcode and lims.barcode != pin.barcode:
        problems.append(
            f"barcode: the LIMS has {lims.barcode}, the sample changer read {pin.barcode}"
        )
    if lims.container_barcode and puck_barcode and lims.container_barcode != puck_barcode:
        problems.append(
            f"puck barcode: the LIMS has {lims.container_barcode}, "
            f"the sample changer read {puck_barcode}"
        )
    return "; ".join(problems)


def mismatch_list(mismatches: Mapping[str, str], limit: int = MAX_LISTED) -> str:
    """Rich text, one ``address: what disagrees`` a line, at most ``limit`` lines."""
    lines = [html.escape(f"{a}: {m}") for a, m in list(mismatches.items())[:limit]]
    if len(mismatches) > limit:
        lines.append(f"... and {len(mismatches) - limit} more")
    return "<br>".join(lines)


def lims_label(lims: LimsSample) -> str:
    """``"HEWL-A01 (HEWL)"``: the LIMS name and protein acronym."""
    if lims.acronym and lims.acronym != lims.name:
        return f"{lims.name} ({lims.acronym})"
    return lims.name


def lims_tooltip_lines(lims: LimsSample, changer_barcode: str = "") -> list[str]:
    """Rich-text lines saying what the LIMS has for a pin: name and acronym, blSampleId,
    barcode (unless the sample changer read the same, ``changer_barcode``), container
    (code, barcode, location) and the crystal's space group."""
    e = html.escape
    lines = [f"LIMS: <b>{e(lims_label(lims))}</b>", f"blSampleId {lims.sample_id}"]
    if lims.barcode and lims.barcode != changer_barcode:
        lines.append(f"LIMS barcode {e(lims.barcode)}")
    container = lims.container_code or (f"id {lims.container_id}" if lims.container_id else "")
    if container:
        words = [f"container {e(container)}"]
        if lims.container_barcode and lims.container_barcode != lims.container_code:
            words.append(f"barcode {e(lims.container_barcode)}")
        if lims.container_location:
            words.append(f"location {e(lims.container_location)}")
        lines.append(", ".join(words))
    if lims.space_group:
        lines.append(f"space group {e(lims.space_group)}")
    return lines
