"""registry.heap: what a long piece of work starts with, frozen out of the collector's passes
for as long as the work runs (the served app, a gradebook import)."""

from __future__ import annotations

import argparse
import gc
from pathlib import Path
from typing import Any

import pytest

from registry import import_cli
from registry.heap import frozen


def test_what_is_alive_is_frozen_for_the_block_and_given_back_after() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[i] for i in range(1000)]
    with frozen():
        assert gc.get_freeze_count() >= len(kept)
        made = [[i] for i in range(10)]  # new objects: collected as before
        assert gc.is_tracked(made[0])
    assert gc.get_freeze_count() == 0


def test_a_block_inside_another_leaves_the_heap_frozen_until_the_outer_one_ends() -> None:
    with frozen():
        outer = gc.get_freeze_count()
        with frozen():
            assert gc.get_freeze_count() == outer
        assert gc.get_freeze_count() == outer
    assert gc.get_freeze_count() == 0


def test_an_error_in_the_block_still_gives_the_heap_back() -> None:
    with pytest.raises(RuntimeError), frozen():
        raise RuntimeError("the import failed")
    assert gc.get_freeze_count() == 0


def test_a_gradebook_is_imported_with_the_heap_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def counted(*_: Any) -> import_cli.Report:
        seen.append(gc.get_freeze_count())
        return import_cli.Report()

    monkeypatch.setattr(import_cli, "_import", counted)
    args = argparse.Namespace(file=Path("g.csv"), exam_mode="ON_CAMPUS", reason=None,
                              dry_run=False)
    import_cli._run(None, None, None, "ALG-101", args)  # type: ignore[arg-type]
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0
