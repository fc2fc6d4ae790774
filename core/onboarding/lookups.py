"""How a line finds the towns and companies it names: in the region, higher up in the file,
or lower down (then the problem says to move that line up).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

from core.onboarding.cells import Checker
from core.onboarding.model import ExistingCompany, ExistingTown, Kind, Ref, Region
from core.onboarding.parsing import ParsedFile
from core.onboarding.rules import normalized, safe_echo
from workflows.messages import N_


@dataclass(frozen=True)
class Lookups:
    """What every line of one plan looks up, built once from the region and the file."""

    region: Region
    towns_by_code: Mapping[str, ExistingTown]
    towns_by_name: Mapping[str, ExistingTown]  # by normalized name, the first of that name
    companies_by_name: Mapping[str, list[ExistingCompany]]  # by normalized name
    later: Mapping[str, int]  # "town:<key>" or "company:<key>" -> its first line in the file

    @classmethod
    def of(cls, parsed: ParsedFile, region: Region) -> Self:
        by_name: dict[str, ExistingTown] = {}
        for town in region.towns:
            by_name.setdefault(normalized(town.name), town)
        companies: dict[str, list[ExistingCompany]] = {}
        for company in region.companies:
            companies.setdefault(normalized(company.name), []).append(company)
        by_code = {town.code: town for town in region.towns if town.code}
        return cls(region, by_code, by_name, companies, _declared_anywhere(parsed))


@dataclass
class Declared:
    """Towns and companies by the names (and codes) rows may use for them."""

    town_by_code: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    town_by_name: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    companies: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # user emails of the file -> line


def _declared_anywhere(parsed: ParsedFile) -> dict[str, int]:
    """Every town code, town name and company name the file declares, with its first line."""
    found: dict[str, int] = {}
    for row in parsed.rows:
        kind = row.cells.get("kind", "").strip().lower()
        if kind == Kind.TOWN:
            for column in ("name", "code"):
                if value := row.cells.get(column, "").strip():
                    found.setdefault(f"town:{normalized(value)}", row.line)
        elif kind == Kind.COMPANY and (value := row.cells.get("name", "").strip()):
            found.setdefault(f"company:{normalized(value)}", row.line)
    return found


def resolve_town(
    check: Checker, column: str, value: str, declared: Declared, lookups: Lookups
) -> Ref | None:
    """The town a cell names by its code or its name, existing or created higher up."""
    if value in declared.town_by_code:
        return declared.town_by_code[value][0]
    if value in lookups.towns_by_code:
        return Ref(id=lookups.towns_by_code[value].id)
    key = normalized(value)
    if key in declared.town_by_name:
        return declared.town_by_name[key][0]
    if key in lookups.towns_by_name:
        return Ref(id=lookups.towns_by_name[key].id)
    line = lookups.later.get(f"town:{key}")
    if line is not None and line > check.row.line:
        check.add(
            "unknown_town",
            column,
            N_("the town %(value)s comes later, on line %(line)s: move it up"),
            value=safe_echo(value[:80]),
            line=str(line),
        )
    else:
        check.add("unknown_town", column, N_("unknown town %(value)s"), value=safe_echo(value[:80]))
    return None


def resolve_company(check: Checker, value: str, declared: Declared, lookups: Lookups) -> Ref | None:
    """The company a cell names, existing (and alone of its name) or created higher up."""
    key = normalized(value)
    if key in declared.companies:
        return declared.companies[key][0]
    existing = lookups.companies_by_name.get(key, [])
    if len(existing) == 1:
        return Ref(id=existing[0].id)
    if len(existing) > 1:
        check.add(
            "ambiguous_company",
            "company",
            N_("several companies are named %(value)s"),
            value=safe_echo(value[:80]),
        )
        return None
    line = lookups.later.get(f"company:{key}")
    if line is not None and line > check.row.line:
        check.add(
            "unknown_company",
            "company",
            N_("the company %(value)s comes later, on line %(line)s: move it up"),
            value=safe_echo(value[:80]),
            line=str(line),
        )
    else:
        check.add(
            "unknown_company",
            "company",
            N_("unknown company %(value)s"),
            value=safe_echo(value[:80]),
        )
    return None
