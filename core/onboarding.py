"""Onboarding in bulk: one CSV file of towns, officers, companies and company users (issue 11).

Pure code, no I/O: `parse` reads the file's bytes into rows, `plan` checks every row against
the region as it is (`Region`, loaded by the use case) and says, line by line, what an import
would create, what already exists unchanged, and every problem. The use case applies a plan
without problems in one transaction (service/use_cases/imports.py).

The format is the README's "Onboarding in bulk": a header line, then one row per line,
`,` or `;` between cells, UTF-8 with or without a byte order mark.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from workflows.messages import N_

MAX_FILE_BYTES = 900_000  # under the API's 1 MB body limit, with room for a form's envelope
MAX_ROWS = 5_000
COLUMNS = (
    "kind",
    "name",
    "code",
    "email",
    "town",
    "company",
    "themes",
    "tags",
    "areas",
    "locale",
    "description",
)
LIST_SEPARATOR = "|"  # between the themes, tags or areas of one cell
LOCALES = ("fr", "en")
# The same rules as the API's bodies (service/schemas/common.py; a test keeps them equal).
EMAIL = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
TOWN_CODE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
THEME_CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_EMAIL = re.compile(EMAIL)
_TOWN_CODE = re.compile(TOWN_CODE)
_THEME_CODE = re.compile(THEME_CODE)
_ONE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIMITS = {"name": 200, "email": 320, "description": 5000, "tag": 64}
MAX_ITEMS = 50  # themes or tags of one company
MAX_AREAS = 200


class Kind(StrEnum):
    TOWN = "town"
    OFFICER = "officer"
    COMPANY = "company"
    COMPANY_USER = "company_user"


class Action(StrEnum):
    CREATE = "create"
    UNCHANGED = "unchanged"


class FileRefused(ValueError):
    """The file as a whole cannot be read (size, encoding, header, rows); nothing is planned.

    `too_large` says the limit on bytes was the reason (413 rather than 422).
    """

    def __init__(self, template: str, /, *, too_large: bool = False, **values: object) -> None:
        super().__init__(template % values if values else template)
        self.template = template
        self.values = values
        self.too_large = too_large


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


@dataclass(frozen=True)
class Row:
    line: int  # the line of the file where the row starts (the header is line 1)
    cells: Mapping[str, str]
    extra_cells: bool = False


@dataclass(frozen=True)
class ParsedFile:
    columns: tuple[str, ...]
    separator: str
    rows: tuple[Row, ...]


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


def safe_echo(text: str) -> str:
    """`text` as it may be shown back: a leading formula character is quoted, as OWASP says,
    so a report pasted into a spreadsheet cannot run a formula.
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def is_email(text: str) -> bool:
    """Whether `text` is an address the API would take (ASCII, no header tricks)."""
    return len(text) <= LIMITS["email"] and _EMAIL.match(text) is not None


