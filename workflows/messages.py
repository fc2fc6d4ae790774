"""`N_`: marks an English text for translation where it is written, without translating it.

The workflow and the activities keep English in their state and errors (their wire format
and the API's contract), the pages in their tables of labels; `make messages` extracts the
marked texts, and they are said in the reader's language where a page shows them
(core.i18n.translate). A text with values names them, `N_("cannot %(action)s a pilot")`,
so its msgid stays the same whatever the values. It lives in workflows/ because workflow
code imports nothing else of the project.
"""


def N_(text: str) -> str:
    """The text as written: only the extraction sees the mark."""
    return text
