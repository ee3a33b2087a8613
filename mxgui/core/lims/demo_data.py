"""The demo LIMS content: a person, proposal ``mx1234``, its sessions and its shipment.

:func:`seed_demo` writes, in one transaction, what a user of the embedded default (and
the tests) logs in to: the person ``demo`` (Demo User), proposal ``mx1234`` ("Demo
proposal") with three sessions on the beamline (today, tomorrow, last week), and a
shipment whose dewar holds one container per puck of the sample changer, each sample with
its name, barcode, pin, protein (acronym) and crystal (space group and cell for the
simulated proteins). :func:`ensure_demo_session` adds a session running now when the
file is older than its sessions (the demo can be logged in to on any day). The rows
follow ISPyB's traps (docs/lims.md): every foreign key that defaults to 0 is given, and
``Container.priorityPipelineId`` is written as NULL.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from mxgui.core.lims import clock
from mxgui.core.lims.database import create_schema, ispyb_models, make_engine
from mxgui.core.lims.ispyb_rows import Rows

DEMO_LOGIN = "demo"
DEMO_PROPOSAL = ("mx", "1234")
DEMO_TITLE = "Demo proposal"
#: sessions run from 08:00 to 08:00 the next day, as beamtime is usually given
SESSION_START = dt.time(8, 0)
#: space group and cell (a, b, c, alpha, beta, gamma) of the simulated sample changer's
#: proteins, so the demo's crystals look like the real ones
CRYSTAL_FORMS: dict[str, tuple[str, tuple[float, float, float, float, float, float]]] = {
    "HEWL": ("P43212", (79.1, 79.1, 37.9, 90.0, 90.0, 90.0)),
    "Thaum": ("P41212", (58.6, 58.6, 151.8, 90.0, 90.0, 90.0)),
    "Insulin": ("I213", (78.0, 78.0, 78.0, 90.0, 90.0, 90.0)),
    "ProtK": ("P43212", (67.9, 67.9, 102.2, 90.0, 90.0, 90.0)),
    "FAE": ("P21212", (120.5, 100.9, 54.3, 90.0, 90.0, 90.0)),
    "Trypsin": ("P212121", (54.8, 58.4, 66.9, 90.0, 90.0, 90.0)),
    "GlcIso": ("I222", (93.9, 99.6, 102.9, 90.0, 90.0, 90.0)),
    "Ferritin": ("F432", (181.6, 181.6, 181.6, 90.0, 90.0, 90.0)),
}


@dataclass(frozen=True)
class DemoPin:
    """A filled pin of a puck: its position (1..16), sample name, barcode, acronym."""

    pin: int
    name: str
    barcode: str = ""
    acronym: str = ""


@dataclass(frozen=True)
class DemoPuck:
    """A puck in the sample changer: its position (1..N), code, barcode, filled pins."""

    index: int
    code: str
    barcode: str = ""
    capacity: int = 16
    pins: tuple[DemoPin, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DemoIds:
    """The ids of what :func:`seed_demo` wrote."""

    person_id: int
    proposal_id: int
    session_today: int
    session_tomorrow: int
    session_last_week: int
    container_ids: tuple[int, ...]
    sample_ids: tuple[int, ...]


def create_demo_file(
    path: Path, beamline: str, pucks: Sequence[DemoPuck], wait: float = 120.0
) -> DemoIds | None:
    """Make the SQLite file ``path`` with ISPyB's schema and the demo (:func:`seed_demo`)
    unless it exists; the ids written, ``None`` when the file was there (or another
    process made it meanwhile). It is made aside and renamed, so an interrupted start
    leaves no half-made database, and under ``<path>.lock``, so that two first starts
    at once make it once (the second waits up to ``wait`` seconds; ``OSError`` then)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "ab") as lock:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OSError(
                        f"{path}: another process has been making it for {wait:g} s"
                    ) from None
                time.sleep(0.05)
        if path.exists():  # made by the process that held the lock
            return None
        for leftover in path.parent.glob(f"{path.name}.part*"):  # of a start cut short
            leftover.unlink(missing_ok=True)
        part = path.with_name(f"{path.name}.part-{os.getpid()}")
        engine = make_engine(f"sqlite:///{part}")
        try:
            create_schema(engine)
            ids = seed_demo(engine, beamline, pucks)
            with engine.connect() as connection:  # all of it in the one file to rename
                connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
        finally:
            engine.dispose()
        os.replace(part, path)
    return ids


