"""`N_`: marks an English text for translation where it is written, without translating it.

The workflow and the activities keep English in their state and errors (their wire format
and the API's contract); `make messages` extracts the marked texts, and the pages say them
in the reader's language (core.i18n.translate). A text with values names them,
`N_("cannot %(action)s a pilot")`, so its msgid stays the same whatever the values.
"""


def N_(text: str) -> str:
    """The text as written: only the extraction sees the mark."""
    return text
