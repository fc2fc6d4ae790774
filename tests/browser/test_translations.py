"""Every text the pages show in English has its French, and French has nothing left over."""

import ast
import re
from pathlib import Path

from service.pages import actions, admin_directory, forms, labels, rendering, timeline
from service.pages.french import FRENCH
from service.pages.i18n import translator

ROOT = Path(__file__).resolve().parents[2]
# `_("text")` in templates and page modules; a text passed through a variable is listed below.
_CALL = re.compile(r"""_\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""")
_ERROR_TITLE = re.compile(r'\d+: "([^"]+)"')


def _literal_texts() -> set[str]:
    files = [
        *(ROOT / "templates" / "pages").rglob("*.html"),
        *(ROOT / "service" / "pages").glob("*.py"),
    ]
    return {
        ast.literal_eval(match.group(1))
        for path in files
        for match in _CALL.finditer(path.read_text())
    }


def _texts_in_code() -> set[str]:
    texts = {
        text for kind, table in labels.LABELS.items() if kind != "locale" for text in table.values()
    }
    texts |= set(forms._MESSAGES.values())
    texts |= {label for label, _format in timeline._DETAILS.values()}
    texts |= {"Automatic, on a deadline", timeline.ANOTHER_COMPANY}
    texts |= {text for items in rendering.NAVIGATION.values() for _href, text in items}
    texts |= {spec.done for spec in actions.ACTIONS.values()}
    texts |= {directory.done for directory in admin_directory.DIRECTORIES.values()}
    error_page = (ROOT / "templates" / "pages" / "error.html").read_text()
    return texts | set(_ERROR_TITLE.findall(error_page)) | {"Something went wrong"}


def test_every_text_has_its_french() -> None:
    texts = _literal_texts() | _texts_in_code()
    assert sorted(texts - FRENCH.keys()) == []
    assert sorted(FRENCH.keys() - texts) == []


def test_french_is_the_default_and_english_reads_as_written() -> None:
    assert translator("fr")("Sign in") == "Se connecter"
    assert translator("")("Sign in") == "Se connecter"
    assert translator("en")("Sign in") == "Sign in"
    assert translator("en-GB")("Sign in") == "Sign in"
