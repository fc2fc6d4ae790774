"""Reading an onboarding file: its bytes into a header and rows, each with the line it starts on.

`parse` refuses the file as a whole (FileRefused) when it cannot be read; it does not judge
the cells, which planning.py does line by line.
"""

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.onboarding.rules import COLUMNS, MAX_FILE_BYTES, MAX_ROWS, safe_echo
from workflows.messages import N_


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
class Row:
    line: int  # the line of the file where the row starts (the header is line 1)
    cells: Mapping[str, str]
    extra_cells: bool = False


@dataclass(frozen=True)
class ParsedFile:
    columns: tuple[str, ...]
    separator: str
    rows: tuple[Row, ...]


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