def decode(content: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark, within the size limit."""
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(
            N_("the file is larger than %(limit)s bytes: split it"),
            too_large=True,
            limit=str(MAX_FILE_BYTES),
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            N_("the file is not UTF-8 text (byte %(position)s): save it as CSV UTF-8"),
            position=str(error.start + 1),
        ) from None
    return text


def parse(content: bytes) -> ParsedFile:
    """The rows of a file, each with the line it starts on; FileRefused if it cannot be read."""
    text = decode(content)
    lines = text.splitlines(keepends=True)
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise FileRefused(N_("the file is empty"))
    header_line = lines[header_index]
    separator = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO("".join(lines[header_index:])), delimiter=separator)
    try:
        columns = _columns(next(reader))
        rows = _rows(reader, columns, first_line=header_index + 1)
    except csv.Error as error:
        raise FileRefused(
            N_("line %(line)s cannot be read as CSV: %(error)s"),
            line=str(reader.line_num + header_index),
            error=str(error),
        ) from None
    if not rows:
        raise FileRefused(N_("the file has a header but no rows"))
    return ParsedFile(columns, separator, tuple(rows))


def _columns(header: list[str]) -> tuple[str, ...]:
    columns = tuple(cell.strip().lower() for cell in header)
    unknown = [name for name in columns if name not in COLUMNS]
    if unknown:
        raise FileRefused(
            N_("unknown column %(column)s: the columns are %(columns)s"),
            column=safe_echo(unknown[0][:50]),
            columns=", ".join(COLUMNS),
        )
    if "kind" not in columns:
        raise FileRefused(
            N_("the header has no kind column: the columns are %(columns)s"),
            columns=", ".join(COLUMNS),
        )
    if len(set(columns)) != len(columns):
        raise FileRefused(N_("a column appears twice in the header"))
    return columns


def _rows(reader: Iterable[list[str]], columns: tuple[str, ...], first_line: int) -> list[Row]:
    rows: list[Row] = []
    line = first_line + 1  # where the next row starts
    for cells in reader:
        # csv.reader counts the lines it has read: a quoted cell may span several.
        ends = reader.line_num + first_line - 1  # type: ignore[attr-defined]
        if any(cell.strip() for cell in cells):
            if len(rows) == MAX_ROWS:
                raise FileRefused(
                    N_("the file has more than %(limit)s rows: split it"), limit=str(MAX_ROWS)
                )
            values = {name: _newlines(cell) for name, cell in zip(columns, cells, strict=False)}
            extra = len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :])
            rows.append(Row(line, {name: values.get(name, "") for name in columns}, extra))
        line = ends + 1
    return rows


def _newlines(cell: str) -> str:
    return cell.replace("\r\n", "\n").replace("\r", "\n")


def normalized(name: str) -> str:
    """How names are compared: Unicode-normalized, trimmed, case-folded."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


class _Checker:
    """Reads one row's cells, noting each problem against its column."""

    def __init__(self, row: Row) -> None:
        self.row = row
        self.problems: list[Problem] = []
        if row.extra_cells:
            self.add("extra_cells", "", N_("this line has more cells than the header"))

    def add(self, kind: str, column: str, template: str, /, **values: str) -> None:
        self.problems.append(Problem(kind, column, template, values))

    def problems_about(self, column: str) -> bool:
        return any(problem.column == column for problem in self.problems)

    def raw(self, column: str) -> str:
        return self.row.cells.get(column, "").strip()

    def one_line(self, column: str, *, required: bool = False, limit: int = 200) -> str:
        value = self.raw(column)
        if _ONE_LINE_FORBIDDEN.search(value):
            self.add(
                "bad_characters",
                column,
                N_("%(column)s holds characters that are not allowed (NUL, control)"),
                column=column,
            )
            return ""
        if required and not value:
            self.add("missing", column, N_("%(column)s is required"), column=column)
        elif len(value) > limit:
            self.add(
                "too_long",
                column,
                N_("%(column)s is longer than %(limit)s characters"),
                column=column,
                limit=str(limit),
            )
            return ""
        return value

    def name(self, column: str = "name", *, required: bool = True) -> str:
        value = " ".join(self.one_line(column, required=required, limit=LIMITS["name"]).split())
        if value.startswith(FORMULA_STARTS):
            self.add(
                "formula",
                column,
                N_("%(column)s may not start with = + - or @ (a spreadsheet formula)"),
                column=column,
            )
            return ""
        return value

    def email(self, column: str = "email") -> str:
        value = self.one_line(column, required=True, limit=LIMITS["email"]).lower()
        if value and not _EMAIL.match(value):
            self.add(
                "bad_email",
                column,
                N_("%(value)s is not an email address"),
                value=safe_echo(value[:80]),
            )
            return ""
        return value

    def locale(self) -> str:
        value = self.one_line("locale", limit=8).lower() or "fr"
        if value not in LOCALES:
            self.add(
                "bad_locale",
                "locale",
                N_("unknown language %(value)s: fr or en"),
                value=safe_echo(value),
            )
            return "fr"
        return value

    def items(self, column: str, *, limit: int = MAX_ITEMS) -> list[str]:
        value = self.one_line(column, limit=10_000)
        items = list(dict.fromkeys(i.strip() for i in value.split(LIST_SEPARATOR) if i.strip()))
        if len(items) > limit:
            self.add(
                "too_many",
                column,
                N_("%(column)s lists more than %(limit)s items"),
                column=column,
                limit=str(limit),
            )
            return []
        return items

    def description(self) -> str:
        value = self.row.cells.get("description", "")
        if _TEXT_FORBIDDEN.search(value):
            self.add(
                "bad_characters",
                "description",
                N_("%(column)s holds characters that are not allowed (NUL, control)"),
                column="description",
            )
            return ""
        if len(value) > LIMITS["description"]:
            self.add(
                "too_long",
                "description",
                N_("%(column)s is longer than %(limit)s characters"),
                column="description",
                limit=str(LIMITS["description"]),
            )
            return ""
        return value.strip()


@dataclass
class _Declared:
    """Towns and companies by the names (and codes) rows may use for them."""

    town_by_code: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    town_by_name: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    companies: dict[str, tuple[Ref, int]] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)  # user emails of the file -> line


