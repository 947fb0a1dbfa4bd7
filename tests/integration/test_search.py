"""Name search on each back-end (SPEC §9): case-insensitive, Kazakh letters included, Latin
spelling too, through a trigram index (pg_trgm / FTS5) rather than a scan of the table — and an
erased name is gone from the index as well as from the row."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event
from support import ADMIN, OnPostgres, OnSQLite, StorageCase

from registry.bootstrap import Container
from registry.domain.search import fold, latin, search_key, search_terms


def register(registry: Container, name: str, latin_name: str | None = None) -> str:
    learner_id: str = registry.service.run(ADMIN, lambda cmd: cmd.learners.register(
        full_name=name, email=None, iin=None, full_name_latin=latin_name))
    return learner_id


def found(registry: Container, query: str) -> set[str]:
    return {row["fullName"] for row in registry.views.find("learners", search=query)}


class SearchCases(StorageCase):
    @pytest.fixture
    def people(self, registry: Container) -> dict[str, str]:
        return {name: register(registry, name, latin_name) for name, latin_name in [
            ("Нұрлан Қасымов", None), ("Әсел Өмірбекқызы", "Assel Omirbekkyzy"),
            ("Иван Петров", None), ("Ғалым Шәріпов", None), ("100% Test_Name", None)]}

    @pytest.mark.parametrize("query", ["нұрлан", "НҰРЛАН", "Nurlan", "NURLAN", "Qasymov",
                                       "Kasymov", "Нурлан", "лан Қас", "  nurlan   kasymov "])
    def test_a_name_is_found_as_written_in_either_case_and_in_latin(
            self, registry: Container, people: dict[str, str], query: str) -> None:
        assert found(registry, query) == {"Нұрлан Қасымов"}

    def test_the_latin_name_a_learner_gave_is_searched_too(
            self, registry: Container, people: dict[str, str]) -> None:
        assert found(registry, "assel") == {"Әсел Өмірбекқызы"}
        assert found(registry, "Өмірбек") == {"Әсел Өмірбекқызы"}
        assert found(registry, "Galym") == found(registry, "Ghalym") == {"Ғалым Шәріпов"}

    def test_short_queries_and_pattern_characters_are_literal(
            self, registry: Container, people: dict[str, str]) -> None:
        assert found(registry, "ов") == {"Нұрлан Қасымов", "Иван Петров", "Ғалым Шәріпов"}
        assert found(registry, "%") == {"100% Test_Name"}
        assert found(registry, "0% T") == {"100% Test_Name"}
        assert found(registry, "t_n") == {"100% Test_Name"}
        assert found(registry, "tXn") == set()
        assert found(registry, "Zzzz") == set()
        assert len(found(registry, "   ")) == 5  # no letters: no filter

    def test_search_goes_through_the_trigram_index(
            self, registry: Container, people: dict[str, str]) -> None:
        plans = explained(registry, "kasymov")
        if registry.backend.name == "sqlite":
            assert any("VIRTUAL TABLE INDEX" in line for line in plans), plans
        else:
            assert any("_search_trgm" in line for line in plans), plans

    def test_an_erased_name_is_no_longer_found_nor_kept_by_the_index(
            self, registry: Container, people: dict[str, str]) -> None:
        registry.service.erase_personal_data(ADMIN, uuid.UUID(people["Нұрлан Қасымов"]),
                                             "the learner asked (GDPR art. 17)")
        assert found(registry, "Nurlan") == set()
        assert found(registry, "Қасымов") == set()
        if registry.backend.name == "sqlite":  # the index's own pages keep no trace
            others = set().union(*(trigrams(search_key([n])) for n in people
                                   if n != "Нұрлан Қасымов"))
            raw = index_bytes(registry)
            assert not {t for t in trigrams("kasymov") - others if t in raw}
            assert {t for t in trigrams("petrov") - trigrams("kasymov") if t in raw}


def explained(registry: Container, query: str) -> list[str]:
    """The plan of the statement a search runs, as the back-end explains it."""
    engine = registry.views.read_engine
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "learners" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        registry.views.find("learners", search=query)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = statements[-1]
    with engine.connect() as c:
        if registry.backend.name == "sqlite":
            rows = c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return [str(row[-1]) for row in rows]
        c.exec_driver_sql("SET enable_seqscan = off")  # five rows: make the planner show it
        rows = c.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
        return [str(row[0]) for row in rows]


def index_bytes(registry: Container) -> bytes:
    """The raw pages of the learners' FTS index (its own copy of the trigrams)."""
    build = registry.views.serving(fresh=True)["learners"]
    table = registry.views.tables_of(build)["learners"].name
    with registry.views.read_engine.connect() as c:
        return b"".join(row[0] or b"" for row in c.exec_driver_sql(
            f'SELECT block FROM "{table}__search_data"'))


def trigrams(text: str) -> set[bytes]:
    return {text[i:i + 3].encode() for i in range(len(text) - 2)}


class TestSearchOnSQLite(OnSQLite, SearchCases):
    pass


class TestSearchOnPostgres(OnPostgres, SearchCases):
    pass


words = st.text(st.sampled_from("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіАБҚҢӨҰҮІ-'"),
                min_size=1, max_size=12)
names = st.lists(words, min_size=1, max_size=3).map(" ".join)


@given(name=names, start=st.integers(0, 40), length=st.integers(1, 12))
def test_any_part_of_a_name_finds_it_as_written_and_in_latin(name: str, start: int,
                                                              length: int) -> None:
    part = name[start:start + length].strip()
    if not part:
        return
    key = search_key([name])
    assert fold(part) in key and latin(part) in key
    assert set(search_terms(part)) <= {fold(part), latin(part)}
