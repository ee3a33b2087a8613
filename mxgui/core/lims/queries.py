"""Reading ISPyB: people, proposals, beamline sessions and the samples of a proposal.

Plain SQLAlchemy Core on ISPyB's own tables (the ``ispyb`` package's models), the same
statements on MariaDB and on the embedded SQLite; plain frozen dataclasses out, so that
callers never hold a database row or a connection. Every function takes an open
``sqlalchemy.Connection``; errors reaching the database are raised as they are (see
:func:`mxgui.core.lims.database.is_transient`).

:data:`LOGIN_SCHEMA` lists every table and column read here: checked once at the first
connection (:func:`mxgui.core.lims.database.schema_problems`), so a schema too old is
named instead of failing in the middle of a login.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from mxgui.core.lims.database import ispyb_models

#: the tables and columns read here (``schema_problems`` names the missing ones)
LOGIN_SCHEMA: dict[str, tuple[str, ...]] = {
    "Person": ("personId", "login", "givenName", "familyName"),
    "Proposal": ("proposalId", "personId", "proposalCode", "proposalNumber", "title"),
    "ProposalHasPerson": ("proposalId", "personId"),
    "BLSession": ("sessionId", "proposalId", "beamLineName", "startDate", "endDate"),
    "Session_has_Person": ("sessionId", "personId"),
    "Shipping": ("shippingId", "proposalId"),
    "Dewar": ("dewarId", "shippingId"),
    "Container": ("containerId", "dewarId", "code", "barcode", "sampleChangerLocation"),
    "BLSample": ("blSampleId", "containerId", "crystalId", "name", "code", "location"),
    "Crystal": ("crystalId", "proteinId", "spaceGroup", "cell_a", "cell_alpha"),
    "Protein": ("proteinId", "acronym"),
}

_PROPOSAL = re.compile(r"\s*([A-Za-z][A-Za-z-]*?)-?(\d+)\s*")


def split_proposal(text: str) -> tuple[str, str]:
    """``("mx", "1234")`` for ``"mx1234"`` (also ``"MX-1234"``, ``"ih-ls3000"``, keeping the
    code's case); ``ValueError`` saying what a proposal looks like."""
    match = _PROPOSAL.fullmatch(text or "")
    if match is None:
        raise ValueError(f"proposal {text!r}: expected a code and a number, e.g. mx1234")
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class LimsPerson:
    """A person of ISPyB (``Person``)."""

    person_id: int
    login: str
    given_name: str = ""
    family_name: str = ""

    @property
    def full_name(self) -> str:
        """``"Jane Doe"``, or the login when the names are empty."""
        return " ".join(n for n in (self.given_name, self.family_name) if n) or self.login


@dataclass(frozen=True)
class LimsProposal:
    """A proposal (``Proposal``): code and number, title, its principal investigator."""

    proposal_id: int
    code: str
    number: str
    title: str = ""
    person_id: int | None = None

    @property
    def name(self) -> str:
        """Code and number together, e.g. ``mx1234``."""
        return f"{self.code}{self.number}"


@dataclass(frozen=True)
class LimsSession:
    """A beamline session (``BLSession``) of a proposal, from ``start`` to ``end``."""

    session_id: int
    proposal_id: int
    beamline: str
    start: dt.datetime | None
    end: dt.datetime | None

    def covers(self, day: dt.date) -> bool:
        """Whether the session runs at some time on ``day``."""
        if self.start is None or self.end is None:
            return False
        return self.start.date() <= day <= self.end.date()

    def as_dict(self) -> dict[str, object]:
        """Plain values (for signals): ids, beamline, times in ISO form."""
        return {
            "session_id": self.session_id,
            "proposal_id": self.proposal_id,
            "beamline": self.beamline,
            "start": self.start.isoformat(sep=" ") if self.start else "",
            "end": self.end.isoformat(sep=" ") if self.end else "",
        }


@dataclass(frozen=True)
class LimsSample:
    """A sample of a proposal (``BLSample``) with its container, protein and crystal.

    ``puck`` is the container's ``sampleChangerLocation`` as a number and ``pin`` the
    sample's ``location``; either is ``None`` when the LIMS does not say (or says
    something that is not a number: the text is kept in ``container_location`` /
    ``location``).
    """

    sample_id: int
    name: str
    acronym: str = ""
    barcode: str = ""
    container_id: int | None = None
    container_code: str = ""
    container_barcode: str = ""
    container_location: str = ""
    location: str = ""
    space_group: str = ""
    cell: tuple[float, float, float, float, float, float] | None = None

    @property
    def puck(self) -> int | None:
        """The puck position in the sample changer, or ``None``."""
        return _positive_int(self.container_location)

    @property
    def pin(self) -> int | None:
        """The pin position in the puck, or ``None``."""
        return _positive_int(self.location)

    @property
    def address(self) -> str | None:
        """``"puck:pin"`` as the sample changer names it (``"3:05"``), or ``None``."""
        puck, pin = self.puck, self.pin
        return f"{puck}:{pin:02d}" if puck is not None and pin is not None else None


def _positive_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _tables() -> dict[str, sa.Table]:
    tables: dict[str, sa.Table] = dict(ispyb_models().Base.metadata.tables)
    return tables


def find_person(connection: sa.Connection, login: str) -> LimsPerson | None:
    """The person whose ``login`` is ``login``, or ``None``."""
    person = _tables()["Person"]
    row = connection.execute(
        sa.select(person.c.personId, person.c.login, person.c.givenName, person.c.familyName)
        .where(person.c.login == login)
        .order_by(person.c.personId)
        .limit(1)
    ).first()
    if row is None:
        return None
    return LimsPerson(int(row[0]), _text(row[1]), _text(row[2]), _text(row[3]))


def person_by_id(connection: sa.Connection, person_id: int) -> LimsPerson | None:
    """The person ``person_id``, or ``None``."""
    person = _tables()["Person"]
    row = connection.execute(
        sa.select(person.c.personId, person.c.login, person.c.givenName, person.c.familyName).where(
            person.c.personId == person_id
        )
    ).first()
    if row is None:
        return None
    return LimsPerson(int(row[0]), _text(row[1]), _text(row[2]), _text(row[3]))


def _proposal_columns(proposal: sa.Table) -> list[sa.ColumnElement[object]]:
    return [
        proposal.c.proposalId,
        proposal.c.proposalCode,
        proposal.c.proposalNumber,
        proposal.c.title,
        proposal.c.personId,
    ]


def _proposal(row: Sequence[object]) -> LimsProposal:
    person_id = row[4]
    return LimsProposal(
        int(str(row[0])),
        _text(row[1]),
        _text(row[2]),
        _text(row[3]),
        int(str(person_id)) if person_id is not None else None,
    )


def find_proposal(connection: sa.Connection, code: str, number: str) -> LimsProposal | None:
    """The proposal ``code`` + ``number`` (the code in any case), or ``None``."""
    proposal = _tables()["Proposal"]
    row = connection.execute(
        sa.select(*_proposal_columns(proposal))
        .where(sa.func.lower(proposal.c.proposalCode) == code.lower())
        .where(proposal.c.proposalNumber == number)
        .order_by(proposal.c.proposalId)
        .limit(1)
    ).first()
    return _proposal(row) if row is not None else None


def proposals_of(connection: sa.Connection, person_id: int) -> list[LimsProposal]:
    """The proposals ``person_id`` belongs to: as principal investigator, as a member
    (``ProposalHasPerson``) or through one of its sessions (``Session_has_Person``)."""
    t = _tables()
    proposal, member, session, on_session = (
        t["Proposal"],
        t["ProposalHasPerson"],
        t["BLSession"],
        t["Session_has_Person"],
    )
    as_member = sa.select(member.c.proposalId).where(member.c.personId == person_id)
    in_session = (
        sa.select(session.c.proposalId)
        .join(on_session, on_session.c.sessionId == session.c.sessionId)
        .where(on_session.c.personId == person_id)
    )
    rows = connection.execute(
        sa.select(*_proposal_columns(proposal))
        .where(
            sa.or_(
                proposal.c.personId == person_id,
                proposal.c.proposalId.in_(as_member),
                proposal.c.proposalId.in_(in_session),
            )
        )
        .order_by(proposal.c.proposalCode, proposal.c.proposalNumber)
    )
    return [_proposal(row) for row in rows]


def is_member(connection: sa.Connection, proposal: LimsProposal, person_id: int) -> bool:
    """Whether ``person_id`` belongs to ``proposal`` (see :func:`proposals_of`)."""
    return any(p.proposal_id == proposal.proposal_id for p in proposals_of(connection, person_id))


def sessions_of(
    connection: sa.Connection,
    proposal_id: int,
    beamline: str,
    day: dt.date | None = None,
) -> list[LimsSession]:
    """The sessions of ``proposal_id`` on ``beamline`` (its name in any case), by start:
    those running at some time on ``day``, or all of them when ``day`` is ``None``."""
    session = _tables()["BLSession"]
    query = (
        sa.select(
            session.c.sessionId,
            session.c.proposalId,
            session.c.beamLineName,
            session.c.startDate,
            session.c.endDate,
        )
        .where(session.c.proposalId == proposal_id)
        .where(sa.func.lower(session.c.beamLineName) == beamline.lower())
        .order_by(session.c.startDate, session.c.sessionId)
    )
    if day is not None:
        midnight = dt.datetime.combine(day, dt.time())
        query = query.where(session.c.startDate < midnight + dt.timedelta(days=1)).where(
            session.c.endDate >= midnight
        )
    return [
        LimsSession(int(row[0]), int(row[1]), _text(row[2]), row[3], row[4])
        for row in connection.execute(query)
    ]


def session_by_id(connection: sa.Connection, session_id: int) -> LimsSession | None:
    """The session ``session_id``, or ``None``."""
    session = _tables()["BLSession"]
    row = connection.execute(
        sa.select(
            session.c.sessionId,
            session.c.proposalId,
            session.c.beamLineName,
            session.c.startDate,
            session.c.endDate,
        ).where(session.c.sessionId == session_id)
    ).first()
    if row is None:
        return None
    return LimsSession(int(row[0]), int(row[1]), _text(row[2]), row[3], row[4])


def _cell(values: tuple[object, ...]) -> tuple[float, float, float, float, float, float] | None:
    if any(v is None for v in values):
        return None
    a, b, c, alpha, beta, gamma = (float(str(v)) for v in values)  # DOUBLE may be a Decimal
    return (a, b, c, alpha, beta, gamma)


def samples_of(connection: sa.Connection, proposal_id: int) -> list[LimsSample]:
    """The samples shipped by ``proposal_id`` (``Shipping`` > ``Dewar`` > ``Container`` >
    ``BLSample``), with protein acronym and crystal, by puck and pin where known."""
    t = _tables()
    shipping, dewar, container = t["Shipping"], t["Dewar"], t["Container"]
    sample, crystal, protein = t["BLSample"], t["Crystal"], t["Protein"]
    query = (
        sa.select(
            sample.c.blSampleId,
            sample.c.name,
            protein.c.acronym,
            sample.c.code,
            container.c.containerId,
            container.c.code,
            container.c.barcode,
            container.c.sampleChangerLocation,
            sample.c.location,
            crystal.c.spaceGroup,
            crystal.c.cell_a,
            crystal.c.cell_b,
            crystal.c.cell_c,
            crystal.c.cell_alpha,
            crystal.c.cell_beta,
            crystal.c.cell_gamma,
        )
        .select_from(sample)
        .join(container, container.c.containerId == sample.c.containerId)
        .join(dewar, dewar.c.dewarId == container.c.dewarId)
        .join(shipping, shipping.c.shippingId == dewar.c.shippingId)
        .outerjoin(crystal, crystal.c.crystalId == sample.c.crystalId)
        .outerjoin(protein, protein.c.proteinId == crystal.c.proteinId)
        .where(shipping.c.proposalId == proposal_id)
        .order_by(sample.c.blSampleId)
    )
    samples = [
        LimsSample(
            sample_id=int(row[0]),
            name=_text(row[1]),
            acronym=_text(row[2]),
            barcode=_text(row[3]),
            container_id=int(row[4]),
            container_code=_text(row[5]),
            container_barcode=_text(row[6]),
            container_location=_text(row[7]),
            location=_text(row[8]),
            space_group=_text(row[9]),
            cell=_cell(tuple(row[10:16])),
        )
        for row in connection.execute(query)
    ]
    unplaced = 1 << 30
    samples.sort(key=lambda s: (s.puck or unplaced, s.pin or unplaced, s.sample_id))
    return samples
