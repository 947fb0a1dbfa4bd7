"""Read your writes, without lying (SPEC §2): a write whose views are stopped or slow answers
the success it was — its payload from the aggregate — with ``extensions.consistency``, never an
error a client would retry into a duplicate; and waiting for the views holds no thread."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator

import pytest
from api.apiclient import Api, make_client
from api.operations import DRAFT, MOOC, SUBMIT

from registry.clock import FixedClock
from registry.config import Settings
from registry.projections.engine import PositionBoard, Progress


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    settings = dataclasses.replace(backend_settings, view_wait_seconds=0.3)
    with make_client(settings, clock) as client:
        yield Api(client)


def draft(api: Api, token: str, code: str) -> dict:
    return api(DRAFT, {"input": {"code": code, "title": {"en": code}, "language": "en",
                                 "credits": 3}}, token=token)


def test_a_write_answers_current_when_the_views_keep_up(api: Api) -> None:
    admin = api.token("admin")
    body = draft(api, admin, "CURRENT-1")
    assert body["data"]["draftMooc"]["status"] == "DRAFT"
    assert "consistency" not in (body.get("extensions") or {})


def test_a_write_whose_views_are_stopped_answers_success_and_says_so(api: Api) -> None:
    admin = api.token("admin")
    daemon = api.container.daemon
    assert daemon is not None
    daemon.stop()
    before = api.event_count()
    body = draft(api, admin, "BEHIND-1")
    assert "errors" not in body, body
    # The payload is the write itself, presented from the aggregate — not a stale row.
    assert body["data"]["draftMooc"] == {
        "code": "BEHIND-1", "status": "DRAFT", "language": "en", "credits": 3, "hours": None,
        "title": {"kk": None, "ru": None, "en": "BEHIND-1"}, "platform": None}
    consistency = body["extensions"]["consistency"]
    assert consistency["state"] == "BEHIND"
    assert "moocs" in consistency["behind"]
    assert consistency["position"] == api.container.app.last_notification_id()
    assert api.event_count() == before + 2  # stored once (the code claim and the draft)
    # A later change of the same record answers from the aggregate too.
    submitted = api(SUBMIT, {"code": "BEHIND-1"}, token=admin)
    assert submitted["data"]["submitMoocForReview"]["status"] == "IN_REVIEW"
    assert submitted["extensions"]["consistency"]["state"] == "BEHIND"
    # Once the views run again, queries see both writes.
    daemon.start()
    assert api.container.wait_for_views().current
    shown = api(MOOC, {"code": "BEHIND-1"}, token=admin)
    assert shown["data"]["mooc"]["status"] == "IN_REVIEW"
    assert "extensions" not in shown or "consistency" not in shown["extensions"]


def test_waiting_for_the_views_holds_no_thread() -> None:
    """Many writers wait at once on one event loop; the board resolves their futures."""
    board = PositionBoard()
    board.publish(Progress({"moocs": 0, "learners": 0}))
    threads_before = threading.active_count()

    async def main() -> list[bool]:
        waits = [board.wait_async(position, timeout=5) for position in range(1, 201)]
        tasks = [asyncio.ensure_future(w) for w in waits]
        await asyncio.sleep(0.05)
        assert threading.active_count() == threads_before  # no thread per waiter
        threading.Thread(target=board.publish,
                         args=(Progress({"moocs": 150, "learners": 200}),)).start()
        await asyncio.sleep(0.2)
        board.publish(Progress({"moocs": 200, "learners": 200}))
        return [(await t).current for t in tasks]

    assert all(asyncio.run(main()))


def test_a_waiter_on_a_stopped_view_is_told_at_once() -> None:
    board = PositionBoard()
    board.publish(Progress({"moocs": 5, "learners": 9}, stopped={"moocs": "RuntimeError"}))
    answers: list[object] = []
    waiter = threading.Thread(target=lambda: answers.append(board.wait(9, timeout=600)))
    waiter.start()
    waiter.join(10)  # at once, not after the 600 s timeout: nothing to wait for
    assert not waiter.is_alive(), "the waiter waited for a stopped view"
    assert answers[0].views == ("moocs",)  # type: ignore[attr-defined]
