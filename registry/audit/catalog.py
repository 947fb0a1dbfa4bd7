"""The event catalog: one JSON Schema (2020-12) per event type and schema version, generated
from the aggregates' event classes in ``registry/domain`` — ``events/<Aggregate>/<Event>.v<N>.json``.

Each schema describes a whole audit envelope of that event (see ``events/README.md``): the
common keys, and ``payload`` typed from the event's ``__init__`` annotations. A ``personal``
argument never appears in the payload; the envelope's ``personal_commitment`` stands for it.
Regenerate with ``registry events export``; a test fails when ``events/`` drifts from the code.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import importlib
import inspect
import json
import pkgutil
import sys
import types
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eventsourcing import domain as es_domain
from eventsourcing.domain import Aggregate, AggregateEvent, CanInitAggregate

from ..application.context import CommandContext
from .envelope import ENVELOPE_VERSION

REGENERATE = ".venv/bin/registry events export"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
NOT_PAYLOAD = {"self", "originator_id", "originator_version", "timestamp", "originator_topic"}


class CatalogError(TypeError):
    """An event field the catalog (and the audit envelope) cannot represent."""


def aggregates(package: str = "registry.domain") -> list[type[Aggregate]]:
    found: dict[str, type[Aggregate]] = {}
    root = importlib.import_module(package)
    for module_info in pkgutil.iter_modules(root.__path__, f"{package}."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Aggregate)
                    and value is not Aggregate and value.__module__ == module.__name__):
                found[value.__qualname__] = value
    return [found[name] for name in sorted(found)]


def event_classes(aggregate: type[Aggregate]) -> list[type[AggregateEvent]]:
    """The events an aggregate records: its creation event(s) and its decorated methods'."""
    created = list(getattr(es_domain, "_created_event_classes", {}).get(aggregate, []))
    others = [
        value for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, AggregateEvent)
        and not issubclass(value, CanInitAggregate) and name != "Event"
    ]
    events = {cls.__qualname__: cls for cls in [*created, *others]}
    return [events[name] for name in sorted(events)]


def _schema_for(hint: Any, where: str) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is type(None):
        return {"type": "null"}
    if origin in (typing.Union, types.UnionType):
        options = [_schema_for(arg, where) for arg in args]
        return {"anyOf": options}
    if hint is bool:
        return {"type": "boolean"}
    if hint is float:
        raise CatalogError(f"{where}: floats are not allowed in audited events (no canonical "
                           "text); use integers, e.g. minor units or percent")
    if hint is int:
        return {"type": "integer"}
    if hint is str:
        return {"type": "string"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"type": "string", "enum": [member.value for member in hint]}
    if hint is uuid.UUID:
        return {"type": "string", "format": "uuid"}
    if hint is datetime.datetime:
        return {"type": "string", "format": "date-time"}
    if hint is datetime.date:
        return {"type": "string", "format": "date"}
    if hint is Any:
        return {"description": "any JSON value without floats"}
    if origin in (dict, dict) or hint is dict:
        value = args[1] if len(args) == 2 else Any
        if value is Any:
            return {"type": "object"}
        return {"type": "object", "additionalProperties": _schema_for(value, where)}
    if origin in (list, tuple) or hint in (list, tuple):
        if not args or args[0] is Any:
            return {"type": "array"}
        return {"type": "array", "items": _schema_for(args[0], where)}
    raise CatalogError(
        f"{where}: {hint!r} has no JSON form in the audit envelope; use str/int/bool, UUID, "
        "date, datetime, an Enum, or lists and dicts of them (or teach registry/audit/catalog.py"
        " and registry/audit/envelope.py the new type)")


def _hints(event: type, names: list[str]) -> dict[str, Any]:
    """The evaluated annotations of ``names`` (strings under ``from __future__ import
    annotations``), in the namespace of the module that defines the aggregate."""
    namespace = {**vars(typing), **vars(sys.modules[event.__module__])}
    parameters = inspect.signature(event.__init__).parameters  # type: ignore[misc]
    hints = {}
    for name in names:
        annotation = parameters[name].annotation
        try:
            hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
        except NameError as error:
            raise CatalogError(f"{event.__qualname__}.{name}: {error}") from None
    return hints


