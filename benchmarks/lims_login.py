"""LIMS login: the embedded default's first login, the demo seeding, and a login and a
sample read on the embedded SQLite and on a private MariaDB.

- ``lims_first_login_embedded``: the first login of ``mxgui`` with no arguments in a new
  data directory, in a process that has not imported SQLAlchemy or ISPyB's models yet:
  the imports, ISPyB's schema built in SQLite, the demo seeded, the login (all in the
  lims object's worker thread, never the GUI's), in s;
- ``lims_seed_demo``: the demo (person, proposal, 3 sessions, a shipment with the
  simulated sample changer's 5 pucks and their samples) written into a database with
  the schema, median of 5, in s;
- ``lims_login_{sqlite,mariadb}``: a login (person, proposal, today's sessions; the
  session object follows) once the engine is up, median of 20, in ms;
- ``lims_samples_{sqlite,mariadb}``: reading the proposal's samples (with container,
  protein and crystal), median of 20, in ms.

``--no-mariadb`` skips the private MariaDB (which needs ``mariadbd``, see
``scripts/setup.sh``). Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mxgui.core.repository import HardwareRepository

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIMULATED = ROOT / "HardwareRepository" / "simulated"
# benchmarks/queue.py would hide the standard library's queue (ThreadPoolExecutor's)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))  # this checkout, also where another one is installed


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


def median_of(count: int, call: Callable[[], object]) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def beamline_on(directory: Path, url: str = "") -> HardwareRepository:
    """The simulated beamline, its lims reading ``url`` (empty: the embedded default)."""
    from mxgui.core.repository import HardwareRepository

    overrides = directory / "repo"
    overrides.mkdir(parents=True)
    text = (SIMULATED / "lims.xml").read_text().replace("<url></url>", f"<url>{url}</url>")
    if url:  # the benchmark's own database: anyone may log in
        text = text.replace(
            "<password_check></password_check>", "<password_check>none</password_check>"
        )
    (overrides / "lims.xml").write_text(text)
    return HardwareRepository([overrides, SIMULATED])


def measure_reads(repo: HardwareRepository, backend: str) -> None:
    lims = repo.get("lims")
    lims.login("demo", "").result(timeout=60)  # the engine up
    login = median_of(20, lambda: lims.login("demo", "").result(timeout=60))
    samples = median_of(20, lambda: lims.get_samples().result(timeout=60))
    emit(f"lims_login_{backend}", login * 1000, "ms", "<= 100")
    emit(f"lims_samples_{backend}", samples * 1000, "ms", "<= 100")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mariadb", action="store_true", help="skip the private MariaDB")
    args = parser.parse_args()
    from hardware_objects.lims.ispyb_lims import demo_pucks

    assert "sqlalchemy" not in sys.modules, "loading the lims object imports no SQLAlchemy"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["MXGUI_DATA_DIR"] = str(tmp / "data")
        repo = beamline_on(tmp / "embedded")
        try:
            lims = repo.get("lims")
            started = time.perf_counter()
            lims.login("demo", "").result(timeout=120)
            emit("lims_first_login_embedded", time.perf_counter() - started, "s", "<= 3.0")
            pucks = demo_pucks(repo.get("sample_changer").get_contents())
            measure_reads(repo, "sqlite")
        finally:
            repo.shutdown()

        from mxgui.core.lims.database import create_schema, make_engine
        from mxgui.core.lims.demo_data import seed_demo

        seeds = []
        for index in range(5):
            engine = make_engine(f"sqlite:///{tmp / f'seed{index}.sqlite'}")
            create_schema(engine)
            started = time.perf_counter()
            seed_demo(engine, "SIM-MX", pucks)
            seeds.append(time.perf_counter() - started)
            engine.dispose()
        emit("lims_seed_demo", statistics.median(seeds), "s", "<= 0.5")

        if not args.no_mariadb:
            from mxgui.demo_servers.mariadb import PrivateMariaDB

            server = PrivateMariaDB(tmp / "mariadb")
            server.start()
            try:
                server.create_database("ispyb")
                engine = make_engine(server.url("ispyb"))
                create_schema(engine)
                seed_demo(engine, "SIM-MX", pucks)
                engine.dispose()
                repo = beamline_on(tmp / "on-mariadb", server.url("ispyb"))
                try:
                    measure_reads(repo, "mariadb")
                finally:
                    repo.shutdown()
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
