"""The shipped extract of the metropolis's towns, and how it is made from Etalab's package."""

import json
from pathlib import Path

import pytest

from core.towns import METROPOLE_EPCI, TOWNS_CSV, TownRecord, load_towns, members_of, write_towns


def test_the_shipped_extract_is_the_metropolis_as_its_provenance_says() -> None:
    towns = load_towns()
    source = json.loads(TOWNS_CSV.with_suffix(".source.json").read_text(encoding="utf-8"))

    assert source["epci"] == METROPOLE_EPCI and source["license"] == "MIT"
    assert len(towns) == source["towns"] == 95
    assert sum(town.population for town in towns) == source["population"]
    assert len({town.insee_code for town in towns}) == len(towns)
    assert len({town.name for town in towns}) == len(towns)
    assert all(town.insee_code.startswith("59") and len(town.insee_code) == 5 for town in towns)
    assert towns[0] == TownRecord("59350", "Lille", towns[0].population, towns[0].postal_codes)
    assert "59000" in towns[0].postal_codes


EPCIS = [
    {"code": "999", "membres": []},
    {
        "code": METROPOLE_EPCI,
        "membres": [
            {"code": "59001", "nom": "Petite", "populationMunicipale": 120},
            {"code": "59002", "nom": "Grande", "populationMunicipale": 5000},
        ],
    },
]
COMMUNES = [
    {"code": "59001", "nom": "Petite", "type": "commune-actuelle", "codesPostaux": ["59100"]},
    {"code": "59002", "nom": "Grande", "type": "commune-actuelle"},
    {"code": "59001", "nom": "Petite déléguée", "type": "commune-deleguee"},
]


def test_members_are_read_from_the_package_largest_first() -> None:
    towns = members_of(METROPOLE_EPCI, EPCIS, COMMUNES)

    assert towns == [
        TownRecord("59002", "Grande", 5000, ()),
        TownRecord("59001", "Petite", 120, ("59100",)),
    ]


def test_a_member_that_is_no_current_commune_stops_the_refresh() -> None:
    with pytest.raises(ValueError, match="59002"):
        members_of(METROPOLE_EPCI, EPCIS, COMMUNES[:1])
    with pytest.raises(ValueError, match="no EPCI 123"):
        members_of("123", EPCIS, COMMUNES)


def test_an_extract_written_reads_back_the_same(tmp_path: Path) -> None:
    towns = members_of(METROPOLE_EPCI, EPCIS, COMMUNES)
    path = tmp_path / "towns.csv"

    write_towns(towns, path)

    assert load_towns(path) == towns
