"""The catalogs hold every text the code and templates mark, and French translates them all.

The texts are extracted here as `make messages` does (babel.cfg), so a text added without
running it, or left untranslated or fuzzy in French, fails `make test` with its msgid.
"""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from core.i18n import LOCALES, LOCALES_DIR
from core.settings import PROJECT_ROOT

MsgId = str | tuple[str, ...]


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def _ids(catalog: Catalog) -> set[MsgId]:
    return {message.id for message in catalog if message.id}


@pytest.fixture(scope="module")
def extracted() -> set[MsgId]:
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = extract_from_dir(PROJECT_ROOT, method_map, options_map)
    return {message for _file, _line, message, _comments, _context in messages}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(LOCALES_DIR / "messages.pot")


def test_the_template_holds_exactly_the_texts_of_the_code(
    extracted: set[MsgId], template: Catalog
) -> None:
    committed = _ids(template)
    assert sorted(map(str, extracted - committed)) == [], "run `make messages`"
    assert sorted(map(str, committed - extracted)) == [], "run `make messages`"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_catalog_is_up_to_date_with_the_template(locale: str, template: Catalog) -> None:
    catalog = _read(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po", locale)
    assert _ids(catalog) == _ids(template), "run `make messages`"
    assert catalog.num_plurals == 2


def test_every_text_has_its_french() -> None:
    catalog = _read(LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po", "fr")
    untranslated = [
        str(message.id)
        for message in catalog
        if message.id
        and (message.fuzzy or not all(message.string if message.pluralizable else [message.string]))
    ]
    assert untranslated == []
    # Babel's checks: the same %(name)s placeholders as the English, a form for each plural.
    errors = [(str(message.id), [str(e) for e in found]) for message, found in catalog.check()]
    assert errors == []
