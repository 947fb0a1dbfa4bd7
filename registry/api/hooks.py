"""Schema-extension hooks looked up once per extension class, not once per request.

strawberry's runner asks, for every request and every stage (operation, parse, validation,
execution), each of the schema's extensions whether it has a hook, and wraps each hook it finds
in a fresh context-manager function (``contextlib.contextmanager`` of a bound method:
``functools.update_wrapper`` every time) — for the six extensions the schema had before
:mod:`.pipeline` made them one, about 7 % of a ``{ __typename }``'s cost in process; for the
one, four such wrappers a request. The answer only depends on the extension's class, so
:class:`LeanExtensionsRunner` keeps it per class and stage: the hooks, their order and their
behaviour are strawberry's own (a hook that is a plain function, which ours are not, goes
through strawberry's lookup as before).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

_NONE = object()  # the class has no hook for the stage
_PLAIN = object()  # a plain function: strawberry's own lookup wraps it


class _ByClass:
    """``get_hook`` from a per-class table: ``(factory, is_async)``, ``_NONE`` or ``_PLAIN``."""

    HOOK_NAME: str
    _found: ClassVar[dict[type, Any]]

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        kind = type(extension)
        found = self._found.get(kind)
        if found is None:
            found = self._found[kind] = self._look_up(kind)
        if found is _NONE:
            return None
        if found is _PLAIN:
            hook: WrappedHook | None = super().get_hook(extension)  # type: ignore[misc]
            return hook
        factory, is_async = found
        return WrappedHook(extension=extension, hook=partial(factory, extension),
                           is_async=is_async)

    @classmethod
    def _look_up(cls, kind: type) -> Any:
        hook_fn: Callable[..., Any] = getattr(kind, cls.HOOK_NAME)
        if hook_fn is getattr(SchemaExtension, cls.HOOK_NAME):
            return _NONE
        if inspect.isgeneratorfunction(hook_fn):
            return contextlib.contextmanager(hook_fn), False
        if inspect.isasyncgenfunction(hook_fn):
            return contextlib.asynccontextmanager(hook_fn), True
        return _PLAIN


class _Operation(_ByClass, OperationContextManager):
    _found: ClassVar[dict[type, Any]] = {}


class _Validation(_ByClass, ValidationContextManager):
    _found: ClassVar[dict[type, Any]] = {}


class _Parsing(_ByClass, ParsingContextManager):
    _found: ClassVar[dict[type, Any]] = {}


class _Executing(_ByClass, ExecutingContextManager):
    _found: ClassVar[dict[type, Any]] = {}


class LeanExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
