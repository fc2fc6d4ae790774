"""Reading an onboarding file and planning it against a region: plain Python, no database."""

import pytest

from core import onboarding
from core.onboarding import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    Action,
    ExistingCompany,
    ExistingTown,
    ExistingUser,
    FileRefused,
    NewCompany,
    NewTown,
    NewUser,
    Ref,
    Region,
    parse,
    plan,
    safe_echo,
)
from core.onboarding_sample import SAMPLE_CSV, sample_csv
from core.towns import load_towns
from service.schemas import common

HEADER = "kind,name,code,email,town,company,themes,tags,areas,locale,description\n"
REGION = Region(
    towns=(ExistingTown("t-lille", "Lille", "59350"), ExistingTown("t-roubaix", "Roubaix", None)),
    companies=(
        ExistingCompany("c-lumen", "Lumen"),
        ExistingCompany("c-twin1", "Twin"),
        ExistingCompany("c-twin2", "Twin"),
    ),
    themes=frozenset({"efficient-city", "creative-city"}),
    users={
        "camille@lille.example": ExistingUser(
            "u-camille", "camille@lille.example", "town_officer", "t-lille", None, True
        ),
        "lea@lumen.example": ExistingUser(
            "u-lea", "lea@lumen.example", "company", None, "c-lumen", False
        ),
    },
)


def _plan(rows: str, region: Region = REGION) -> onboarding.Plan:
    return plan(parse((HEADER + rows).encode()), region)


def _problems(rows: str) -> list[tuple[int, str, str]]:
    return [(line, p.type, p.column) for line, p in _plan(rows).problems]