def _session_values(start: dt.datetime, beamline: str, visit: int) -> dict[str, object]:
    return {
        "startDate": start,
        "endDate": start + dt.timedelta(days=1),
        "beamLineName": beamline,
        "visit_number": visit,  # unique per proposal
        "scheduled": 1,
        "nbShifts": 3,
        "comments": "demo session",
    }


def ensure_demo_session(
    connection: sa.Connection, beamline: str, now: dt.datetime | None = None
) -> int | None:
    """Add a session of the demo proposal on ``beamline`` running at ``now`` (from the
    last 08:00, for a day) unless it has one; the new session's id, ``None`` when one was
    running or the database holds no demo proposal. Committed on ``connection``."""
    tables = ispyb_models().Base.metadata.tables
    proposal, session = tables["Proposal"], tables["BLSession"]
    now = now or clock.now()
    code, number = DEMO_PROPOSAL
    found = connection.execute(
        sa.select(proposal.c.proposalId, proposal.c.personId)
        .where(proposal.c.proposalCode == code, proposal.c.proposalNumber == number)
        .order_by(proposal.c.proposalId)
        .limit(1)
    ).first()
    if found is None:
        return None
    proposal_id, person_id = int(found[0]), found[1]
    running = connection.execute(
        sa.select(session.c.sessionId).where(
            session.c.proposalId == proposal_id,
            sa.func.lower(session.c.beamLineName) == beamline.lower(),
            session.c.startDate <= now,
            session.c.endDate > now,
        )
    ).first()
    if running is not None:
        return None
    last_visit = connection.execute(
        sa.select(sa.func.max(session.c.visit_number)).where(session.c.proposalId == proposal_id)
    ).scalar()
    start = dt.datetime.combine(now.date(), SESSION_START)
    if start > now:
        start -= dt.timedelta(days=1)
    values = _session_values(start, beamline, int(last_visit or 0) + 1)
    session_id = _insert(connection, session, proposalId=proposal_id, **values)
    if person_id is not None:
        connection.execute(
            sa.insert(tables["Session_has_Person"]).values(
                sessionId=session_id, personId=person_id, role="Principal Investigator"
            )
        )
    connection.commit()
    return session_id


def _insert(connection: sa.Connection, table: sa.Table, **values: object) -> int:
    """One row, its id; ``None`` is written as SQL NULL (``Container.priorityPipelineId``
    must not take its default), lengths and enums checked as the writer checks them."""
    rows = Rows(connection, {table.name: table}, "the demo")
    return rows.insert(table.name, values, null=[k for k, v in values.items() if v is None])


