"""One admission queue per server for the heavy work of every session, with traces batched together.

A class of thirty shares a few cores (or one GPU). :class:`JobQueue` runs at most ``workers``
jobs at a time, first come first served, and tells each waiting job how many are ahead of it.
Jobs submitted with :meth:`JobQueue.submit_batched` under the same key (the same model and input
shape) that are waiting together are handed to one call of their batch function, so one forward
and one backward pass serve many sessions, each getting back exactly its own item's result.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Item = TypeVar("Item")


class Ticket(Generic[T]):
    """A submitted job: wait for it, ask how many jobs are ahead of it, or cancel it while it waits."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue
        self._done = threading.Event()
        self._result: T | None = None
        self._error: BaseException | None = None
        self.started = False
        self.cancelled = False

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job is done (or ``timeout`` seconds pass); whether it is done."""
        return self._done.wait(timeout)

    def result(self, timeout: float | None = None) -> T:
        """The job's result, or its exception raised here; TimeoutError if not done in ``timeout`` seconds."""
        if not self._done.wait(timeout):
            raise TimeoutError("the job is not done yet")
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]

    def ahead(self) -> int:
        """How many jobs will start before this one (0 once it runs)."""
        return self._queue.ahead_of(self)

    def cancel(self) -> bool:
        """Take the job out of the queue if it has not started; whether it was cancelled."""
        return self._queue.cancel(self)

    def _finish(self, result: T | None = None, error: BaseException | None = None) -> None:
        self._result, self._error = result, error
        self._done.set()


@dataclass
class _Job:
    ticket: Ticket
    run: Callable[[], Any] | None = None  # a single job
    key: Hashable | None = None  # a batched job: its batch key, item and batch function
    item: Any = None
    run_batch: Callable[[Sequence[Any]], Sequence[Any]] | None = None
    arrived: float = field(default_factory=time.monotonic)


class JobQueue:
    """At most ``workers`` jobs at a time, in order of arrival; equal-keyed batched jobs run as one batch.

    A batched job that reaches the front waits until ``batch_wait_s`` after its own arrival for
    company (less, once a full batch is there), then takes every queued job with its key (up to ``max_batch``)
    into one call.
    """

    def __init__(self, workers: int = 1, max_batch: int = 16, batch_wait_s: float = 0.02) -> None:
        if workers < 1 or max_batch < 1 or batch_wait_s < 0:
            raise ValueError("workers and max_batch must be at least 1, batch_wait_s at least 0")
        self.workers, self.max_batch, self.batch_wait_s = workers, max_batch, batch_wait_s
        self._waiting: deque[_Job] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"explorer-job-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, run: Callable[[], T]) -> Ticket[T]:
        """Queue ``run()``; its ticket gives its result."""
        return self._add(_Job(Ticket(self), run=run))

    def submit_batched(
        self, key: Hashable, item: Item, run_batch: Callable[[Sequence[Item]], Sequence[T]]
    ) -> Ticket[T]:
        """Queue ``item``; it runs as ``run_batch([..., item, ...])`` with other items of the same ``key``.

        ``run_batch`` must return one result per item, in order; this ticket gets its item's result.
        """
        return self._add(_Job(Ticket(self), key=key, item=item, run_batch=run_batch))

    def _add(self, job: _Job) -> Ticket:
        with self._changed:
            if self._closed:
                raise RuntimeError("the job queue is closed")
            self._waiting.append(job)
            self._changed.notify()
        return job.ticket

    def ahead_of(self, ticket: Ticket) -> int:
        """How many waiting jobs are before ``ticket`` (0 when it runs or is done)."""
        with self._changed:
            for position, job in enumerate(self._waiting):
                if job.ticket is ticket:
                    return position
        return 0

    @property
    def waiting(self) -> int:
        """Jobs queued and not started."""
        with self._changed:
            return len(self._waiting)

    def cancel(self, ticket: Ticket) -> bool:
        """Remove a job that has not started; whether it was removed."""
        with self._changed:
            for job in self._waiting:
                if job.ticket is ticket:
                    self._waiting.remove(job)
                    ticket.cancelled = True
                    ticket._finish(error=RuntimeError("the job was cancelled"))
                    return True
        return False

    def close(self) -> None:
        """Stop the workers once the queue is empty (jobs already queued still run)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()

    def _take(self) -> list[_Job] | None:
        """The next job, with its batch mates; None when closed and empty."""
        with self._changed:
            while not self._waiting:
                if self._closed:
                    return None
                self._changed.wait()
            head = self._waiting.popleft()
            head.ticket.started = True
            if head.run_batch is None:
                return [head]

            def company() -> list[_Job]:
                return [job for job in self._waiting if job.run_batch is not None and job.key == head.key]

            while (
                len(company()) < self.max_batch - 1
                and (delay := head.arrived + self.batch_wait_s - time.monotonic()) > 0
            ):
                self._changed.wait(delay)  # company that arrives meanwhile joins the batch
            mates = company()[: self.max_batch - 1]
            for job in mates:
                self._waiting.remove(job)
                job.ticket.started = True
            return [head, *mates]

    def _work(self) -> None:
        while (jobs := self._take()) is not None:
            try:
                if jobs[0].run is not None:
                    results = [jobs[0].run()]
                else:
                    results = list(jobs[0].run_batch([job.item for job in jobs]))
                    if len(results) != len(jobs):
                        raise RuntimeError(f"a batch of {len(jobs)} gave {len(results)} results")
            except BaseException as error:  # the waiting sessions get the error, the worker carries on
                for job in jobs:
                    job.ticket._finish(error=error)
            else:
                for job, result in zip(jobs, results, strict=True):
                    job.ticket._finish(result)
