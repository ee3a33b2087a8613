"""The few rows an ISPyB write needs before it: a person, a proposal, a session today and
a sample in a container of a dewar of a shipment (the writer tests' seed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mxgui.core.lims.database import ispyb_models


@dataclass(frozen=True)
class Seeded:
    """The ids a write refers to."""

    proposal_id: int
    session_id: int
    sample_id: int


def seed(engine: Engine) -> Seeded:
    """Insert the rows (the foreign keys that default to 0 all given; the container's
    ``priorityPipelineId`` NULL: its default 6 names a row a fresh database lacks)."""
    tables = ispyb_models().Base.metadata.tables
    now = dt.datetime.now().replace(microsecond=0)

    def insert(connection: sa.Connection, table: str, **values: object) -> int:
        result = connection.execute(sa.insert(tables[table]).values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    with engine.begin() as c:
        person = insert(c, "Person", login="jdoe", familyName="Doe", givenName="Jane")
        proposal = insert(
            c, "Proposal", personId=person, proposalCode="mx", proposalNumber="1234", title="Demo"
        )
        session = insert(
            c,
            "BLSession",
            proposalId=proposal,
            beamLineName="SIM-1",
            visit_number=1,
            startDate=now - dt.timedelta(hours=2),
            endDate=now + dt.timedelta(hours=22),
        )
        protein = insert(c, "Protein", proposalId=proposal, acronym="HEWL", name="lysozyme")
        crystal = insert(c, "Crystal", proteinId=protein)
        shipping = insert(c, "Shipping", proposalId=proposal, shippingName="ship-1")
        dewar = insert(c, "Dewar", shippingId=shipping, code="DW-1")
        container = insert(
            c,
            "Container",
            dewarId=dewar,
            code="puck-1",
            barcode="P0001",
            sampleChangerLocation="1",
            priorityPipelineId=None,
        )
        sample = insert(
            c, "BLSample", crystalId=crystal, containerId=container, name="HEWL_01", location="1"
        )
    return Seeded(proposal, session, sample)
