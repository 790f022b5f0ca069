"""The job board: a bounded queue, one worker thread, cancel, status and a registry of jobs.

Transport-agnostic: each job carries the ``ReplyFn`` that reaches its client, and the work
itself is an injected ``Runner`` (the model's ``generate_take`` in production, a writer of
real example takes in tests). Every accepted job gets exactly one terminal reply, ``done`` or
``error``, whatever happens to it: success, a producer's bad input, a crash, a cancel or a
shutdown.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge import protocol
from bridge.protocol import JobSpec, ProtocolError, Reply
from models.request import CancelFn, Cancelled, ProgressFn
from multitrack.errors import MultitrackError

if TYPE_CHECKING:
    from multitrack.take import Take

log = logging.getLogger(__name__)

Runner = Callable[[JobSpec, ProgressFn, CancelFn], "Take"]
ReplyFn = Callable[[str, list[Any]], None]
Accepted = Reply | Callable[[], Reply]  # the accepted reply, or how to make it (may be slow)
DoneReplies = Callable[[JobSpec, "Take"], list[Reply]]

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
STOP_WAIT = 5.0  # seconds a shutdown waits for a cancelled runner to return
PROGRESS_STEP = 0.02  # smallest fraction change worth a progress reply


@dataclass(eq=False)
class Job:
    """One job's live record. Mutated only under the board's lock."""

    spec: JobSpec
    reply: ReplyFn
    state: str = QUEUED
    fraction: float = 0.0
    stage: str = QUEUED
    take_dir: Path | None = None
    error: tuple[str, str] | None = None
    cancel_reason: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    announced: threading.Event = field(default_factory=threading.Event)
    terminal_sent: bool = False
    last_progress: tuple[float, str] = (-1.0, "")

    @property
    def id(self) -> str:
        return self.spec.job

    def snapshot(self) -> dict[str, Any]:
        """The job as status JSON: state, progress and, once finished, its take or error."""
        record: dict[str, Any] = {
            "job": self.id,
            "kind": self.spec.kind,
            "state": self.state,
            "fraction": round(self.fraction, 4),
            "stage": self.stage,
        }
        if self.take_dir is not None:
            record["take_dir"] = str(self.take_dir)
        if self.error is not None:
            record["error"] = {"code": self.error[0], "message": self.error[1]}
        return record


class JobBoard:
    """A bounded queue of jobs run one at a time by a worker thread.

    ``capacity`` bounds the jobs waiting (the running one not counted); past it, ``submit``
    raises ``ProtocolError("busy")``. ``history`` finished jobs are remembered for status and
    duplicate-id refusal.
    """

    def __init__(
        self,
        runner: Runner,
        *,
        capacity: int = 8,
        history: int = 1000,
        done_replies: DoneReplies | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"queue capacity must be at least 1, got {capacity}")
        self._runner = runner
        self._capacity = capacity
        self._history = history
        self._done_replies = done_replies or _plain_done
        self._lock = threading.Condition()
        self._queue: collections.deque[Job] = collections.deque()
        self._jobs: collections.OrderedDict[str, Job] = collections.OrderedDict()
        self._running: Job | None = None
        self._accepting = True
        self._stopping = False
        self._worker = threading.Thread(target=self._work, name="multitrack-worker", daemon=True)
        # The intake thread sends `accepted` (parsing a prompt can take a third of a second)
        # and cancelled jobs' errors, in order, so the receive loop never waits on them.
        self._intake: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._intake_thread = threading.Thread(
            target=self._take_in, name="multitrack-intake", daemon=True
        )

    @property
    def capacity(self) -> int:
        return self._capacity

    def start(self) -> None:
        self._worker.start()
        self._intake_thread.start()

    def knows(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._jobs

    def submit(self, spec: JobSpec, reply: ReplyFn, accepted: Accepted) -> None:
        """Queue a job; its ``accepted`` reply goes out (from the intake thread) before any
        other reply of the job, and the job runs only after it. Raises ``ProtocolError``
        ``duplicate_job``, ``busy`` or ``shutting_down``; if making ``accepted`` raises a
        ``MultitrackError``, the job is dropped and answered with that error instead."""
        job = Job(spec, reply)
        with self._lock:
            if not self._accepting:
                raise ProtocolError("shutting_down", "the server is shutting down; try later")
            if spec.job in self._jobs:
                raise ProtocolError(
                    "duplicate_job", f"job id {spec.job!r} is already in use; pick a new one"
                )
            if len(self._queue) >= self._capacity:
                raise ProtocolError(
                    "busy", f"the queue is full ({self._capacity} jobs waiting); try again soon"
                )
            self._jobs[spec.job] = job
            self._queue.append(job)
            self._lock.notify_all()
        self._intake.put(lambda: self._announce(job, accepted))

    def cancel(self, job_id: str, *, reason: str = "cancelled by request") -> dict[str, Any]:
        """Cancel a queued job now or ask the running one to stop at its next check; returns
        the job's status. Finished jobs are left as they are."""
        message = f"job {job_id!r} {reason}"
        with self._lock:
            job = self._find(job_id)
            dequeued = job.state == QUEUED
            if dequeued:
                self._queue.remove(job)
                self._mark(job, CANCELLED, ("cancelled", message))
            elif job.state == RUNNING and not job.cancel.is_set():
                job.cancel_reason = reason
                job.cancel.set()
                job.stage = "cancelling"
            snapshot = job.snapshot()
        if dequeued:  # after its `accepted`, which is ahead of this in the intake queue
            error = protocol.error(job_id, "cancelled", message)
            self._intake.put(lambda: self._send_terminal(job, [error]))
        return snapshot

    def status(self, job_id: str | None = None) -> dict[str, Any]:
        """One job's status, or the board's: queue length, capacity, running job, recent jobs."""
        with self._lock:
            if job_id is not None:
                snapshot = self._find(job_id).snapshot()
                if snapshot["state"] == QUEUED:
                    snapshot["position"] = next(
                        i + 1 for i, j in enumerate(self._queue) if j.id == job_id
                    )
                return snapshot
            recent = list(self._jobs.values())[-20:]
            return {
                "accepting": self._accepting,
                "queued": len(self._queue),
                "capacity": self._capacity,
                "running": None if self._running is None else self._running.id,
                "jobs": [j.snapshot() for j in recent],
            }

    def shutdown(self, *, grace: float) -> None:
        """Stop taking jobs, cancel the queued ones, let the running one finish for up to
        ``grace`` seconds, then cancel it; every job is answered before this returns."""
        with self._lock:
            self._accepting = False
            queued = [j.id for j in self._queue]
        for job_id in queued:
            self.cancel(job_id, reason="was cancelled: the server is shutting down")
        deadline = time.monotonic() + grace
        with self._lock:
            while self._running is not None and time.monotonic() < deadline:
                self._lock.wait(min(0.1, max(0.0, deadline - time.monotonic())))
            running = self._running
        if running is not None:
            self.cancel(running.id, reason="was cancelled: the server is shutting down")
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._worker.is_alive():
            self._worker.join(timeout=max(grace, STOP_WAIT))
        if running is not None and self._worker.is_alive():
            # The runner ignored its cancel check; answer the job anyway before exiting.
            message = f"job {running.id!r} was stopped: the server is shutting down"
            self._finish(running, CANCELLED, ("cancelled", message), None)
        self._intake.put(None)  # after every queued announcement and cancellation
        if self._intake_thread.is_alive():
            self._intake_thread.join(timeout=STOP_WAIT)

    # -- the worker ------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._lock.wait()
                if not self._queue:
                    return
                job = self._queue.popleft()
                job.state, job.stage = RUNNING, "starting"
                self._running = job
            job.announced.wait()  # the intake thread always sets it, refused or not
            try:
                if job.error is None:
                    self._run(job)
            finally:
                with self._lock:
                    self._running = None
                    self._lock.notify_all()

    def _take_in(self) -> None:
        while True:
            task = self._intake.get()
            if task is None:
                return
            try:
                task()
            except Exception:  # a failed send must not stop the intake
                log.exception("intake task failed")

    def _announce(self, job: Job, accepted: Accepted) -> None:
        """Send a job's ``accepted`` reply; if it cannot be made, drop the job with an error."""
        try:
            reply = accepted() if callable(accepted) else accepted
        except Exception as exc:
            if isinstance(exc, MultitrackError):
                error = (getattr(exc, "code", "bad_request"), str(exc))
            else:
                log.exception("could not describe job %s", job.id)
                error = ("internal", f"internal error: {type(exc).__name__}: {exc}")
            with self._lock:
                if job.state == QUEUED:
                    self._queue.remove(job)
                self._mark(job, FAILED, error)
            self._send_terminal(job, [protocol.error(job.id, *error)])
        else:
            _send(job, reply)
        finally:
            job.announced.set()

    def _run(self, job: Job) -> None:
        def report(fraction: float, stage: str) -> None:
            self._progress(job, fraction, stage)

        try:
            if job.cancel.is_set():
                raise Cancelled("cancelled before it started")
            take = self._runner(job.spec, report, job.cancel.is_set)
            replies = self._done_replies(job.spec, take)
        except Cancelled:
            reason = job.cancel_reason or "was cancelled"
            message = f"job {job.id!r} {reason}; nothing was written"
            self._finish(job, CANCELLED, ("cancelled", message), None)
        except MultitrackError as exc:
            self._finish(job, FAILED, (getattr(exc, "code", "bad_request"), str(exc)), None)
        except Exception as exc:
            log.exception("job %s failed", job.id)
            self._finish(
                job, FAILED, ("internal", f"internal error: {type(exc).__name__}: {exc}"), None
            )
        else:
            with self._lock:
                job.take_dir = take.dir
            self._finish(job, DONE, None, replies)

    def _progress(self, job: Job, fraction: float, stage: str) -> None:
        with self._lock:
            job.fraction, job.stage = max(0.0, min(1.0, float(fraction))), str(stage)
            last_fraction, last_stage = job.last_progress
            due = stage != last_stage or job.fraction >= last_fraction + PROGRESS_STEP
            if due:
                job.last_progress = (job.fraction, job.stage)
        if due:
            _send(job, protocol.progress(job.id, job.fraction, job.stage))

    def _finish(
        self, job: Job, state: str, error: tuple[str, str] | None, replies: list[Reply] | None
    ) -> None:
        with self._lock:
            self._mark(job, state, error)
        if error is not None:
            replies = [protocol.error(job.id, *error)]
        self._send_terminal(job, replies or [])

    def _mark(self, job: Job, state: str, error: tuple[str, str] | None) -> None:
        job.state, job.error = state, error
        job.stage = state
        if state == DONE:
            job.fraction = 1.0
        self._forget_old()

    def _send_terminal(self, job: Job, replies: list[Reply]) -> None:
        with self._lock:
            if job.terminal_sent:
                return
            job.terminal_sent = True
        for reply in replies:
            _send(job, reply)

    def _find(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise ProtocolError("unknown_job", f"no job {job_id!r} on this server")
        return job

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.state in FINISHED]
        for key in finished[: max(0, len(finished) - self._history)]:
            del self._jobs[key]


def _send(job: Job, reply: Reply) -> None:
    try:
        job.reply(*reply)
    except Exception:  # a vanished client must not stop the worker
        log.exception("could not send %s for job %s", reply[0], job.id)


def _plain_done(spec: JobSpec, take: Take) -> list[Reply]:
    return [protocol.done(spec.job, take.dir, take.files)]