def seed_demo(
    engine: sa.Engine,
    beamline: str,
    pucks: Sequence[DemoPuck],
    today: dt.date | None = None,
) -> DemoIds:
    """Write the demo person, proposal, sessions on ``beamline`` and a shipment holding
    ``pucks`` (see the module's docstring); ``today`` is the day of the current session
    (default: today)."""
    tables = ispyb_models().Base.metadata.tables
    today = today or clock.today()
    code, number = DEMO_PROPOSAL

    def session_on(day: dt.date, visit: int) -> dict[str, object]:
        return _session_values(dt.datetime.combine(day, SESSION_START), beamline, visit)

    with engine.begin() as connection:
        person_id = _insert(
            connection,
            tables["Person"],
            login=DEMO_LOGIN,
            givenName="Demo",
            familyName="User",
            emailAddress="demo@example.org",
        )
        proposal_id = _insert(
            connection,
            tables["Proposal"],
            personId=person_id,
            proposalCode=code,
            proposalNumber=number,
            title=DEMO_TITLE,
            proposalType="MX",
            state="Open",
        )
        _insert(
            connection,
            tables["ProposalHasPerson"],
            proposalId=proposal_id,
            personId=person_id,
            role="Principal Investigator",
        )
        session_ids = []
        # visits numbered in time order: last week's is 1
        for day, visit in (
            (today, 2),
            (today + dt.timedelta(days=1), 3),
            (today - dt.timedelta(days=7), 1),
        ):
            session_id = _insert(
                connection, tables["BLSession"], proposalId=proposal_id, **session_on(day, visit)
            )
            connection.execute(
                sa.insert(tables["Session_has_Person"]).values(
                    sessionId=session_id, personId=person_id, role="Principal Investigator"
                )
            )
            session_ids.append(session_id)
        shipping_id = _insert(
            connection,
            tables["Shipping"],
            proposalId=proposal_id,
            shippingName="Demo shipment",
            shippingStatus="processing",
            creationDate=dt.datetime.combine(today, dt.time()) - dt.timedelta(days=14),
        )
        dewar_id = _insert(
            connection,
            tables["Dewar"],
            shippingId=shipping_id,
            code="Demo-dewar-1",
            barCode="DEWAR0001",
            type="Dewar",
            dewarStatus="processing",
            firstExperimentId=session_ids[0],
        )
        crystals = _proteins_and_crystals(connection, tables, proposal_id, pucks)
        container_ids: list[int] = []
        sample_rows: list[dict[str, object]] = []
        for puck in pucks:
            container_id = _insert(
                connection,
                tables["Container"],
                dewarId=dewar_id,
                code=puck.code,
                barcode=puck.barcode or None,
                containerType="Unipuck",
                capacity=puck.capacity,
                sampleChangerLocation=str(puck.index),
                beamlineLocation=beamline,
                containerStatus="processing",
                sessionId=session_ids[0],
                priorityPipelineId=None,  # its default, 6, is a row a new database lacks
            )
            container_ids.append(container_id)
            sample_rows.extend(
                {
                    "containerId": container_id,
                    "crystalId": crystals.get(pin.acronym),
                    "name": pin.name,
                    "code": pin.barcode or None,
                    "location": str(pin.pin),
                    "isInSampleChanger": 1,
                }
                for pin in puck.pins
            )
        sample_ids = []
        for row in sample_rows:  # one by one: each id is needed, in order
            sample_ids.append(_insert(connection, tables["BLSample"], **row))
    return DemoIds(
        person_id,
        proposal_id,
        session_ids[0],
        session_ids[1],
        session_ids[2],
        tuple(container_ids),
        tuple(sample_ids),
    )


def _proteins_and_crystals(
    connection: sa.Connection,
    tables: Mapping[str, sa.Table],
    proposal_id: int,
    pucks: Sequence[DemoPuck],
) -> dict[str, int]:
    """One Protein and one Crystal per acronym of ``pucks``: acronym -> crystal id."""
    acronyms = sorted({pin.acronym for puck in pucks for pin in puck.pins if pin.acronym})
    crystals = {}
    for acronym in acronyms:
        protein_id = _insert(
            connection,
            tables["Protein"],
            proposalId=proposal_id,
            name=acronym,
            acronym=acronym,
            proteinType="PROTEIN",
        )
        crystal: dict[str, object] = {"proteinId": protein_id, "name": f"{acronym} crystal"}
        form = CRYSTAL_FORMS.get(acronym)
        if form is not None:
            space_group, cell = form
            crystal["spaceGroup"] = space_group
            for key, value in zip(
                ("cell_a", "cell_b", "cell_c", "cell_alpha", "cell_beta", "cell_gamma"), cell
            ):
                crystal[key] = value
        crystals[acronym] = _insert(connection, tables["Crystal"], **crystal)
    return crystals
