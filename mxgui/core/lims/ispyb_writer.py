"""Storing experiments as ISPyB stores them: one outbox operation, one transaction.

The contract (the outbox's sender and classifier)::

    writer = IspybWriter(engine)          # make_engine(url): MariaDB / MySQL or SQLite
    result = writer.send(operation)       # {"id": 42, ...}
    fault = writer.classify(exc)          # "retry" | "permanent"

- ``operation`` has ``kind``, ``payload`` (JSON, references already resolved to ids)
  and ``attempts`` (the attempts before this one). With ``attempts > 0`` an earlier
  attempt may have committed before its answer was lost, so the row is first looked
  for by a natural key (below) and its id returned: nothing is written twice.
- ``classify`` is ``"retry"`` when the database is away (:func:`database.is_transient`)
  or refuses every write for now (:func:`database.refuses_everyone`: a wrong password, a
  read-only server; or no transaction could be begun) and ``"permanent"`` otherwise: a
  bad payload (:class:`PayloadError`), a schema too old (:class:`SchemaError`, naming
  the missing table or column), a row refused. The values
  are those of the outbox's ``OutboxFault`` (``OutboxFault(writer.classify(exc))``).
- Payloads are built by :mod:`mxgui.core.lims.records`; times are local
  ``"YYYY-MM-DD HH:MM:SS"``; energies keV, lengths mm, transmission %.

Kinds, the rows they write and (in brackets) the natural key looked up on a retry:

- ``data_collection_group``: ``DataCollectionGroup`` (session, sample, experimentType,
  startTime, not ended and with no collection yet); ``data_collection_group_end``: its
  endTime.
- ``data_collection``: ``DataCollection`` with runStatus "Data collection started"
  (group, imageDirectory, imagePrefix, run number, first image: mxgui reuses only a
  run that wrote no file); ``data_collection_end``: runStatus "Data collection
  successful" / "... failed" / "... stopped" (by the user), endTime, numberOfImages =
  images written, the reason in comments (with "x of y images written", y the
  payload's number_of_images), the crystal snapshots (they are taken after the
  collection's start).
- ``grid_info``: ``GridInfo`` of a mesh, tied to its collection and group (the
  collection); ``image_quality_indicators``: one ``ImageQualityIndicators`` row per image
  (dozor_score, spotTotal), inserted or updated (the table's key: collection, image).
- ``energy_scan``: ``EnergyScan`` (the edge's name in edgeEnergy, the remote energy
  and the edge's energy in comments: schema 5.2.0 has no column for them) and
  ``BLSample_has_EnergyScan`` (session, startTime, element, scan file).
- ``robot_action``: ``RobotAction``, once, when the action has ended (an update would
  reset its startTimestamp); dewarLocation is the puck, containerLocation the pin
  (session, sample, actionType, start and end).
- ``workflow_run``: schema 5.2.0 has no workflow table: a ``ProcessingJob`` (its
  parameters as ``ProcessingJobParameter`` rows), an ``AutoProcProgram`` (status: NULL
  running, 1 success, 0 failed) and an ``AutoProcProgramAttachment`` for the log
  (displayName, recordTimestamp, collection); the result also carries
  ``auto_proc_program_id``. ``workflow_run_end``: the program's status, message and end.
  ``workflow_run_update``: a run's ``ProcessingJob.dataCollectionId`` (the first
  collection the run made) and more ``ProcessingJobParameter`` rows (such as the
  ``lims_id`` a workflow gave with ``queue_set_workflow_lims_id``) (job, key, value).
- ``screening``: ``Screening``, ``ScreeningOutput`` and, with a strategy, one
  ``ScreeningStrategy`` and ``ScreeningStrategyWedge`` and one
  ``ScreeningStrategySubWedge`` per proposed sweep, in order (collection, program).
- ``image_jpegs``: one ``Image`` row per image with jpegFileFullPath and
  jpegThumbnailFileFullPath, inserted or updated (collection, image number).
- ``session_lookup``: writes nothing; finds the ``BLSession`` of a proposal (code and
  number) on a beamline running on a day (``"YYYY-MM-DD"``; of several, the first by
  start) - what a local login collected refers to it. None found is a
  :class:`PayloadError` naming them.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from mxgui.core.lims import clock
from mxgui.core.lims.database import (
    is_transient,
    ispyb_models,
    redacted,
    refuses_everyone,
    schema_problems,
    short_reason,
)
from mxgui.core.lims.ispyb_rows import (
    DatabaseNotReady,
    Fields,
    PayloadError,
    Rows,
    SchemaError,
    schema_columns,
)
from mxgui.core.lims.records import RUN_FAILED, RUN_STARTED, RUN_STOPPED, RUN_SUCCESSFUL

if TYPE_CHECKING:
    from mxgui.core.lims.queries import LimsSession

__all__ = ["PERMANENT", "RETRY", "IspybWriter", "PayloadError", "SchemaError"]

log = logging.getLogger(__name__)

#: what :meth:`IspybWriter.classify` answers (the outbox's ``OutboxFault`` values)
RETRY = "retry"
PERMANENT = "permanent"


Result = dict[str, object]


class OperationLike(Protocol):
    """What the writer reads of an outbox operation."""

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, object]: ...

    @property
    def attempts(self) -> int: ...


Handler = Callable[[Rows, Fields, bool], Result]


class IspybWriter:
    """Writes outbox operations into an ISPyB database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._tables: Mapping[str, sa.Table] | None = None
        self._columns: dict[str, set[str] | None] = {}
        self._handlers: dict[str, Handler] = {
            "data_collection_group": self._group,
            "data_collection_group_end": self._group_end,
            "data_collection": self._collection,
            "data_collection_end": self._collection_end,
            "grid_info": self._grid_info,
            "image_quality_indicators": self._quality_indicators,
            "energy_scan": self._energy_scan,
            "robot_action": self._robot_action,
            "workflow_run": self._workflow_run,
            "workflow_run_end": self._workflow_run_end,
            "workflow_run_update": self._workflow_run_update,
            "screening": self._screening,
            "image_jpegs": self._image_jpegs,
            "session_lookup": _session_lookup,
        }

    @property
    def kinds(self) -> tuple[str, ...]:
        """The operation kinds this writer knows."""
        return tuple(self._handlers)

    def send(self, operation: OperationLike) -> Result:
        """Write ``operation`` in one transaction; its result (``{"id": ...}``).

        Raises :class:`PayloadError` for a payload that cannot be written,
        :class:`SchemaError` when the database lacks what it needs,
        :class:`DatabaseNotReady` when no transaction could be begun for another reason,
        and SQLAlchemy's errors as they are otherwise (:meth:`classify` says what they mean).
        """
        handler = self._handlers.get(operation.kind)
        if handler is None:
            raise PayloadError(
                f"unknown LIMS operation {operation.kind!r} (known: {', '.join(self.kinds)})"
            )
        fields = Fields(operation.kind, operation.payload)
        tables = self._models_tables()
        rows: Rows | None = None
        try:
            with self.engine.begin() as connection:
                rows = Rows(connection, tables, operation.kind)
                return handler(rows, fields, operation.attempts > 0)
        except sa_exc.DBAPIError as exc:
            if is_transient(exc) or refuses_everyone(exc):
                raise
            if rows is None:  # before any row: the database, not this operation
                raise DatabaseNotReady(f"{operation.kind}: {short_reason(exc)}") from exc
            problems = self._schema_problems(rows.touched)
            if problems:
                raise SchemaError(f"{operation.kind}: " + "; ".join(problems)) from exc
            if isinstance(exc, (sa_exc.IntegrityError, sa_exc.DataError)):
                reason = exc.orig if exc.orig is not None else exc
                raise PayloadError(f"{operation.kind}: the database refused it: {reason}") from exc
            raise

    def classify(self, exc: BaseException) -> str:
        """:data:`RETRY` when the database is away or refuses every write for now, else
        :data:`PERMANENT`."""
        if isinstance(exc, (PayloadError, SchemaError)):
            return PERMANENT
        if isinstance(exc, DatabaseNotReady) or is_transient(exc) or refuses_everyone(exc):
            return RETRY
        return PERMANENT

    def _schema_problems(self, touched: Mapping[str, set[str]]) -> list[str]:
        try:
            return schema_problems(self.engine, {t: sorted(c) for t, c in touched.items()})
        except sa_exc.SQLAlchemyError as exc:  # the first error stands; this one is logged
            log.warning("checking the schema of %s: %s", redacted(self.engine.url), exc)
            return []

    def _models_tables(self) -> Mapping[str, sa.Table]:
        if self._tables is None:
            self._tables = ispyb_models().Base.metadata.tables
        return self._tables

    def _has(self, rows: Rows, table: str, column: str | None = None) -> bool:
        """True when the database has ``table`` (and its ``column``): for rows that
        older schemas lack (asked once per writer)."""
        if table not in self._columns:
            self._columns[table] = schema_columns(rows.connection, table)
        columns = self._columns[table]
        return columns is not None and (column is None or column in columns)

    # -- groups and collections ---------------------------------------------------------------
    def _group(self, rows: Rows, f: Fields, retry: bool) -> Result:
        values = {
            "sessionId": f.integer("session_id"),
            "blSampleId": f.opt_integer("sample_id"),
            "experimentType": f.text("experiment_type"),
            "startTime": f.time("start_time"),
        }
        if retry:
            group = rows.table("DataCollectionGroup")
            collection = rows.table("DataCollection")
            childless = ~sa.exists().where(
                collection.c.dataCollectionGroupId == group.c.dataCollectionGroupId
            )
            found = rows.find("DataCollectionGroup", {**values, "endTime": None}, childless)
            if found is not None:
                return {"id": found}
        values["comments"] = f.opt_text("comments")
        return {"id": rows.insert("DataCollectionGroup", values)}

    def _group_end(self, rows: Rows, f: Fields, retry: bool) -> Result:
        group_id = f.integer("group_id")
        rows.update("DataCollectionGroup", group_id, {"endTime": f.time("end_time")})
        return {"id": group_id}

    def _collection(self, rows: Rows, f: Fields, retry: bool) -> Result:
        key = {
            "dataCollectionGroupId": f.integer("group_id"),
            "imageDirectory": f.text("image_directory"),
            "imagePrefix": f.text("image_prefix"),
            "dataCollectionNumber": f.integer("run_number"),
            "startImageNumber": f.integer("start_image_number"),
        }
        if retry:
            found = rows.find("DataCollection", key)
            if found is not None:
                return {"id": found}
        values = {
            **key,
            "SESSIONID": f.integer("session_id"),
            "BLSAMPLEID": f.opt_integer("sample_id"),
            "runStatus": RUN_STARTED,
            "startTime": f.time("start_time"),
            "rotationAxis": "Omega",
            "axisStart": f.number("axis_start"),
            "axisEnd": f.opt_number("axis_end"),
            "axisRange": f.number("axis_range"),
            "overlap": f.opt_number("overlap"),
            "numberOfImages": f.integer("number_of_images"),
            "numberOfPasses": f.opt_integer("number_of_passes"),
            "exposureTime": f.number("exposure_time"),
            "wavelength": f.number("wavelength"),
            "resolution": f.opt_number("resolution"),
            "detectorDistance": f.opt_number("detector_distance"),
            "transmission": f.opt_number("transmission"),
            "beamSizeAtSampleX": f.opt_number("beam_size_x"),
            "beamSizeAtSampleY": f.opt_number("beam_size_y"),
            "flux": f.opt_number("flux"),
            "imageSuffix": f.opt_text("image_suffix"),
            "fileTemplate": f.text("file_template"),
            "comments": f.opt_text("comments"),
        }
        for index in range(1, 5):
            values[f"xtalSnapshotFullPath{index}"] = f.opt_text(f"snapshot_{index}")
        return {"id": rows.insert("DataCollection", values)}

    def _collection_end(self, rows: Rows, f: Fields, retry: bool) -> Result:
        collection_id = f.integer("collection_id")
        status = f.text("run_status")
        if status not in (RUN_SUCCESSFUL, RUN_FAILED, RUN_STOPPED):
            raise PayloadError(
                f"{f.kind}: run_status: expected {RUN_SUCCESSFUL!r}, {RUN_FAILED!r} or "
                f"{RUN_STOPPED!r}, got {status!r}"
            )
        written = f.integer("images_written")
        comments = f.opt_text("comments")
        asked: object = f.opt_integer("number_of_images")
        if asked is None and not retry:  # a payload of before number_of_images
            asked = rows.value("DataCollection", collection_id, "numberOfImages")
        if comments and isinstance(asked, int) and written != asked:
            comments = f"{comments} ({written} of {asked} images written)"
        values = {
            "runStatus": status,
            "endTime": f.time("end_time"),
            "numberOfImages": written,
            "comments": comments,
        }
        for index in range(1, 5):  # taken after the start: known at the end
            values[f"xtalSnapshotFullPath{index}"] = f.opt_text(f"snapshot_{index}")
        rows.update("DataCollection", collection_id, values)
        return {"id": collection_id}

    # -- mesh scans -----------------------------------------------------------------------------
    def _grid_info(self, rows: Rows, f: Fields, retry: bool) -> Result:
        collection_id = f.integer("collection_id")
        if retry:
            found = rows.find("GridInfo", {"dataCollectionId": collection_id})
            if found is not None:
                return {"id": found}
        values: dict[str, object] = {
            "dataCollectionId": collection_id,
            "steps_x": f.integer("steps_x"),
            "steps_y": f.integer("steps_y"),
            "dx_mm": f.number("dx_mm"),
            "dy_mm": f.number("dy_mm"),
            "orientation": f.opt_text("orientation"),
            "snaked": int(f.flag("snaked")),
            "meshAngle": f.opt_number("mesh_angle"),
            "snapshot_offsetXPixel": f.opt_number("snapshot_offset_x_px"),
            "snapshot_offsetYPixel": f.opt_number("snapshot_offset_y_px"),
            "micronsPerPixelX": f.opt_number("microns_per_pixel_x"),
            "micronsPerPixelY": f.opt_number("microns_per_pixel_y"),
            "recordTimeStamp": _now(),
        }
        group_id = f.opt_integer("group_id")
        if group_id is not None and self._has(rows, "GridInfo", "dataCollectionGroupId"):
            values["dataCollectionGroupId"] = group_id
        return {"id": rows.insert("GridInfo", values)}

    def _quality_indicators(self, rows: Rows, f: Fields, retry: bool) -> Result:
        collection_id = f.integer("collection_id")
        images = {}
        for image in f.sections("images"):
            number = image.integer("image_number")
            images[number] = {
                "dataCollectionId": collection_id,
                "imageNumber": number,
                "dozor_score": image.opt_number("score"),
                "spotTotal": image.opt_integer("spots"),
                "recordTimeStamp": _now(),
            }
        table = rows.table("ImageQualityIndicators")
        existing: set[int] = set()
        numbers = sorted(images)
        for start in range(0, len(numbers), 1000):
            chunk = numbers[start : start + 1000]
            query = sa.select(table.c.imageNumber).where(
                table.c.dataCollectionId == collection_id, table.c.imageNumber.in_(chunk)
            )
            existing.update(int(n) for n in rows.connection.execute(query).scalars())
        rows.insert_many(
            "ImageQualityIndicators", [images[n] for n in numbers if n not in existing]
        )
        for number in sorted(existing):
            values = {k: v for k, v in images[number].items() if v is not None}
            rows.connection.execute(
                sa.update(table)
                .where(table.c.dataCollectionId == collection_id, table.c.imageNumber == number)
                .values(values)
            )
        return {"id": collection_id, "images": len(images)}

    # -- energy scans ---------------------------------------------------------------------------
    def _energy_scan(self, rows: Rows, f: Fields, retry: bool) -> Result:
        scan_file = f.opt_text("scan_file")
        key = {
            "sessionId": f.integer("session_id"),
            "startTime": f.time("start_time"),
            "element": f.text("element"),
            "scanFileFullPath": scan_file,
        }
        sample_id = f.opt_integer("sample_id")
        scan_id = rows.find("EnergyScan", key) if retry else None
        if scan_id is None:
            notes = []
            remote, edge_energy = f.opt_number("remote_energy"), f.opt_number("edge_energy")
            if remote is not None:
                notes.append(f"remote {remote:.4f} keV")
            if edge_energy is not None:
                notes.append(f"{key['element']} {f.text('edge')} edge {edge_energy:.4f} keV")
            values = {
                **key,
                "blSampleId": sample_id,
                "edgeEnergy": f.text("edge"),
                "startEnergy": f.number("start_energy"),
                "endEnergy": f.number("end_energy"),
                "peakEnergy": f.opt_number("peak_energy"),
                "peakFPrime": f.opt_number("peak_f_prime"),
                "peakFDoublePrime": f.opt_number("peak_f_double_prime"),
                "inflectionEnergy": f.opt_number("inflection_energy"),
                "inflectionFPrime": f.opt_number("inflection_f_prime"),
                "inflectionFDoublePrime": f.opt_number("inflection_f_double_prime"),
                "exposureTime": f.opt_number("exposure_time"),
                "transmissionFactor": f.opt_number("transmission"),
                "beamSizeHorizontal": f.opt_number("beam_size_x"),
                "beamSizeVertical": f.opt_number("beam_size_y"),
                "flux": f.opt_number("flux"),
                "filename": None if scan_file is None else posixpath.basename(scan_file),
                "choochFileFullPath": f.opt_text("chooch_file"),
                "jpegChoochFileFullPath": f.opt_text("chooch_jpeg"),
                "endTime": f.opt_time("end_time"),
                "comments": "; ".join(notes) or None,
            }
            scan_id = rows.insert("EnergyScan", values)
        if sample_id is not None and self._has(rows, "BLSample_has_EnergyScan"):
            link = {"blSampleId": sample_id, "energyScanId": scan_id}
            if not retry or rows.find("BLSample_has_EnergyScan", link) is None:
                rows.insert("BLSample_has_EnergyScan", link)
        return {"id": scan_id}

    # -- sample changer -------------------------------------------------------------------------
    def _robot_action(self, rows: Rows, f: Fields, retry: bool) -> Result:
        key = {
            "blsessionId": f.integer("session_id"),
            "blsampleId": f.opt_integer("sample_id"),
            "actionType": f.text("action_type"),
            "startTimestamp": f.time("start_time"),
            "endTimestamp": f.time("end_time"),
        }
        if retry:
            found = rows.find("RobotAction", key)
            if found is not None:
                return {"id": found}
        values = {
            **key,
            "status": f.text("status"),
            "message": f.opt_text("message"),
            "dewarLocation": f.opt_integer("dewar_location"),
            "containerLocation": f.opt_integer("container_location"),
            "sampleBarcode": f.opt_text("sample_barcode"),
        }
        return {"id": rows.insert("RobotAction", values)}

    # -- workflows ------------------------------------------------------------------------------
    def _workflow_run(self, rows: Rows, f: Fields, retry: bool) -> Result:
        started = f.time("start_time")
        key = {
            "displayName": f.text("name"),
            "recordTimestamp": started,
            "dataCollectionId": f.opt_integer("collection_id"),
        }
        job_id = rows.find("ProcessingJob", key) if retry else None
        if job_id is not None:
            program = rows.find("AutoProcProgram", {"processingJobId": job_id})
            if program is not None:
                return {"id": job_id, "auto_proc_program_id": program}
        job_id = rows.insert(
            "ProcessingJob",
            {**key, "recipe": f.opt_text("engine"), "comments": "workflow", "automatic": 0},
        )
        parameters = f.mapping("parameters")
        rows.insert_many(
            "ProcessingJobParameter",
            [
                {"processingJobId": job_id, "parameterKey": str(k), "parameterValue": str(v)}
                for k, v in parameters.items()
            ],
        )
        program_id = rows.insert(
            "AutoProcProgram",
            {
                "processingJobId": job_id,
                "processingPrograms": key["displayName"],
                "processingStartTime": started,
                "processingMessage": "running",
                "recordTimeStamp": started,
            },
        )
        self._attach_log(rows, program_id, f.opt_text("log_file"), retry=False)
        return {"id": job_id, "auto_proc_program_id": program_id}

    def _workflow_run_end(self, rows: Rows, f: Fields, retry: bool) -> Result:
        program_id = f.integer("program_id")
        success = f.flag("success")
        message = f.opt_text("message") or ("finished" if success else "failed")
        rows.update(
            "AutoProcProgram",
            program_id,
            {
                "processingStatus": 1 if success else 0,
                "processingMessage": message,
                "processingEndTime": f.time("end_time"),
            },
        )
        self._attach_log(rows, program_id, f.opt_text("log_file"), retry=True)
        return {"id": program_id}

    def _workflow_run_update(self, rows: Rows, f: Fields, retry: bool) -> Result:
        job_id = f.integer("job_id")
        collection_id = f.opt_integer("collection_id")
        if collection_id is not None:
            rows.update("ProcessingJob", job_id, {"dataCollectionId": collection_id})
        for key, value in f.mapping("parameters").items():
            row = {
                "processingJobId": job_id,
                "parameterKey": str(key),
                "parameterValue": str(value),
            }
            if not retry or rows.find("ProcessingJobParameter", row) is None:
                rows.insert("ProcessingJobParameter", row)
        return {"id": job_id}

    def _attach_log(self, rows: Rows, program_id: int, log_file: str | None, retry: bool) -> None:
        if log_file is None:
            return
        values = {
            "autoProcProgramId": program_id,
            "fileType": "Log",
            "fileName": posixpath.basename(log_file),
            "filePath": posixpath.dirname(log_file),
        }
        if retry and rows.find("AutoProcProgramAttachment", values) is not None:
            return
        rows.insert("AutoProcProgramAttachment", {**values, "recordTimeStamp": _now()})

    # -- characterisation -----------------------------------------------------------------------
    def _screening(self, rows: Rows, f: Fields, retry: bool) -> Result:
        program = f.text("program")
        key = {"dataCollectionId": f.integer("collection_id"), "programVersion": program}
        if retry:
            found = rows.find("Screening", key)
            if found is not None:
                return self._screening_result(rows, found)
        screening_id = rows.insert(
            "Screening",
            {
                **key,
                "dataCollectionGroupId": f.opt_integer("group_id"),
                "comments": f.opt_text("comments"),
                "bltimeStamp": _now(),
            },
        )
        output = f.section("output") or Fields(f.kind, {}, "output.")
        strategy = f.section("strategy")
        success = int(strategy is not None)
        output_id = rows.insert(
            "ScreeningOutput",
            {
                "screeningId": screening_id,
                "statusDescription": output.opt_text("status"),
                "numSpotsFound": output.opt_integer("spots_found"),
                "resolutionObtained": output.opt_number("resolution_obtained"),
                "totalNumberOfImages": output.opt_integer("images"),
                "mosaicityEstimated": 0,
                "indexingSuccess": 0,
                "strategySuccess": success,
                "alignmentSuccess": 0,
                "SCREENINGSUCCESS": success,
                "program": program,
            },
        )
        result: Result = {"id": screening_id, "screening_output_id": output_id}
        if strategy is not None:
            result["screening_strategy_id"] = self._strategy(rows, strategy, output_id, program)
        return result

    @staticmethod
    def _screening_result(rows: Rows, screening_id: int) -> Result:
        """The result of a screening written before (the same as when it was written)."""
        result: Result = {"id": screening_id}
        output_id = rows.find("ScreeningOutput", {"screeningId": screening_id})
        if output_id is not None:
            result["screening_output_id"] = output_id
            strategy_id = rows.find("ScreeningStrategy", {"screeningOutputId": output_id})
            if strategy_id is not None:
                result["screening_strategy_id"] = strategy_id
        return result

    def _strategy(self, rows: Rows, s: Fields, output_id: int, program: str) -> int:
        """One ``ScreeningStrategy`` (the first sweep's values over every sweep's
        angles), one ``ScreeningStrategyWedge`` (all the images) and one
        ``ScreeningStrategySubWedge`` per sweep, numbered in order (as EDNA stores
        BEST's multi-pass plans). A payload of before ``sweeps`` is one sweep itself."""
        sweeps = s.sections("sweeps") if s.payload.get("sweeps") is not None else [s]
        if not sweeps:
            raise PayloadError(f"{s.kind}: {s.where}sweeps: expected at least one sweep")
        first = sweeps[0]
        resolution = first.number("resolution")
        starts = [sweep.number("axis_start") for sweep in sweeps]
        ends = [sweep.number("axis_end") for sweep in sweeps]
        strategy_id = rows.insert(
            "ScreeningStrategy",
            {
                "screeningOutputId": output_id,
                "anomalous": int(s.flag("anomalous")),
                "phiStart": min(starts),
                "phiEnd": max(ends),
                "rotation": first.number("osc_range"),
                "exposureTime": first.number("exposure_time"),
                "resolution": resolution,
                "transmission": first.number("transmission"),
                "program": program,
            },
        )
        wedge_id = rows.insert(
            "ScreeningStrategyWedge",
            {
                "screeningStrategyId": strategy_id,
                "wedgeNumber": 1,
                "resolution": resolution,
                "numberOfImages": sum(sweep.integer("number_of_images") for sweep in sweeps),
                "phi": starts[0],
                "wavelength": s.opt_number("wavelength"),
            },
        )
        for number, sweep in enumerate(sweeps, start=1):
            rows.insert(
                "ScreeningStrategySubWedge",
                {
                    "screeningStrategyWedgeId": wedge_id,
                    "subWedgeNumber": number,
                    "rotationAxis": "Omega",
                    "axisStart": sweep.number("axis_start"),
                    "axisEnd": sweep.number("axis_end"),
                    "exposureTime": sweep.number("exposure_time"),
                    "transmission": sweep.number("transmission"),
                    "oscillationRange": sweep.number("osc_range"),
                    "numberOfImages": sweep.integer("number_of_images"),
                    "RESOLUTION": sweep.number("resolution"),
                },
            )
        return strategy_id

    # -- image JPEGs ----------------------------------------------------------------------------
    def _image_jpegs(self, rows: Rows, f: Fields, retry: bool) -> Result:
        collection_id = f.integer("collection_id")
        image_ids = []
        for image in f.sections("images"):
            number = image.integer("image_number")
            jpegs = {
                "jpegFileFullPath": image.text("jpeg"),
                "jpegThumbnailFileFullPath": image.text("thumbnail"),
            }
            found = rows.find("Image", {"dataCollectionId": collection_id, "imageNumber": number})
            if found is not None:
                rows.update("Image", found, jpegs)
                image_ids.append(found)
                continue
            file = image.text("file")
            now = _now()
            image_ids.append(
                rows.insert(
                    "Image",
                    {
                        **jpegs,
                        "dataCollectionId": collection_id,
                        "imageNumber": number,
                        "fileName": posixpath.basename(file),
                        "fileLocation": posixpath.dirname(file),
                        "BLTIMESTAMP": now,
                        "recordTimeStamp": now,
                    },
                )
            )
        return {"id": collection_id, "image_ids": image_ids}