def test_rows_keep_the_line_they_start_on_across_quoted_newlines_and_blank_lines() -> None:
    text = '\ufeffKIND ; Name ;code\r\n\r\ntown;"Saint-\nAndré";59527\r\n;;\r\ntown;Lille;59350\r\n'
    parsed = parse(text.encode())
    assert parsed.separator == ";"
    assert [(row.line, row.cells["name"]) for row in parsed.rows] == [
        (3, "Saint-\nAndré"),
        (6, "Lille"),
    ]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (HEADER.encode(), "no rows"),
        (b"kind,colour\ntown,red\n", "unknown column colour"),
        (b"name,code\nLille,59350\n", "no kind column"),
        (b"kind,name,name\ntown,a,b\n", "twice"),
        ("kind,name\ntown,Marcq-en-Barœul\n".encode("cp1252"), "not UTF-8"),
        (HEADER.encode() + b"x" * MAX_FILE_BYTES, "larger than"),
        ((HEADER + "town,T,,,,,,,,,\n" * (MAX_ROWS + 1)).encode(), "more than 5000 rows"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(content: bytes, words: str) -> None:
    with pytest.raises(FileRefused) as refused:
        parse(content)
    assert words in str(refused.value)
    assert refused.value.too_large == (words == "larger than")


def test_a_clean_file_plans_creations_in_order_with_references_to_earlier_rows() -> None:
    planned = _plan(
        "town,Tourcoing,59599,,,,,,,,\n"
        "town,lille,,,,,,,,,\n"
        "company,Verdi,,Hello@Verdi.example,,,efficient-city|creative-city,energy| iot ,"
        "59599|Lille|LILLE,EN,Energy for towns\n"
        "officer,Ana,,ana@tourcoing.example,Tourcoing,,,,,,\n"
        "company_user,Bo,,bo@verdi.example,,verdi,,,,,\n"
        "officer,Camille,,camille@lille.example,59350,,,,,,\n"
        "company_user,Léa,,lea@lumen.example,,Lumen,,,,,\n"
    )
    assert planned.problems == []
    assert [(line.line, line.action, line.invitation) for line in planned.lines] == [
        (2, Action.CREATE, False),
        (3, Action.UNCHANGED, False),
        (4, Action.CREATE, False),
        (5, Action.CREATE, True),
        (6, Action.CREATE, True),
        (7, Action.UNCHANGED, True),  # no password yet: invited again
        (8, Action.UNCHANGED, False),  # has chosen one
    ]
    assert planned.creations == [
        NewTown(2, "Tourcoing", "59599"),
        NewCompany(
            4,
            "Verdi",
            "hello@verdi.example",
            ("efficient-city", "creative-city"),
            ("energy", "iot"),
            (Ref(line=2), Ref(id="t-lille"), Ref(id="t-lille")),
            "en",
            "Energy for towns",
        ),
        NewUser(5, "ana@tourcoing.example", "Ana", "town_officer", Ref(line=2), None, "fr"),
        NewUser(6, "bo@verdi.example", "Bo", "company", None, Ref(line=4), "fr"),
    ]
    assert [user.id for user in planned.invited_again] == ["u-camille"]
    assert planned.counts()["officer"] == {"create": 1, "unchanged": 1}


def test_each_kind_of_problem_is_named_on_its_line_and_column() -> None:
    assert _problems(
        "officer,A,,a@x.example,Atlantis,,,,,,\n"  # 2
        "officer,B,,a@x.example,Lille,,,,,,\n"  # 3: duplicate email in the file
        "officer,C,,not-an-address,Lille,,,,,,\n"  # 4
        "company,D,,d@x.example,,,efficient-city|nope,,,,\n"  # 5
        "company_user,E,,e@x.example,,Nobody,,,,,\n"  # 6
        "mayor,F,,f@x.example,,,,,,,\n"  # 7
        "officer,G,,g@x.example,,,,,,,\n"  # 8: no town
        "officer,H,,h@x.example,Lille,,,,,de,\n"  # 9
        "officer,I,,lea@lumen.example,Lille,,,,,,\n"  # 10: a company user's address
        "company,,,,,,,,,,\n"  # 11: nothing
        "company_user,J,,j@x.example,,Twin,,,,,\n"  # 12: two companies named Twin
        "town,Lille,59999,,,,,,,,\n"  # 13: Lille has another code
        "town,Wasquehal,59350,,,,,,,,\n"  # 14: 59350 is Lille's
        "town,Comines,5 9,,,,,,,,\n"  # 15
        "town,=1+1,,,,,,,,,\n"  # 16
        "town,Halluin,,,,,,,,,,extra\n"  # 17
        "officer,K,,k@x.example,Halluin,,,,,,\n"  # 18: Halluin's row has problems, still named
        "officer,L,,l@x.example,Bondues,,,,,,\n"  # 19: comes later
        "town,Bondues,,,,,,,,,\n"  # 20
        "town,bondues,,,,,,,,,\n"  # 21
    ) == [
        (2, "unknown_town", "town"),
        (3, "duplicate_email", "email"),
        (4, "bad_email", "email"),
        (5, "unknown_theme", "themes"),
        (6, "unknown_company", "company"),
        (7, "unknown_kind", "kind"),
        (8, "missing", "town"),
        (9, "bad_locale", "locale"),
        (10, "email_taken", "email"),
        (11, "missing", "name"),
        (11, "missing", "email"),
        (11, "missing", "themes"),
        (12, "ambiguous_company", "company"),
        (13, "town_conflict", "code"),
        (14, "town_conflict", "code"),
        (15, "bad_code", "code"),
        (16, "formula", "name"),
        (17, "extra_cells", ""),
        (19, "unknown_town", "town"),
        (21, "duplicate", "name"),
    ]
    later = _plan("officer,L,,l@x.example,Bondues,,,,,,\ntown,Bondues,,,,,,,,,\n").problems
    assert later[0][1].message == "the town Bondues comes later, on line 3: move it up"


def test_a_line_with_a_problem_plans_nothing() -> None:
    planned = _plan("officer,A,,a@x.example,Atlantis,,,,,,\ntown,Li\x00lle,,,,,,,,,\n")
    assert [line.action for line in planned.lines] == [None, None]
    assert planned.creations == [] and planned.invited_again == []
    assert [p.type for _, p in planned.problems] == ["unknown_town", "bad_characters"]


def test_unstorable_and_oversized_text_is_a_problem_not_a_crash() -> None:
    assert _problems(
        f"town,{'x' * 201},,,,,,,,,\n"
        "company,Nul,,n@x.example,,,efficient-city,,,,a\x00b\n"
        f"company,Long,,l@x.example,,,efficient-city,{'t' * 65},,,\n"
        "officer,\x07,,b@x.example,Lille,,,,,,\n"
    ) == [
        (2, "too_long", "name"),
        (3, "bad_characters", "description"),
        (4, "too_long", "tags"),
        (5, "bad_characters", "name"),
    ]


def test_what_is_echoed_back_cannot_run_as_a_spreadsheet_formula() -> None:
    assert safe_echo("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_echo("@SUM(1)") == "'@SUM(1)"
    assert safe_echo("Lille") == "Lille"
    planned = _plan("=cmd|' /C calc'!A0,x,,,,,,,,,\nofficer,A,,+a@x.example,Lille,,,,,,\n")
    assert planned.lines[0].kind == "'=cmd|' /c calc'!a0"
    assert planned.lines[1].key == "'+a@x.example"


def test_the_email_rule_is_the_api_s() -> None:
    assert onboarding.EMAIL == common.EMAIL
    assert onboarding.THEME_CODE == common.THEME_CODE_PATTERN


def test_the_sample_file_is_the_generator_s_output_and_plans_cleanly() -> None:
    towns = load_towns()
    text = sample_csv(towns)
    assert SAMPLE_CSV.read_text(encoding="utf-8") == text
    region = Region(themes=frozenset({"efficient-city", "creative-city", "european-city"}))
    planned = plan(parse(text.encode()), region)
    assert planned.problems == []
    assert planned.counts() == {
        "town": {"create": 95, "unchanged": 0},
        "officer": {"create": 95, "unchanged": 0},
        "company": {"create": 100, "unchanged": 0},
        "company_user": {"create": 100, "unchanged": 0},
    }
    town_lines = {c.line for c in planned.creations if isinstance(c, NewTown)}
    officers = [c for c in planned.creations if isinstance(c, NewUser) and c.town is not None]
    assert {officer.town.line for officer in officers if officer.town} == town_lines
    assert sample_csv(towns, companies=10).count("\ncompany,") == 10


def test_a_town_that_exists_without_a_code_is_matched_by_its_name() -> None:
    planned = _plan("town,Roubaix,59512,,,,,,,,\nofficer,A,,a@x.example,59512,,,,,,\n")
    assert planned.problems == []
    assert planned.lines[0].action == Action.UNCHANGED
    assert planned.creations == [
        NewUser(3, "a@x.example", "A", "town_officer", Ref(id="t-roubaix"), None, "fr")
    ]
    assert _problems("town,Roubaix,59350,,,,,,,,\n") == [(2, "town_conflict", "code")]
