"""Audit records written in batches, off the request path.

One insert and commit per token would cost the token endpoint more than half its
throughput (bench/registry_tokens.py: 1580 -> 371 anonymous tokens/s on 2 cores), so the
token service hands records to an `AuditWriter`: a thread that writes whatever has queued
in one transaction, at most `interval` seconds after it was queued. `flush()` waits until
everything queued so far is written; `close()` flushes and stops the thread. A record the
database refuses is logged, never raised into a login.
"""

from __future__ import annotations

import logging
import queue
import threading

from tenlayer.registry.store import AuditEntry, Store

log = logging.getLogger("tenlayer.registry.audit")

_Item = AuditEntry | threading.Event | None


class AuditWriter:
    def __init__(self, store: Store, *, interval: float = 0.2, batch: int = 1000) -> None:
        self.store = store
        self.interval = interval
        self.batch = batch
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def write(self, entry: AuditEntry) -> None:
        self._start()
        self._queue.put(entry)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every record queued before this call is written."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tenlayer-audit",
                                                daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            pending: list[AuditEntry] = []
            waiting: list[threading.Event] = []
            stop = False
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiting.append(item)
                else:
                    pending.append(item)
                if stop or len(pending) >= self.batch:
                    break
                try:
                    item = self._queue.get(timeout=self.interval if not waiting else 0.0)
                except queue.Empty:
                    break
            if pending:
                try:
                    self.store.audit_many(pending)
                except Exception:
                    log.exception("%d audit records not written", len(pending))
            for event in waiting:
                event.set()
            if stop:
                return
