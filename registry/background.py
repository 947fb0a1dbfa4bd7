"""One background thread that runs a loop until stopped, woken early by :meth:`wake`."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """Subclasses give the thread's name and :meth:`_run` (looping while
    ``not self._stopping.is_set()``, waiting on ``self._wake``); :meth:`_starting` and
    :meth:`_stopped` set up and tear down what the loop uses besides the thread."""

    thread_name = "registry-background"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._starting()
            self._thread = threading.Thread(target=self._run, name=self.thread_name,
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._stopped()

    def _starting(self) -> None:
        pass

    def _stopped(self) -> None:
        pass

    def _run(self) -> None:
        raise NotImplementedError
