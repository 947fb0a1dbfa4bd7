"""One WebSocket connection to ``/graphql`` at the ASGI level, around strawberry's
``graphql-transport-ws`` handler:

* a message over ``REGISTRY_MAX_WS_MESSAGE_BYTES`` closes the connection with 1009 (message
  too big) before strawberry decodes it (``registry serve`` also caps what uvicorn reads);
* :meth:`LiveConnection.drop` ends the connection at once — a subscriber too slow to read its
  updates — without waiting on the send buffer it has let fill: the handler is cancelled, a
  close frame (1013, try again later) is offered for a moment only, and the server's side of
  the connection is released.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CONNECTION = "registry.connection"  # the scope key strawberry's context finds it under
TOO_BIG = 1009
TRY_AGAIN_LATER = 1013
CLOSE_WAIT = 0.5  # seconds a close frame may wait for a full send buffer


class LiveConnection:
    def __init__(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.closed = False
        self.dropped: str | None = None
        self._task: asyncio.Task[None] | None = None
        scope[CONNECTION] = self

    async def serve(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self._task = asyncio.ensure_future(app(self.scope, self.receive, self.send))
        try:
            await self._task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.dropped is None or (current is not None and current.cancelling()):
                raise  # the server is stopping, not a drop
            await self.close(TRY_AGAIN_LATER, self.dropped)

    def drop(self, reason: str) -> None:
        if self.dropped is None and self._task is not None and not self._task.done():
            self.dropped = reason
            self._task.cancel()

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "websocket.receive":
            data = message.get("text")
            size = len(data.encode("utf-8")) if data is not None else len(
                message.get("bytes") or b"")
            if size > self.max_bytes:
                await self.close(TOO_BIG, f"message over {self.max_bytes} bytes")
                return {"type": "websocket.disconnect", "code": TOO_BIG}
        return message

    async def send(self, message: Message) -> None:
        if self.closed:
            raise OSError("the connection is closed")  # Starlette: WebSocketDisconnect
        if message["type"] == "websocket.close":
            self.closed = True
        await self._send(message)

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        with suppress(Exception):
            await asyncio.wait_for(self._send({"type": "websocket.close", "code": code,
                                               "reason": reason}), CLOSE_WAIT)
