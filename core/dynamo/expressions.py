"""DynamoDB expressions as values: paths, conditions and updates, rendered with every attribute
name aliased (`#n0`) and every value bound (`:v0`).

Aliasing everything means reserved words (`status`, `name`, `data`) always work, and the
Names/Values maps are included only when non-empty, never as `None` (both mistakes broke
production writers before). Python floats become `Decimal(str(x))`; NaN and Infinity, which
DynamoDB cannot store, are rejected with the path they were found at (see `values`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .values import to_dynamodb

Segment = str | int
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]|(\.)")


class Path:
    """A document path: attribute names (str) and list indexes (int).

    `Path.parse("stages_snapshot.stages[3].status")` splits on dots and brackets; build a Path
    from segments (`Path("odd.name")`) when a name itself holds a dot or bracket.
    """

    __slots__ = ("segments",)

    def __init__(self, *segments: Segment):
        if not segments or not isinstance(segments[0], str):
            raise ValueError("A path starts with an attribute name.")
        for segment in segments:
            if isinstance(segment, bool) or not isinstance(segment, (str, int)):
                raise ValueError(f"Bad path segment {segment!r}.")
            if isinstance(segment, str) and segment == "":
                raise ValueError("Attribute names in a path cannot be empty.")
            if isinstance(segment, int) and segment < 0:
                raise ValueError("List indexes in a path cannot be negative.")
        self.segments: tuple[Segment, ...] = tuple(segments)

    @classmethod
    def parse(cls, text: str) -> Path:
        segments: list[Segment] = []
        position = 0
        expect_name = True
        for match in _SEGMENT.finditer(text):
            if match.start() != position:
                break
            name, index, dot = match.groups()
            if name is not None and expect_name:
                segments.append(name)
                expect_name = False
            elif index is not None and not expect_name:
                segments.append(int(index))
            elif dot is not None and not expect_name:
                expect_name = True
            else:
                break
            position = match.end()
        if position != len(text) or expect_name:
            raise ValueError(f"Cannot parse document path {text!r}.")
        return cls(*segments)

    def child(self, *segments: Segment) -> Path:
        return Path(*self.segments, *segments)

    def overlaps(self, other: Path) -> bool:
        shorter = min(len(self.segments), len(other.segments))
        return self.segments[:shorter] == other.segments[:shorter]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Path) and other.segments == self.segments

    def __hash__(self) -> int:
        return hash(self.segments)

    def __repr__(self) -> str:
        return f"Path({str(self)!r})"

    def __str__(self) -> str:
        text = ""
        for segment in self.segments:
            text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
        return text


def as_path(path: str | Path) -> Path:
    return path if isinstance(path, Path) else Path.parse(path)


class Aliases:
    """Allocates `#nK` for names and `:vK` for values while an expression is rendered."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._name_aliases: dict[str, str] = {}

    def name(self, name: str) -> str:
        if name not in self._name_aliases:
            alias = f"#n{len(self._name_aliases)}"
            self._name_aliases[name] = alias
            self.names[alias] = name
        return self._name_aliases[name]

    def value(self, value: Any, where: str = "value") -> str:
        alias = f":v{len(self.values)}"
        self.values[alias] = to_dynamodb(value, where)
        return alias

    def path(self, path: Path) -> str:
        text = ""
        for segment in path.segments:
            text += (
                f"[{segment}]"
                if isinstance(segment, int)
                else (f".{self.name(segment)}" if text else self.name(segment))
            )
        return text


# ---- conditions ------------------------------------------------------------------------------


class Condition:
    def render(self, aliases: Aliases) -> str:
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        return _Join("AND", self, other)

    def __or__(self, other: Condition) -> Condition:
        return _Join("OR", self, other)

    def __invert__(self) -> Condition:
        return _Not(self)


@dataclass(frozen=True)
class _Join(Condition):
    operator: str
    left: Condition
    right: Condition

    def render(self, aliases: Aliases) -> str:
        return f"({self.left.render(aliases)} {self.operator} {self.right.render(aliases)})"


@dataclass(frozen=True)
class _Not(Condition):
    inner: Condition

    def render(self, aliases: Aliases) -> str:
        return f"(NOT {self.inner.render(aliases)})"


@dataclass(frozen=True)
class _Function(Condition):
    function: str
    path: Path
    argument: Any = None
    has_argument: bool = False

    def render(self, aliases: Aliases) -> str:
        if self.has_argument:
            value = aliases.value(self.argument, str(self.path))
            return f"{self.function}({aliases.path(self.path)}, {value})"
        return f"{self.function}({aliases.path(self.path)})"


@dataclass(frozen=True)
class _Compare(Condition):
    path: Path
    operator: str
    value: Any

    def render(self, aliases: Aliases) -> str:
        return f"{aliases.path(self.path)} {self.operator} {aliases.value(self.value, str(self.path))}"


