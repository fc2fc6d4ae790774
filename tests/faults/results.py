"""Where each run's figures go: one JSON file per database and fault.

PILOTFLOW_FAULT_RESULTS names the folder; by default a folder in the system's tmp, never
the repository (a test run must not dirty the work tree).
"""

import json
import os
import tempfile
from pathlib import Path

from tests.faults.counting import Figures

RESULTS_ENV = "PILOTFLOW_FAULT_RESULTS"


def results_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "pilotflow-fault-results"
    return Path(os.environ.get(RESULTS_ENV) or default)


def write(figures: Figures) -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{figures.database}-{figures.fault}.json"
    path.write_text(json.dumps(figures.as_json(), indent=2) + "\n")
    return path
