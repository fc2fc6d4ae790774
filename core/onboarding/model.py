"""What a plan is made of: the region as it exists, what a line would create, its problems."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TOWN = "town"
    OFFICER = "officer"
    COMPANY = "company"
    COMPANY_USER = "company_user"


class Action(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be imported: a code for programs, an English text with its values."""

    type: str
    column: str  # the column it is about, "" for the whole line
    template: str
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % dict(self.values) if self.values else self.template


# What exists in the region, as far as a plan needs to know.
@dataclass(frozen=True)
class ExistingTown:
    id: str
    name: str
    code: str | None


@dataclass(frozen=True)
class ExistingCompany:
    id: str
    name: str


@dataclass(frozen=True)
class ExistingUser:
    id: str
    email: str
    role: str
    town_id: str | None
    company_id: str | None
    # Active and without a password yet: the invitation can be asked for again.
    invitable: bool


@dataclass(frozen=True)
class Region:
    towns: tuple[ExistingTown, ...] = ()
    companies: tuple[ExistingCompany, ...] = ()
    themes: frozenset[str] = frozenset()
    users: Mapping[str, ExistingUser] = field(default_factory=dict)  # by lower-case email


@dataclass(frozen=True)
class Ref:
    """A town or company that exists (`id`) or that the file creates on an earlier `line`."""

    id: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class NewTown:
    line: int
    name: str
    code: str | None


@dataclass(frozen=True)
class NewCompany:
    line: int
    name: str
    contact_email: str
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    areas: tuple[Ref, ...]
    locale: str
    description: str


@dataclass(frozen=True)
class NewUser:
    line: int
    email: str
    name: str
    role: str  # town_officer or company, as workflows.stages.Role says
    town: Ref | None
    company: Ref | None
    locale: str


@dataclass
class PlannedLine:
    line: int
    kind: str
    key: str  # what names the row: a town's code or name, a company's name, an email
    action: Action | None = None  # None while the line has problems
    problems: list[Problem] = field(default_factory=list)
    invitation: bool = False  # a user who will be (or was) asked to choose a password
    creation: NewTown | NewCompany | NewUser | None = None
    existing_user: ExistingUser | None = None


@dataclass
class Plan:
    lines: list[PlannedLine]

    @property
    def problems(self) -> list[tuple[int, Problem]]:
        return [(line.line, problem) for line in self.lines for problem in line.problems]

    @property
    def creations(self) -> list[NewTown | NewCompany | NewUser]:
        return [line.creation for line in self.lines if line.creation is not None]

    @property
    def invited_again(self) -> list[ExistingUser]:
        """Users of the file who exist and still have no password: their invitation again."""
        return [
            line.existing_user
            for line in self.lines
            if line.existing_user is not None and line.invitation
        ]

    def counts(self) -> dict[str, dict[str, int]]:
        """How many lines of each kind would be created or are unchanged."""
        counts = {kind.value: {action.value: 0 for action in Action} for kind in Kind}
        for line in self.lines:
            if line.action is not None and line.kind in counts:
                counts[line.kind][line.action.value] += 1
        return counts