def plan(parsed: ParsedFile, region: Region) -> Plan:
    """What importing the file into this region would do, line by line, with every problem."""
    existing_by_code = {town.code: town for town in region.towns if town.code}
    existing_by_name: dict[str, ExistingTown] = {}
    for town in region.towns:
        existing_by_name.setdefault(normalized(town.name), town)
    companies_by_name: dict[str, list[ExistingCompany]] = {}
    for company in region.companies:
        companies_by_name.setdefault(normalized(company.name), []).append(company)
    declared = _Declared()
    later = _declared_anywhere(parsed)
    lines = []
    for row in parsed.rows:
        check = _Checker(row)
        kind = check.one_line("kind", required=True, limit=32).lower()
        planned = PlannedLine(row.line, safe_echo(kind[:40]), "")
        if kind == Kind.TOWN:
            _town(check, planned, declared, existing_by_code, existing_by_name)
        elif kind == Kind.COMPANY:
            _company(
                check,
                planned,
                declared,
                region,
                companies_by_name,
                later,
                existing_by_code,
                existing_by_name,
            )
        elif kind in (Kind.OFFICER, Kind.COMPANY_USER):
            _user(
                check,
                planned,
                declared,
                region,
                companies_by_name,
                later,
                existing_by_code,
                existing_by_name,
            )
        elif kind:
            check.add(
                "unknown_kind",
                "kind",
                N_("unknown kind %(value)s: town, officer, company or company_user"),
                value=safe_echo(kind[:40]),
            )
        planned.problems = check.problems
        if planned.problems:
            planned.action, planned.creation, planned.invitation = None, None, False
            planned.existing_user = None
        lines.append(planned)
    return Plan(lines)


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


def _town(
    check: _Checker,
    planned: PlannedLine,
    declared: _Declared,
    by_code: Mapping[str, ExistingTown],
    by_name: Mapping[str, ExistingTown],
) -> None:
    name = check.name()
    code = check.one_line("code", limit=32)
    if code and not _TOWN_CODE.match(code):
        check.add(
            "bad_code",
            "code",
            N_("%(value)s is not a town code (letters, digits, - or _, such as 59350)"),
            value=safe_echo(code[:40]),
        )
        code = ""
    planned.key = safe_echo(name or code)
    if not name:
        return
    ref = Ref(line=planned.line)
    for key, index in ((code, declared.town_by_code), (normalized(name), declared.town_by_name)):
        if key and key in index:
            check.add(
                "duplicate",
                "name",
                N_("this town is already on line %(line)s"),
                line=str(index[key][1]),
            )
            return
    named, coded = by_name.get(normalized(name)), by_code.get(code) if code else None
    if coded is not None and (named is None or coded.id != named.id):
        check.add(
            "town_conflict",
            "code",
            N_("the code %(code)s is the town %(name)s's"),
            code=code,
            name=safe_echo(coded.name),
        )
        return
    # A town that exists without a code is the file's town of that name (its code is not
    # added: the import never edits what exists).
    if named is not None and named.code is not None and code and named.code != code:
        check.add(
            "town_conflict",
            "code",
            N_("the town %(name)s exists with another code (%(code)s)"),
            name=safe_echo(named.name),
            code=named.code,
        )
        return
    if named is not None:
        ref = Ref(id=named.id)
        planned.action = Action.UNCHANGED
    else:
        planned.action = Action.CREATE
        planned.creation = NewTown(planned.line, name, code or None)
    if code:
        declared.town_by_code[code] = (ref, planned.line)
    declared.town_by_name[normalized(name)] = (ref, planned.line)


def _resolve_town(
    check: _Checker,
    column: str,
    value: str,
    declared: _Declared,
    by_code: Mapping[str, ExistingTown],
    by_name: Mapping[str, ExistingTown],
    later: Mapping[str, int],
) -> Ref | None:
    """The town a cell names by its code or its name, existing or created higher up."""
    if value in declared.town_by_code:
        return declared.town_by_code[value][0]
    if value in by_code:
        return Ref(id=by_code[value].id)
    key = normalized(value)
    if key in declared.town_by_name:
        return declared.town_by_name[key][0]
    if key in by_name:
        return Ref(id=by_name[key].id)
    line = later.get(f"town:{key}")
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