def _meta_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for item in dataclasses.fields(CommandContext):
        nullable = "None" in str(item.type)
        properties[item.name] = ({"type": ["string", "null"]} if nullable
                                 else {"type": "string"})
    properties["recorded_at"] = {"type": "string", "format": "date-time"}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False,
            "description": "R11: who caused the event (token name and role), on whose behalf, "
                           "correlation and causation ids, and when it was recorded."}


def event_schema(aggregate: type[Aggregate], event: type[AggregateEvent]) -> dict[str, Any]:
    name = event.__qualname__
    version = int(getattr(event, "class_version", 1))
    parameters = [p for p in inspect.signature(event.__init__).parameters
                  if p not in NOT_PAYLOAD]
    hints = _hints(event, parameters)
    has_personal = "personal" in parameters
    payload = {p: _schema_for(hints.get(p, Any), f"{name}.{p}")
               for p in parameters if p != "personal"}
    created = issubclass(event, CanInitAggregate)
    base64_hash = {"type": "string", "contentEncoding": "base64"}
    signature = inspect.signature(event.__init__)
    required = [p for p in payload if signature.parameters[p].default is inspect.Parameter.empty]
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"urn:det-registry:events:{name}:v{version}",
        "title": f"{name} v{version}",
        "description": f"The audit envelope of a {name} event (schema version {version}).",
        "type": "object",
        "properties": {
            "envelope_version": {"const": ENVELOPE_VERSION},
            "index": {"type": "integer", "minimum": 0},
            "previous": {"anyOf": [base64_hash, {"type": "null"}],
                         "description": "The previous entry's leaf hash; null at index 0."},
            "event_id": {"type": "string", "format": "uuid"},
            "type": {"const": name},
            "schema_version": {"const": version},
            "aggregate": {
                "type": "object",
                "properties": {
                    "kind": {"const": aggregate.__qualname__},
                    "id": {"type": "string", "format": "uuid"},
                    "version": {"const": 1} if created else {"type": "integer", "minimum": 2},
                },
                "required": ["kind", "id", "version"],
                "additionalProperties": False,
            },
            "meta": _meta_schema(),
            "timestamp": {"type": "string", "format": "date-time"},
            "payload": {"type": "object", "properties": payload, "required": required,
                        "additionalProperties": False},
            "personal_commitment": (
                {"anyOf": [base64_hash, {"type": "null"}],
                 "description": "base64(SHA-256(salt ‖ JCS(personal part))); null when the "
                                "event had no personal part."}
                if has_personal else {"type": "null"}),
        },
        "required": ["envelope_version", "index", "previous", "event_id", "type",
                     "schema_version", "aggregate", "meta", "timestamp", "payload",
                     "personal_commitment"],
        "additionalProperties": False,
    }


def catalog() -> dict[str, str]:
    """Relative path → file text, for every event type of every aggregate."""
    files: dict[str, str] = {}
    for aggregate in aggregates():
        for event in event_classes(aggregate):
            schema = event_schema(aggregate, event)
            event_name = event.__qualname__.rpartition(".")[2]
            version = schema["properties"]["schema_version"]["const"]
            path = f"{aggregate.__qualname__}/{event_name}.v{version}.json"
            files[path] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return files


def existing(directory: Path) -> Iterator[str]:
    for path in sorted(directory.glob("*/*.json")):
        yield path.relative_to(directory).as_posix()


def write_catalog(directory: Path) -> tuple[list[str], list[str]]:
    """Write the catalog into ``directory``; remove schemas of events that no longer exist
    (a new schema *version* keeps its old file: old events still carry it)."""
    files = catalog()
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(relative)
    removed = [r for r in existing(directory) if r not in files]
    for relative in removed:
        (directory / relative).unlink()
    return written, removed
