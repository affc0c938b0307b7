"""Read-side query features: the `where` forms integrations use, ordering, paging, If-Modified-Since.

`where` grammar (a subset of Xero's): comparisons `Field==value`, `!=`, `>`, `>=`, `<`, `<=` with
value one of "string", number, true/false, null, guid("…"), DateTime(y,m,d); methods
`Field.Contains("x")`, `.StartsWith`, `.EndsWith`, `.ToLower()`/`.ToUpper()`; combined with
AND/&&/OR/|| and parentheses; dotted fields (`Contact.ContactID`). Anything else is a 400.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from .formats import parse_date

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<op>==|!=|>=|<=|&&|\|\||[<>().,])'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"cannot parse the where clause near {text[pos : pos + 20]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks, self.i = _tokens(text), 0

    def peek(self, value: str | None = None):
        tok = self.toks[self.i] if self.i < len(self.toks) else (None, None)
        return tok if value is None else (tok[1] or "").upper() == value.upper()

    def take(self, value: str | None = None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1].upper() != value.upper()):
            raise QueryError(f"expected {value or 'more'} in the where clause")
        self.i += 1
        return tok

    def parse(self):
        node = self.or_()
        if self.i != len(self.toks):
            raise QueryError(f"unexpected {self.toks[self.i][1]!r} in the where clause")
        return node

    def or_(self):
        node = self.and_()
        while self.peek("||") or self.peek("OR"):
            self.take()
            node = ("or", node, self.and_())
        return node

    def and_(self):
        node = self.atom()
        while self.peek("&&") or self.peek("AND"):
            self.take()
            node = ("and", node, self.atom())
        return node

    def atom(self):
        if self.peek("("):
            self.take("(")
            node = self.or_()
            self.take(")")
            return node
        kind, word = self.take()
        if kind != "word":
            raise QueryError(f"expected a field name, got {word!r}")
        path, transforms = [word], []
        while self.peek("."):
            self.take(".")
            name = self.take()[1]
            if self.peek("("):
                self.take("(")
                if name in ("ToLower", "ToUpper"):
                    self.take(")")
                    transforms.append(name)
                    continue
                if name not in ("Contains", "StartsWith", "EndsWith"):
                    raise QueryError(f"unsupported method {name}")
                arg = self.value()
                self.take(")")
                return ("method", path, transforms, name, arg)
            path.append(name)
        kind, op = self.take()
        if op not in ("==", "!=", ">", ">=", "<", "<="):
            raise QueryError(f"expected a comparison after {'.'.join(path)}")
        return ("cmp", path, transforms, op, self.value())

    def value(self):
        kind, tok = self.take()
        if kind == "str":
            return tok[1:-1].replace('\\"', '"')
        if kind == "num":
            return Decimal(tok)
        low = tok.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if low == "guid":
            self.take("(")
            value = self.value()
            self.take(")")
            return str(value).lower()
        if low == "datetime":
            self.take("(")
            parts = [int(self.take()[1])]
            while self.peek(","):
                self.take(",")
                parts.append(int(self.take()[1]))
            self.take(")")
            return datetime(*parts, tzinfo=UTC).timestamp()
        raise QueryError(f"unexpected {tok!r} in the where clause")


def compile_where(text: str | None):
    if not text:
        return lambda row: True
    tree = _Parser(text).parse()
    return lambda row: _eval(tree, row)


def _field(row, path):
    value = row
    for name in path:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == name.lower()), None)
    return value


def _norm(value, like):
    """Bring the stored value to the literal's type (dates, GUIDs, numbers, case)."""
    if isinstance(like, bool) or like is None:
        return value
    if isinstance(like, float):  # DateTime(...)
        return parse_date(value)
    if isinstance(like, Decimal):
        try:
            return Decimal(str(value))
        except (ArithmeticError, ValueError):
            return None
    return None if value is None else str(value)


def _eval(node, row) -> bool:
    if node[0] == "and":
        return _eval(node[1], row) and _eval(node[2], row)
    if node[0] == "or":
        return _eval(node[1], row) or _eval(node[2], row)
    _, path, transforms, op, arg = node
    value = _field(row, path)
    for t in transforms:
        value = None if value is None else (str(value).lower() if t == "ToLower" else str(value).upper())
    if node[0] == "method":
        if value is None:
            return False
        text, arg = str(value).lower(), str(arg).lower()  # Xero's text methods ignore case
        return {"Contains": arg in text, "StartsWith": text.startswith(arg), "EndsWith": text.endswith(arg)}[
            op
        ]
    value = _norm(value, arg)
    if isinstance(arg, str) and isinstance(value, str) and _looks_like_guid(arg):
        value = value.lower()
    if op == "==":
        return value == arg
    if op == "!=":
        return value != arg
    if value is None or arg is None:
        return False
    try:
        return {">": value > arg, ">=": value >= arg, "<": value < arg, "<=": value <= arg}[op]
    except TypeError:
        return False


def _looks_like_guid(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text))


def order_rows(rows: list[dict], order: str | None) -> list[dict]:
    if not order:
        return rows
    field, _, direction = order.strip().partition(" ")
    key = field.strip()
    decorated = [
        (
            (_field(r, key.split(".")) is None),
            str(_field(r, key.split(".")) or "").lower()
            if not isinstance(_field(r, key.split(".")), (int, float, Decimal))
            else _field(r, key.split(".")),
            r,
        )
        for r in rows
    ]
    decorated.sort(key=lambda d: (d[0], d[1]), reverse=direction.strip().upper() == "DESC")
    return [d[2] for d in decorated]


def modified_since(rows: list[dict], header: str | None) -> list[dict]:
    if not header:
        return rows
    since = parse_date(header)
    if since is None:
        raise QueryError(f"If-Modified-Since {header!r} is not a date")
    return [r for r in rows if r["_updated"] > since]


def paginate(
    rows: list[dict], page: str | None, page_size: str | None, served: int = 0
) -> tuple[list[dict], dict | None]:
    """Xero pages only when `page` is given; pageSize defaults to 100 and is capped at 1000. `served` > 0
    serves that many whatever pageSize says (Xero does not promise every endpoint honours pageSize);
    `pagination` always says what was served, and `pageCount` how many pages there are."""
    if page is None:
        return rows, None
    try:
        number = max(1, int(page))
        size = min(MAX_PAGE_SIZE, max(1, int(page_size))) if page_size else DEFAULT_PAGE_SIZE
    except ValueError:
        raise QueryError("page and pageSize must be integers")
    if served > 0:
        size = served
    start = (number - 1) * size
    count = len(rows)
    return rows[start : start + size], {
        "page": number,
        "pageSize": size,
        "pageCount": -(-count // size),
        "itemCount": count,
    }
