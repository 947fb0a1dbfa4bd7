"""registry.heap: what a long piece of work starts with, frozen out of the collector's passes
for as long as the work runs (the served app, a gradebook import)."""

from __future__ import annotations

import argparse
import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

from registry import import_cli
from registry.heap import frozen


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_what_is_alive_is_frozen_for_the_block_and_given_back_after() -> None:
    assert gc.get_freeze_count() == 0
    kept = [[i] for i in range(1000)]
    old = Node()
    old_ref = weakref.ref(old)
    with frozen():
        assert gc.get_freeze_count() >= len(kept)
        del old
        gc.collect()
        assert old_ref() is not None  # frozen: not walked, so not freed while the block runs
        new = Node()
        new_ref = weakref.ref(new)
        del new
        gc.collect()
        assert new_ref() is None  # made in the block: collected as before
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert old_ref() is None  # given back: collected once dropped


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
