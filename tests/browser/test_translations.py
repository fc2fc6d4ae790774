"""The texts the pages keep in tables are marked for the catalog, and read in the locale.

Texts in `_("...")` calls are extracted as they are (tests/test_translations_catalog.py);
those the pages keep in tables are marked with `N_`, which this checks did not get forgotten.
"""

from pathlib import Path

from babel.messages.pofile import read_po

from core.i18n import LOCALES_DIR
from core.settings import PROJECT_ROOT
from service.pages import actions, admin_directory, forms, labels, rendering, timeline
from service.pages.i18n import translator
from service.pages.rendering import environment


def _catalog_ids() -> set[str]:
    with Path(LOCALES_DIR / "messages.pot").open("rb") as pot:
        return {message.id for message in read_po(pot) if isinstance(message.id, str)}


def _texts_in_code() -> set[str]:
    texts = {
        text for kind, table in labels.LABELS.items() if kind != "locale" for text in table.values()
    }
    texts |= set(forms._MESSAGES.values())
    texts |= {label for label, _format in timeline._DETAILS.values()}
    texts |= {"Automatic, on a deadline", timeline.ANOTHER_COMPANY}
    texts |= {text for items in rendering.NAVIGATION.values() for _href, text in items}
    texts |= {spec.done for spec in actions.ACTIONS.values()}
    return texts | {directory.done for directory in admin_directory.DIRECTORIES.values()}


def test_every_text_of_the_pages_tables_is_in_the_catalog() -> None:
    assert sorted(_texts_in_code() - _catalog_ids()) == []


def test_french_is_the_default_and_english_reads_as_written() -> None:
    assert translator("fr")("Sign in") == "Se connecter"
    assert translator("")("Sign in") == "Se connecter"
    assert translator("en")("Sign in") == "Sign in"
    assert translator("en-GB")("Sign in") == "Sign in"


def test_refusals_and_matching_reasons_are_read_back_with_their_values() -> None:
    french = translator("fr")
    assert french("cannot review a pilot in stage 'closed'") == (
        "action « review » impossible pour un pilote à l'étape « closed »"
    )
    assert french("meets 2 of 3 needs: iot, lighting") == (
        "répond à 2 besoin(s) sur 3 : iot, lighting"
    )
    assert french("follows the theme 100% green") == "suit le thème 100% green"
    # Only the workflow's and activities' texts are read back: a template's `%(a)s: %(b)s`
    # does not turn every text with a colon into French punctuation.
    assert french("Lumina: an offer") == "Lumina: an offer"
    assert translator("en")("meets 2 of 3 needs: iot") == "meets 2 of 3 needs: iot"


def test_a_text_from_people_is_looked_up_but_still_escaped() -> None:
    # A name or an offer goes through `translated`, never `_()`: gettext's newstyle marks
    # its result safe and formats it with `%`.
    page = environment(str(PROJECT_ROOT / "templates")).from_string(
        "{{ name | translated }} {{ _('Sign in') }}"
    )
    assert page.render(locale="fr", name="<b>100%</b>") == "&lt;b&gt;100%&lt;/b&gt; Se connecter"
