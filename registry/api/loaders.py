"""Per-request DataLoaders: every relation the schema resolves from another view (an
enrolment's learner, MOOC and certificate, a MOOC's platform, a certificate's supersedes /
supersededBy, a learner's enrolments and certificates, a course's statistics, each record's
history) is loaded through one of these, so a page of 100 enrolments reads its 100 learners
with one ``WHERE key IN …`` in one thread hop, not 100 reads in 100 hops (N+1). A record read
``asOf`` a moment reads its relations as they stood then through ``as_of`` and
``versions_at``: one thread hop per batch, their events read together.

They are made per request (``Context.loaders``), so nothing is cached across requests or
callers; a command made in the request starts them afresh (``Context.run``), so what a
mutation answers is read after its write. They only load: who may see what is still decided
per record by the resolvers' calls into ``domain.access``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from ..application.service import RegistryService
    from ..application.timeline import AsOf

Doc = dict[str, Any]
Row = tuple[Doc, Any, str]  # a document, its order value and its key (for its cursor)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Call = Callable[..., Awaitable[Any]]


def filters_key(where: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A filter mapping as a hashable key (lists become tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                        for k, v in where.items()))


class Loaders:
    def __init__(self, service: RegistryService, call: Call) -> None:
        self._service = service
        self._call = call
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def _loader(self, name: Hashable, fetch: Callable[[list[K]], Mapping[K, V]],
                missing: Callable[[], V]) -> DataLoader[K, V]:
        """One loader per ``name``: a batch is one thread hop running ``fetch(keys)``."""
        found = self._loaders.get(name)
        if found is None:
            async def load(keys: list[K]) -> list[V]:
                got = await self._call(fetch, keys)
                return [got[key] if key in got else missing() for key in keys]

            found = self._loaders[name] = DataLoader(load_fn=load)
        return found

    def rows(self, table: str) -> DataLoader[str, Doc | None]:
        """``table``'s rows by key, as ``RegistryService.get`` answers them (``None``: the
        view has no such row)."""
        return self._loader(("rows", table),
                            lambda keys: self._service.get_many(table, keys), lambda: None)

    def first_page(self, table: str, by: str, where: Mapping[str, Any],
                   limit: int) -> DataLoader[str, list[Row]]:
        """The first ``limit`` rows (by key) of the lists of ``table`` whose ``by`` column is
        each key, filtered by ``where``."""
        def fetch(keys: list[str]) -> Mapping[str, list[Row]]:
            return self._service.first_pages(table, by, keys, where, limit=limit)

        return self._loader(("page", table, by, filters_key(where), limit), fetch, list)

    def count(self, table: str, by: str, where: Mapping[str, Any]) -> DataLoader[str, int]:
        """How many rows of ``table`` have each key in column ``by`` (with ``where``)."""
        def fetch(keys: list[str]) -> Mapping[str, int]:
            return self._service.count_by(table, by, keys, where)

        return self._loader(("count", table, by, filters_key(where)), fetch, int)

    def grouped(self, table: str, by: str, field: str, limit: int
                ) -> DataLoader[str, list[Doc]]:
        """All rows (at most ``limit`` per key) of ``table`` whose ``by`` column is each key;
        ``field`` is that column's name in the documents."""
        def fetch(keys: list[str]) -> Mapping[str, list[Doc]]:
            docs = self._service.find(table, {by: sorted(set(keys))},
                                      limit=limit * len(keys))
            found: dict[str, list[Doc]] = {}
            for doc in docs:
                found.setdefault(doc[field], []).append(doc)
            return found

        return self._loader(("grouped", table, by, limit), fetch, list)

    @property
    def histories(self) -> DataLoader[UUID, list[Doc]]:
        """Each aggregate's history (``RegistryService.history``)."""
        return self._loader("histories", self._service.histories, list)

    @property
    def course_statistics(self) -> DataLoader[str, Doc]:
        """Each MOOC's counts and rates (``RegistryService.mooc_statistics``)."""
        return self._loader("statistics", self._service.moocs_statistics, dict)


    def as_of(self, table: str, at: AsOf) -> DataLoader[str, Doc | None]:
        """``table``'s rows by key as they stood at ``at``, rebuilt from the event store
        (``Timeline.present_many``; ``None``: no such record then)."""
        return self._loader(("as_of", table, at),
                            lambda keys: self._service.timeline.present_many(table, keys, at),
                            lambda: None)

    def versions_at(self, at: AsOf) -> DataLoader[UUID, int]:
        """Each aggregate's version at ``at`` (``Timeline.versions_at``; 0: not yet)."""
        return self._loader(("versions_at", at),
                            lambda ids: self._service.timeline.versions_at(ids, at), int)