def exists(path: str | Path) -> Condition:
    return _Function("attribute_exists", as_path(path))


def not_exists(path: str | Path) -> Condition:
    return _Function("attribute_not_exists", as_path(path))


def equals(path: str | Path, value: Any) -> Condition:
    return _Compare(as_path(path), "=", value)


def compare(path: str | Path, operator: str, value: Any) -> Condition:
    if operator not in {"=", "<>", "<", "<=", ">", ">="}:
        raise ValueError(f"Unknown comparison {operator!r}.")
    return _Compare(as_path(path), operator, value)


def contains(path: str | Path, value: Any) -> Condition:
    return _Function("contains", as_path(path), value, True)


def begins_with(path: str | Path, prefix: str) -> Condition:
    return _Function("begins_with", as_path(path), prefix, True)


def as_read(item: Mapping[str, Any], names: Iterable[str]) -> Condition | None:
    """True while each of these top-level attributes holds what `item` held (absent ones still absent)."""
    return all_of(*(equals(Path(name), item[name]) if name in item else not_exists(Path(name)) for name in names))


def all_of(*conditions: Condition) -> Condition | None:
    result: Condition | None = None
    for condition in conditions:
        result = condition if result is None else result & condition
    return result


# ---- updates ---------------------------------------------------------------------------------


@dataclass
class Update:
    """SET / REMOVE / ADD actions on document paths."""

    _set: list[tuple[Path, str, Any]] = field(default_factory=list)
    _remove: list[Path] = field(default_factory=list)
    _add: list[tuple[Path, Any]] = field(default_factory=list)

    def set(self, path: str | Path, value: Any) -> Update:
        self._set.append((as_path(path), "value", value))
        return self

    def set_if_not_exists(self, path: str | Path, value: Any) -> Update:
        self._set.append((as_path(path), "if_not_exists", value))
        return self

    def append(self, path: str | Path, values: list) -> Update:
        """Append to a list, creating it when absent."""
        self._set.append((as_path(path), "append", list(values)))
        return self

    def remove(self, path: str | Path) -> Update:
        self._remove.append(as_path(path))
        return self

    def add(self, path: str | Path, value: Any) -> Update:
        """Atomic ADD: a number increment or set union."""
        self._add.append((as_path(path), value))
        return self

    def paths(self) -> list[Path]:
        return [p for p, _, _ in self._set] + list(self._remove) + [p for p, _ in self._add]

    def __bool__(self) -> bool:
        return bool(self._set or self._remove or self._add)

    def render(self, aliases: Aliases) -> str:
        if not self:
            raise ValueError("An update needs at least one action.")
        paths = self.paths()
        for index, path in enumerate(paths):
            for other in paths[index + 1 :]:
                if path.overlaps(other):
                    raise ValueError(f"Update paths {path} and {other} overlap; DynamoDB rejects that.")
        clauses = []
        if self._set:
            clauses.append("SET " + ", ".join(self._render_set(p, kind, v, aliases) for p, kind, v in self._set))
        if self._remove:
            clauses.append("REMOVE " + ", ".join(aliases.path(p) for p in self._remove))
        if self._add:
            clauses.append("ADD " + ", ".join(f"{aliases.path(p)} {aliases.value(v, str(p))}" for p, v in self._add))
        return " ".join(clauses)

    @staticmethod
    def _render_set(path: Path, kind: str, value: Any, aliases: Aliases) -> str:
        target = aliases.path(path)
        if kind == "if_not_exists":
            return f"{target} = if_not_exists({target}, {aliases.value(value, str(path))})"
        if kind == "append":
            empty = aliases.value([], str(path))
            return f"{target} = list_append(if_not_exists({target}, {empty}), {aliases.value(value, str(path))})"
        return f"{target} = {aliases.value(value, str(path))}"


def expression_kwargs(
    *,
    update: Update | None = None,
    condition: Condition | None = None,
    filter: Condition | None = None,
    key_condition: Condition | None = None,
    projection: list[str | Path] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a boto3 Table call; empty maps are left out, never passed as None."""
    aliases = Aliases()
    kwargs: dict[str, Any] = {}
    if key_condition is not None:
        kwargs["KeyConditionExpression"] = key_condition.render(aliases)
    if update is not None:
        kwargs["UpdateExpression"] = update.render(aliases)
    if condition is not None:
        kwargs["ConditionExpression"] = condition.render(aliases)
    if filter is not None:
        kwargs["FilterExpression"] = filter.render(aliases)
    if projection:
        kwargs["ProjectionExpression"] = ", ".join(aliases.path(as_path(p)) for p in projection)
    if aliases.names:
        kwargs["ExpressionAttributeNames"] = aliases.names
    if aliases.values:
        kwargs["ExpressionAttributeValues"] = aliases.values
    return kwargs
