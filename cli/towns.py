"""`pilotflow refresh-towns`: write reference/towns-mel.csv again from Etalab's package.

It runs `npm pack` (the npm registry must be reachable) into a temporary directory, reads
the package's epci.json and communes.json, and rewrites the extract and its provenance.
"""

import json
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from core.towns import METROPOLE_EPCI, TOWNS_CSV, read_package, write_towns

PACKAGE = "@etalab/decoupage-administratif"
PROVENANCE = TOWNS_CSV.with_suffix(".source.json")


def refresh_towns(version: str = "latest") -> int:
    with tempfile.TemporaryDirectory(prefix="pilotflow-towns-") as directory:
        work = Path(directory)
        packed = subprocess.run(
            ["npm", "pack", "--json", f"{PACKAGE}@{version}"],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        )
        (tarball,) = json.loads(packed.stdout)
        with tarfile.open(work / tarball["filename"]) as archive:
            archive.extractall(work, filter="data")
        package = json.loads((work / "package" / "package.json").read_text(encoding="utf-8"))
        towns = read_package(work / "package" / "data")
    write_towns(towns)
    PROVENANCE.write_text(
        json.dumps(
            {
                "package": PACKAGE,
                "version": package["version"],
                "license": package["license"],
                "epci": METROPOLE_EPCI,
                "towns": len(towns),
                "population": sum(town.population for town in towns),
                "refreshed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(towns)} towns from {PACKAGE}@{package['version']} into {TOWNS_CSV}")
    return 0
