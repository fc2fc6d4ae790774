"""The towns of the Métropole Européenne de Lille, as shipped in `reference/` (issue 11).

The extract comes from Etalab's `@etalab/decoupage-administratif` npm package (MIT): the
members of EPCI 200093201 with their INSEE codes and populations. `pilotflow refresh-towns`
writes it again from a newer release of the package (see reference/README.md).
"""

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

METROPOLE_EPCI = "200093201"  # the Métropole Européenne de Lille's SIREN
TOWNS_CSV = PROJECT_ROOT / "reference" / "towns-mel.csv"
COLUMNS = ("insee_code", "name", "population", "postal_codes")


@dataclass(frozen=True)
class TownRecord:
    insee_code: str  # the commune's code officiel géographique, e.g. 59350 for Lille
    name: str
    population: int  # population municipale
    postal_codes: tuple[str, ...]


def load_towns(path: Path = TOWNS_CSV) -> list[TownRecord]:
    """The shipped extract, largest town first."""
    with path.open(newline="", encoding="utf-8") as file:
        return [
            TownRecord(
                insee_code=row["insee_code"],
                name=row["name"],
                population=int(row["population"]),
                postal_codes=tuple(row["postal_codes"].split()),
            )
            for row in csv.DictReader(file)
        ]


def members_of(
    epci_code: str, epcis: Iterable[Mapping[str, Any]], communes: Iterable[Mapping[str, Any]]
) -> list[TownRecord]:
    """The member towns of an EPCI, from the package's epci.json and communes.json."""
    epci = next((e for e in epcis if e["code"] == epci_code), None)
    if epci is None:
        raise ValueError(f"no EPCI {epci_code} in the package")
    current = {c["code"]: c for c in communes if c.get("type") == "commune-actuelle"}
    towns = []
    for member in epci["membres"]:
        commune = current.get(member["code"])
        if commune is None:
            raise ValueError(f"member {member['code']} ({member['nom']}) is not a current commune")
        towns.append(
            TownRecord(
                insee_code=commune["code"],
                name=commune["nom"],
                population=int(member["populationMunicipale"]),
                postal_codes=tuple(commune.get("codesPostaux", [])),
            )
        )
    return sorted(towns, key=lambda town: (-town.population, town.name))


def read_package(data_dir: Path, epci_code: str = METROPOLE_EPCI) -> list[TownRecord]:
    """The member towns from an unpacked package's `data/` directory."""
    epcis = json.loads((data_dir / "epci.json").read_text(encoding="utf-8"))
    communes = json.loads((data_dir / "communes.json").read_text(encoding="utf-8"))
    return members_of(epci_code, epcis, communes)


def write_towns(towns: Iterable[TownRecord], path: Path = TOWNS_CSV) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(COLUMNS)
        for town in towns:
            codes = " ".join(town.postal_codes)
            writer.writerow([town.insee_code, town.name, town.population, codes])
