"""The lean extensions runner finds exactly the hooks strawberry's own runner finds."""

from __future__ import annotations

from strawberry.extensions.runner import SchemaExtensionsRunner

from registry.api.hooks import LeanExtensionsRunner
from registry.api.schema import schema

STAGES = ("operation", "parsing", "validation", "executing")


def hooks(runner: SchemaExtensionsRunner, stage: str) -> list[tuple[type, bool]]:
    manager = getattr(runner, stage)()
    return [(type(hook.extension), hook.is_async) for hook in manager.hooks]


def test_every_stage_has_the_same_hooks_in_the_same_order_as_strawberrys_runner() -> None:
    for _ in range(2):  # the second time from the per-class table
        extensions = schema.get_extensions()
        ours = LeanExtensionsRunner(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
        theirs = SchemaExtensionsRunner(execution_context=None, extensions=extensions)  # type: ignore[arg-type]
        for stage in STAGES:
            assert hooks(ours, stage) == hooks(theirs, stage), stage
    assert any(hooks(ours, stage) for stage in STAGES)
    # each request's hooks are bound to that request's extension objects
    first = LeanExtensionsRunner(execution_context=None, extensions=schema.get_extensions())  # type: ignore[arg-type]
    second = LeanExtensionsRunner(execution_context=None, extensions=schema.get_extensions())  # type: ignore[arg-type]
    assert first.operation().hooks[0].extension is not second.operation().hooks[0].extension
