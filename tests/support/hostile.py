"""A hostile-input corpus, and the tools to aim it at every endpoint and every page form.

The endpoints come from the app's OpenAPI document and the pages from its route table and
the forms they render, so whatever is added later is covered without touching this file.
"""

import base64
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

XSS = '<script>alert("pf-xss")</script><img src=x onerror=alert(1)>'
CRLF = "Bancs\r\nX-Injected: pf-crlf"
DEEP = "__pf_deep__"  # stands for a document nested too deep to write with json.dumps
DEPTH = 100_000

# Text that must be stored and shown faithfully (escaped), never refused with a 5xx.
STORABLE_TEXT: dict[str, str] = {
    "html": XSS,
    "crlf": CRLF,
    "rtl": "abc\u202edcba\u2066x\u2069",
    "astral": "\U0001d54f\U0001f600\U0010fffd",
    "sql": "' OR 1=1; --",
    "zero_width": "\u200b\ufeff",
}
# Text no database column can hold: refused with 422 (or 404 in a path).
UNSTORABLE_TEXT: dict[str, str] = {"nul": "a\x00b", "surrogate": "a\ud800b"}
TEXT: dict[str, str] = {
    **STORABLE_TEXT,
    **UNSTORABLE_TEXT,
    "huge": "x" * 200_000,
    "empty": "",
    "bad_date": "2027-02-30",
    "year_zero": "0000-01-01",
    "far_date": "9999-12-31",
}
VALUES: dict[str, Any] = {
    **TEXT,
    "int_huge": 10**30,
    "int_negative": -(2**63) - 1,
    "float_huge": 1e308,
    "bool": True,
    "null": None,
    "list_huge": ["x"] * 20_000,
    "object": {"a": {"b": ["c"]}},
    "deep": DEEP,
}
PATH_IDS: dict[str, str] = {
    "zero": "0",
    "negative": "-1",
    "numeric_huge": "9" * 40,
    "uuid": "00000000-0000-0000-0000-000000000000",
    "dots": "..",
    "encoded_slash": "a%2Fb",
    "nul": "%00",
    "encoded_nul": "a%2500b",
    "long": "a" * 5000,
    "sql": "1'%20OR%20'1'%3D'1",
    "unicode": quote("😀\u202e"),
    "bad_escape": "%ZZ",
    "script": quote("<script>"),
}


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors a client could forge: well-encoded, but naming what no list handed out.
FORGED_CURSORS: dict[str, str] = {
    "cursor_nul_id": _b64("2027-01-01T00:00:00+00:00|\x00"),
    "cursor_naive_time": _b64("2027-01-01T00:00:00|abc"),
    "cursor_extreme_time": _b64("9999-12-31T23:59:59.999999-23:59|abc"),
    "cursor_long_id": _b64("2027-01-01T00:00:00+00:00|" + "a" * 5000),
    "cursor_no_separator": _b64("2027-01-01T00:00:00+00:00"),
    "cursor_not_utf8": base64.urlsafe_b64encode(b"\xff\xfe|\x80").decode(),
    "cursor_bad_padding": "YWJj=",
}


def truncations(cursor: str) -> dict[str, str]:
    """A real cursor cut short and tampered with."""
    middle = len(cursor) // 2
    swapped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    return {
        "cursor_truncated": cursor[:-3],
        "cursor_half": cursor[:middle],
        "cursor_tampered": swapped,
    }


def encode(body: Any) -> bytes:
    """JSON bytes, ASCII-escaped (a lone surrogate travels as \\ud800), DEEP expanded."""
    text = json.dumps(body, ensure_ascii=True)
    return text.replace(json.dumps(DEEP), "[" * DEPTH + "]" * DEPTH).encode()


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = document["components"]["schemas"][name]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return resolve(options[0], document)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return resolve(schema["allOf"][0], document)
    return schema


def example(
    schema: dict[str, Any], document: dict[str, Any], known: dict[str, Any], name: str = ""
) -> Any:
    """A plausible instance of `schema`, with the real values `known` gives by field name."""
    schema = resolve(schema, document)
    if name in known:
        return copy.deepcopy(known[name])
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", []))
        return {
            key: example(sub, document, known, key)
            for key, sub in schema.get("properties", {}).items()
            if key in required
        }
    if kind == "array":
        item = example(schema.get("items", {}), document, known, name)
        return [item] * max(schema.get("minItems", 0), 1 if item != "" else 0)
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(float(schema.get("minimum", 1)), 1.0)
    if kind == "boolean":
        return False
    return {"date": "2027-03-01", "date-time": "2027-03-01T00:00:00Z", "email": "a@b.example"}.get(
        schema.get("format", ""), "pf" + "x" * max(schema.get("minLength", 0) - 2, 0)
    )


def field_paths(
    schema: dict[str, Any], document: dict[str, Any], prefix: tuple[str | int, ...] = ()
) -> Iterator[tuple[str | int, ...]]:
    """Every property of a body, and of the objects in its lists (as their first item)."""
    schema = resolve(schema, document)
    for key, sub in schema.get("properties", {}).items():
        path = (*prefix, key)
        yield path
        sub = resolve(sub, document)
        if sub.get("type") == "array":
            item = resolve(sub.get("items", {}), document)
            if "properties" in item:
                yield from field_paths(item, document, (*path, 0))


def with_value(body: Any, path: tuple[str | int, ...], value: Any) -> Any | None:
    """A copy of `body` with the value at `path` set, or None if its parent is not there."""
    result = copy.deepcopy(body)
    node = result
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict):
        node[path[-1]] = value
        return result
    return None


@dataclass
class Form:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def with_value(self, name: str, value: str) -> list[tuple[str, str]]:
        return [(key, value if key == name else old) for key, old in self.fields]


class PageParser(HTMLParser):
    """The links and the POST forms of a page (inputs, selects, textareas, checked boxes)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
        elif self._form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select is not None:
            self._form.fields.append((self._select, a.get("value", "")))
            self._select = None
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None and data.strip():
            name, _ = self._form.fields[-1]
            self._form.fields[-1] = (name, data.strip())


def urlencode_raw(pairs: list[tuple[str, str]]) -> bytes:
    """A form body; text the client could not encode (a surrogate) goes as its raw bytes."""
    return "&".join(
        f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in pairs
    ).encode()