def _resolve_company(
    check: _Checker,
    value: str,
    declared: _Declared,
    companies_by_name: Mapping[str, list[ExistingCompany]],
    later: Mapping[str, int],
) -> Ref | None:
    key = normalized(value)
    if key in declared.companies:
        return declared.companies[key][0]
    existing = companies_by_name.get(key, [])
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
    line = later.get(f"company:{key}")
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


def _company(
    check: _Checker,
    planned: PlannedLine,
    declared: _Declared,
    region: Region,
    companies_by_name: Mapping[str, list[ExistingCompany]],
    later: Mapping[str, int],
    by_code: Mapping[str, ExistingTown],
    by_name: Mapping[str, ExistingTown],
) -> None:
    name = check.name()
    planned.key = safe_echo(name)
    contact = check.email()
    themes = check.items("themes")
    if not themes and not check.problems_about("themes"):
        check.add("missing", "themes", N_("%(column)s is required"), column="themes")
    for theme in themes:
        if not _THEME_CODE.match(theme) or theme not in region.themes:
            check.add(
                "unknown_theme",
                "themes",
                N_("unknown theme %(value)s"),
                value=safe_echo(theme[:64]),
            )
    tags = check.items("tags")
    for tag in tags:
        if len(tag) > LIMITS["tag"]:
            check.add(
                "too_long",
                "tags",
                N_("%(column)s is longer than %(limit)s characters"),
                column="tags",
                limit=str(LIMITS["tag"]),
            )
            break
    areas = [
        _resolve_town(check, "areas", area, declared, by_code, by_name, later)
        for area in check.items("areas", limit=MAX_AREAS)
    ]
    locale = check.locale()
    description = check.description()
    if not name:
        return
    key = normalized(name)
    if key in declared.companies:
        check.add(
            "duplicate",
            "name",
            N_("this company is already on line %(line)s"),
            line=str(declared.companies[key][1]),
        )
        return
    existing = companies_by_name.get(key, [])
    if len(existing) > 1:
        check.add(
            "ambiguous_company",
            "name",
            N_("several companies are named %(value)s"),
            value=safe_echo(name),
        )
        return
    if existing:
        declared.companies[key] = (Ref(id=existing[0].id), planned.line)
        planned.action = Action.UNCHANGED
        return
    declared.companies[key] = (Ref(line=planned.line), planned.line)
    planned.action = Action.CREATE
    planned.creation = NewCompany(
        planned.line,
        name,
        contact,
        tuple(themes),
        tuple(tags),
        tuple(area for area in areas if area is not None),
        locale,
        description,
    )


def _user(
    check: _Checker,
    planned: PlannedLine,
    declared: _Declared,
    region: Region,
    companies_by_name: Mapping[str, list[ExistingCompany]],
    later: Mapping[str, int],
    by_code: Mapping[str, ExistingTown],
    by_name: Mapping[str, ExistingTown],
) -> None:
    email = check.email()
    planned.key = safe_echo(email or check.raw("email")[:80])
    name = check.name(required=False)
    locale = check.locale()
    town = company = None
    if planned.kind == Kind.OFFICER:
        role = "town_officer"
        if value := check.one_line("town", required=True):
            town = _resolve_town(check, "town", value, declared, by_code, by_name, later)
    else:
        role = "company"
        if value := check.one_line("company", required=True, limit=LIMITS["name"]):
            company = _resolve_company(check, value, declared, companies_by_name, later)
    if not email:
        return
    if email in declared.emails:
        check.add(
            "duplicate_email",
            "email",
            N_("this email is already on line %(line)s"),
            line=str(declared.emails[email]),
        )
        return
    declared.emails[email] = planned.line
    existing = region.users.get(email)
    if existing is not None:
        same = (
            existing.role == role
            and (town is None or existing.town_id == town.id)
            and (company is None or existing.company_id == company.id)
        )
        if not same:
            check.add(
                "email_taken",
                "email",
                N_("%(value)s is already the address of another account"),
                value=safe_echo(email),
            )
            return
        planned.action = Action.UNCHANGED
        planned.existing_user = existing
        planned.invitation = existing.invitable
        return
    planned.action = Action.CREATE
    planned.invitation = True
    planned.creation = NewUser(planned.line, email, name, role, town, company, locale)