# -- the session of a local login ----------------------------------------------------------
def _session_lookup(rows: Rows, f: Fields, retry: bool) -> Result:
    from mxgui.core.lims.queries import find_proposal, sessions_of

    code, number = f.text("proposal_code"), f.text("proposal_number")
    beamline, day_text = f.text("beamline"), f.text("day")
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        raise PayloadError(f"{f.kind}: day: expected YYYY-MM-DD, got {day_text!r}") from None
    proposal = find_proposal(rows.connection, code, number)
    if proposal is None:
        raise PayloadError(f"{f.kind}: the LIMS has no proposal {code}{number}")
    sessions = sessions_of(rows.connection, proposal.proposal_id, beamline, day)
    if not sessions:
        raise PayloadError(
            f"{f.kind}: proposal {code}{number} has no session on {beamline} on {day_text}"
        )
    at = f.opt_time("at")
    if at is None:  # an operation put before "at" existed: the day's first session
        return {"id": sessions[0].session_id}
    return {"id": _session_at(sessions, at).session_id}


def _session_at(sessions: list[LimsSession], at: dt.datetime) -> LimsSession:
    """The session running at ``at``, else the first one starting later that day (the
    rule of ``open_sessions``), else the last to end (a record made after the day's
    sessions ended still belongs to the latest of them)."""
    for session in sessions:
        if (session.start is None or session.start <= at) and (
            session.end is None or at < session.end
        ):
            return session
    later = [s for s in sessions if s.end is None or s.end > at]
    if later:
        return later[0]
    return max(sessions, key=lambda s: s.end or at)


def _now() -> dt.datetime:
    """Local time in whole seconds (SQLite's ``CURRENT_TIMESTAMP`` would be UTC)."""
    return clock.now().replace(microsecond=0)
