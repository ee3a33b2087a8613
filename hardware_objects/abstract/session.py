"""The session interface: proposal, data directories, run numbers."""

from __future__ import annotations

import abc
from typing import ClassVar

from mxgui.core.acquisition import PathTemplate
from mxgui.core.data_roots import DataRoots
from mxgui.core.hardware_object import HardwareObject


class AbstractSession(HardwareObject, abc.ABC):
    """The experiment session: who collects (the proposal) and where data go.

    Directories follow ``<base>/<proposal>/<YYYYMMDD>/RAW_DATA[/<sub>]`` for images and
    ``.../PROCESSED_DATA[/<sub>]`` for processing results, the date being the session
    start. Run numbers are never reused: :meth:`get_next_run_number` looks at the disk
    and at the numbers already issued, and :meth:`reserve_run_number` records the one it
    gives so that the next call (even after a restart) gives another.

    Signals: ``sessionChanged(proposal)`` when the proposal changes (login / logout).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("sessionChanged",)

    # proposal -------------------------------------------------------------------------
    @abc.abstractmethod
    def get_proposal(self) -> str:
        """The proposal, code and number together, e.g. ``mx1234``."""

    @abc.abstractmethod
    def set_proposal(self, code: str, number: str) -> None:
        """Switch to proposal ``code`` + ``number`` (login); emits ``sessionChanged``."""

    @abc.abstractmethod
    def get_session_start_date(self) -> str:
        """The session's start date as ``YYYYMMDD`` (the date in the directories)."""

    # directories -------------------------------------------------------------------------
    @abc.abstractmethod
    def get_base_data_directory(self) -> str:
        """``<base>/<proposal>/<YYYYMMDD>``: where this session's data go."""

    def get_data_roots(self) -> DataRoots:
        """Where callers (workflows over XML-RPC, tasks) may have files written or read:
        by default this session's data directory; a session's XML may add more."""
        return DataRoots([self.get_base_data_directory()])

    def get_base_image_directory(self) -> str:
        """``<base>/<proposal>/<YYYYMMDD>/RAW_DATA``."""
        return self._join(self.get_base_data_directory(), "RAW_DATA")

    def get_base_process_directory(self) -> str:
        """``<base>/<proposal>/<YYYYMMDD>/PROCESSED_DATA``."""
        return self._join(self.get_base_data_directory(), "PROCESSED_DATA")

    def get_image_directory(self, sub_dir: str = "") -> str:
        """The image directory, or ``sub_dir`` (relative, no ``..``) below it."""
        return self._join(self.get_base_image_directory(), sub_dir)

    def get_process_directory(self, sub_dir: str = "") -> str:
        """The processing directory, or ``sub_dir`` (relative, no ``..``) below it."""
        return self._join(self.get_base_process_directory(), sub_dir)

    @staticmethod
    def _join(base: str, sub_dir: str) -> str:
        sub_dir = (sub_dir or "").strip().strip("/")
        if not sub_dir:
            return base
        parts = sub_dir.replace("\\", "/").split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError(
                f"sub-directory {sub_dir!r}: expected a relative path without '.', '..' "
                "or empty parts"
            )
        return "/".join([base.rstrip("/"), *parts])

    def get_default_prefix(self, sample_name: str = "", acronym: str = "") -> str:
        """The usual file prefix: ``<acronym>-<sample>``, else the sample, else the proposal.

        A sample name that already starts with the acronym (``Insulin-A01``) is used as
        it is, not doubled.
        """
        if acronym and sample_name and not sample_name.startswith(acronym):
            return f"{acronym}-{sample_name}"
        return sample_name or acronym or self.get_proposal()

    # run numbers -------------------------------------------------------------------------
    @abc.abstractmethod
    def get_next_run_number(self, directory: str, prefix: str) -> int:
        """The lowest run number above every run of ``prefix`` in ``directory`` on
        disk and every run number already issued; nothing is recorded."""

    @abc.abstractmethod
    def reserve_run_number(self, directory: str, prefix: str) -> int:
        """Like :meth:`get_next_run_number`, and record it as issued (persistently),
        so that the next call returns a higher one."""

    @abc.abstractmethod
    def record_run_number(self, directory: str, prefix: str, run_number: int) -> None:
        """Record ``run_number`` as used (a collection wrote or is writing it)."""

    def get_default_path_template(
        self,
        sub_dir: str = "",
        prefix: str = "",
        suffix: str = "cbf",
        reserve: bool = False,
    ) -> PathTemplate:
        """A path template in this session's image directory with the next run number.

        With ``reserve`` the run number is reserved (two calls give two runs);
        otherwise it is only the next free one now.
        """
        directory = self.get_image_directory(sub_dir)
        prefix = prefix or self.get_default_prefix()
        run = (
            self.reserve_run_number(directory, prefix)
            if reserve
            else self.get_next_run_number(directory, prefix)
        )
        return PathTemplate(
            directory=directory,
            prefix=prefix,
            run_number=run,
            suffix=suffix,
            process_directory=self.get_process_directory(sub_dir),
        )
