"""Planning an onboarding file: what each line would create, what exists unchanged, and every
problem, checked against the region as it is and against the lines above it.
"""

from collections.abc import Callable

from core.onboarding.cells import Checker
from core.onboarding.lookups import Declared, Lookups, resolve_company, resolve_town
from core.onboarding.model import (
    Action,
    Kind,
    NewCompany,
    NewTown,
    NewUser,
    Plan,
    PlannedLine,
    Ref,
    Region,
)
from core.onboarding.parsing import ParsedFile
from core.onboarding.rules import (
    LIMITS,
    MAX_AREAS,
    THEME_CODE_PATTERN,
    TOWN_CODE_PATTERN,
    normalized,
    safe_echo,
)
from workflows.messages import N_


def plan(parsed: ParsedFile, region: Region) -> Plan:
    """What importing the file into this region would do, line by line, with every problem."""
    lookups = Lookups.of(parsed, region)
    declared = Declared()
    lines = []
    for row in parsed.rows:
        check = Checker(row)
        kind = check.one_line("kind", required=True, limit=32).lower()
        planned = PlannedLine(row.line, safe_echo(kind[:40]), "")
        if checker := _CHECKERS.get(kind):
            checker(check, planned, declared, lookups)
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


def _town(check: Checker, planned: PlannedLine, declared: Declared, lookups: Lookups) -> None:
    name = check.name()
    code = check.one_line("code", limit=32)
    if code and not TOWN_CODE_PATTERN.match(code):
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
    named, coded = (
        lookups.towns_by_name.get(normalized(name)),
        lookups.towns_by_code.get(code) if code else None,
    )
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


def _company(check: Checker, planned: PlannedLine, declared: Declared, lookups: Lookups) -> None:
    name = check.name()
    planned.key = safe_echo(name)
    contact = check.email()
    themes = check.items("themes")
    if not themes and not check.problems_about("themes"):
        check.missing("themes")
    for theme in themes:
        if not THEME_CODE_PATTERN.match(theme) or theme not in lookups.region.themes:
            check.add(
                "unknown_theme",
                "themes",
                N_("unknown theme %(value)s"),
                value=safe_echo(theme[:64]),
            )
    tags = check.items("tags")
    for tag in tags:
        if len(tag) > LIMITS["tag"]:
            check.too_long("tags", LIMITS["tag"])
            break
    areas = [
        resolve_town(check, "areas", area, declared, lookups)
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
    existing = lookups.companies_by_name.get(key, [])
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


def _user(check: Checker, planned: PlannedLine, declared: Declared, lookups: Lookups) -> None:
    email = check.email()
    planned.key = safe_echo(email or check.raw("email")[:80])
    name = check.name(required=False)
    locale = check.locale()
    town = company = None
    if planned.kind == Kind.OFFICER:
        role = "town_officer"
        if value := check.one_line("town", required=True):
            town = resolve_town(check, "town", value, declared, lookups)
    else:
        role = "company"
        if value := check.one_line("company", required=True, limit=LIMITS["name"]):
            company = resolve_company(check, value, declared, lookups)
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
    existing = lookups.region.users.get(email)
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


# What checks and plans one line, by its kind.
_CHECKERS: dict[str, Callable[[Checker, PlannedLine, Declared, Lookups], None]] = {
    Kind.TOWN: _town,
    Kind.COMPANY: _company,
    Kind.OFFICER: _user,
    Kind.COMPANY_USER: _user,
}
