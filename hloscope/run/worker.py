"""Measure points in a separate worker process, one at a time.

The worker is started with the 'spawn' context (never fork: JAX and XLA hold
threads and locks a forked child would inherit half-held), imports JAX once,
checks the models, warms XLA up with a trivial compile before its first point
and then measures point after point. The warm-up waits for that first point:
a model that is refused, or a resumed run with nothing left to measure, does
not pay it. A point that runs past its timeout gets its worker killed; a
worker that dies (segfault, out of memory, killed) fails its point with the
reason. Either way the next point gets a fresh worker.

The worker ignores SIGINT: Ctrl-C in a terminal reaches the whole process
group, and the parent decides what an interruption means (finish the current
point, then stop).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from multiprocessing.connection import wait

from hloscope.run.checks import CheckedModels
from hloscope.run.config import SweepConfig
from hloscope.errors import HloscopeError
from hloscope.results import Point
from hloscope.steps import FORWARD

# For tests only: make the worker misbehave on chosen points. A comma-separated
# list of ACTION:MODEL/VARIANT/LAYERS (a forward point) or
# ACTION:MODEL/STEP/VARIANT/LAYERS, ACTION one of "crash" (SIGSEGV), "exit"
# (exit status 3), "hang" (sleep for an hour) or "sleep=S" (sleep S seconds,
# then measure). Never set it outside the test suite.
TEST_FAULTS_ENV = "HLOSCOPE_TEST_FAULTS"

START_TIMEOUT_S = 600.0


class WorkerStartError(HloscopeError):
    """The worker process could not start or warm up."""

    exit_code = 1


def death_reason(exitcode: int | None) -> str:
    """Words for how a worker process ended."""
    if exitcode is None:
        return "the worker closed its pipe and stopped answering"
    if exitcode < 0:
        try:
            sig = signal.Signals(-exitcode)
        except ValueError:
            return f"the worker was killed by signal {-exitcode}"
        hint = ""
        if sig == signal.SIGKILL:
            hint = " (killed from outside; the kernel's out-of-memory killer sends this)"
        elif sig == signal.SIGSEGV:
            hint = " (segmentation fault)"
        elif sig == signal.SIGABRT:
            hint = " (aborted, e.g. a failed check inside XLA)"
        return f"the worker died from {sig.name}{hint}"
    return f"the worker exited with status {exitcode}"


class Worker:
    """A worker process that measures one point at a time."""

    def __init__(self, start_timeout_s: float = START_TIMEOUT_S):
        self.start_timeout_s = start_timeout_s
        self._process = None
        self._conn = None
        self._warm = False
        self.info: dict = {}

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self) -> None:
        """Spawn the worker and wait until it has imported JAX (it warms up before its first point)."""
        context = multiprocessing.get_context("spawn")
        parent_conn, child_conn = context.Pipe()
        process = context.Process(
            target=_worker_main, args=(child_conn, os.getpid()), name="hloscope-worker", daemon=True
        )
        # Spawned children inherit an ignored SIGINT through exec; Python then
        # leaves it ignored, so Ctrl-C during start-up cannot kill the worker.
        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            process.start()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, previous)
        child_conn.close()
        self._process, self._conn = process, parent_conn
        message = self._receive(self.start_timeout_s)
        if message is None or message[0] != "ready":
            reason = "it did not start in time" if message is None else _message_reason(message)
            self.kill()
            raise WorkerStartError(f"cannot start the measuring worker: {reason}")
        self.info = message[1]

    def warm_up(self) -> None:
        """Have the started worker pay XLA's one-time start-up (``warm_up``) once, before its
        first point and outside that point's timeout. Raises WorkerStartError if it fails or dies."""
        if self._warm:
            return
        try:
            self._conn.send(("warm",))
        except (BrokenPipeError, OSError):
            message = ("died", self._process.exitcode)
        else:
            message = self._receive(self.start_timeout_s)
        if message is None or message[0] != "warm":
            reason = "it did not warm up in time" if message is None else _message_reason(message)
            self.kill()
            raise WorkerStartError(f"cannot start the measuring worker: {reason}")
        self.info = {**self.info, **message[1]}
        self._warm = True

    @property
    def environment(self) -> dict:
        """Versions, backend, device and CPU, as the worker that measures sees them."""
        return dict(self.info.get("environment") or {})

    def check(self, config: SweepConfig) -> CheckedModels:
        """Build and check every model of ``config`` in the worker: pitfall warnings and resolved sizes.

        Starts the worker if needed. Raises the worker's HloscopeError (a model
        that cannot be built: exit 2), or WorkerStartError if it died.
        """
        if not self.alive:
            self.start()
        try:
            self._conn.send(("check", config))
        except (BrokenPipeError, OSError):
            message = ("died", self._process.exitcode)
        else:
            message = self._receive(self.start_timeout_s)
        if message is not None and message[0] == "checked":
            return message[1]
        if message is not None and message[0] == "refused":
            raise message[1]
        reason = "it did not answer in time" if message is None else _message_reason(message)
        self.kill()
        raise WorkerStartError(f"the measuring worker could not check the models: {reason}")

    def measure(self, config: SweepConfig, model: str, step: str, variant: str, layers: int,
                timeout_s: float | None) -> Point:
        """Measure one point in the worker; a timeout or death gives a non-ok Point."""
        key = (model, step, variant, layers)
        try:
            if not self.alive:
                self.start()
            self.warm_up()
        except WorkerStartError as exc:
            return _point(key, status="failed", error=str(exc))
        started = time.monotonic()
        try:
            self._conn.send(("measure", config, *key))
        except (BrokenPipeError, OSError):
            return self._died(key)
        message = self._receive(timeout_s)
        if message is None:
            self.kill()
            elapsed = time.monotonic() - started
            return _point(
                key, status="timeout",
                error=f"over --timeout {timeout_s:g} s (stopped after {elapsed:.1f} s; worker killed)",
            )
        if message[0] == "point":
            return Point.from_json(message[1])
        return self._died(key, message)

    def _receive(self, timeout_s: float | None):
        """The worker's next message; ("died", code) if it died; None on timeout."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([self._conn, self._process.sentinel], remaining)
            if self._conn in ready or self._conn.poll():
                try:
                    return self._conn.recv()
                except (EOFError, OSError):
                    self._process.join(5)
                    return ("died", self._process.exitcode)
            if self._process.sentinel in ready:
                self._process.join(5)
                return ("died", self._process.exitcode)
            if deadline is not None and time.monotonic() >= deadline:
                return None

    def _died(self, key: tuple, message=None) -> Point:
        reason = _message_reason(message) if message else death_reason(self._process.exitcode)
        self.kill()
        return _point(key, status="failed", error=reason)

    def kill(self) -> None:
        """Stop the worker now."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(10)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = None
        self._warm = False

    def close(self) -> None:
        """Ask the worker to exit; kill it if it does not."""
        if self.alive:
            try:
                self._conn.send(("exit",))
                self._process.join(10)
            except (BrokenPipeError, OSError):
                pass
        self.kill()


def _point(key: tuple, status: str, error: str) -> Point:
    """A point that was not measured, for its key (model, step, variant, layers)."""
    model, step, variant, layers = key
    return Point(model, variant, layers, status=status, error=error, step=step)


def _message_reason(message) -> str:
    if message[0] == "died":
        return death_reason(message[1])
    if message[0] == "error":
        return message[1]
    return f"unexpected message from the worker: {message[0]!r}"


# ---------------------------------------------------------------- worker side


def _worker_main(conn, parent_pid: int) -> None:
    """The worker's loop: say it is ready, then check, warm up or measure as it is asked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    try:
        from hloscope.run.environment import capture_environment

        info = {"pid": os.getpid(), "environment": capture_environment()}
    except Exception as exc:
        conn.send(("error", f"start-up failed: {type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", info))
    faults = _parse_faults(os.environ.get(TEST_FAULTS_ENV, ""))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "check":
            conn.send(check_safely(message[1]))
            continue
        if message[0] == "warm":
            try:
                conn.send(("warm", warm_up()))
            except Exception as exc:
                conn.send(("error", f"warm-up failed: {type(exc).__name__}: {exc}"))
                return
            continue
        if message[0] != "measure":
            return
        _, config, *key = message
        _inject_fault(faults.get(tuple(key)))
        conn.send(("point", measure_safely(config, *key).to_json()))


def _die_with_parent(parent_pid: int) -> None:
    """On Linux, have the kernel kill the worker when the sweep process dies
    (even by SIGKILL), so no orphan compile runs on beside a resumed sweep."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)


def warm_up() -> dict:
    """Pay JAX's and XLA's one-time start-up before the first measured point.

    Returns how long the warm-up took (``warm_up_s``). The environment (the
    parent never initialises a JAX backend, so only the worker can say which
    device measures) comes with the worker's "ready" message.
    """
    from hloscope.models import build_forward, builtin_model
    from hloscope.run.lowering import lower_cold

    start = time.perf_counter()
    spec = builtin_model("linear", 4)
    x = spec.make_input()
    for variant in ("scan", "unroll", "unroll-sliced"):
        lower_cold(lambda: build_forward(spec.make_block, variant, 2, x, 0), 1, phases=False)
    return {"warm_up_s": time.perf_counter() - start}


def check_safely(config: SweepConfig) -> tuple:
    """("checked", CheckedModels), or ("refused", error) for a model that cannot be measured."""
    from hloscope.run.checks import check_models

    try:
        return ("checked", check_models(config))
    except HloscopeError as exc:
        return ("refused", exc)
    except Exception as exc:  # a model that crashes while being checked is the user's to fix
        return ("refused", HloscopeError(f"checking the models raised {type(exc).__name__}: {exc}"))


def measure_safely(config: SweepConfig, model: str, step: str, variant: str, layers: int) -> Point:
    """measure_point, with any exception turned into a failed Point."""
    from hloscope.run.measure import measure_point

    key = (model, step, variant, layers)
    try:
        return measure_point(config, model, variant, layers, step=step)
    except HloscopeError as exc:
        return _point(key, status="failed", error=str(exc))
    except Exception as exc:  # a crash in JAX or a model is a failed point, not a lost sweep
        last = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return _point(key, status="failed", error=f"{type(exc).__name__}: {exc}{where}")


def _parse_faults(text: str) -> dict:
    """{(model, step, variant, layers): action}; MODEL/VARIANT/LAYERS names a forward point."""
    faults = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        action, _, target = item.partition(":")
        parts = target.split("/")
        *head, variant, layers = parts if len(parts) == 4 else (parts[0], FORWARD, *parts[1:])
        faults[(*head, variant, int(layers))] = action
    return faults


def _inject_fault(action: str | None) -> None:
    if action is None:
        return
    if action == "crash":
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file from a staged crash
        os.kill(os.getpid(), signal.SIGSEGV)
    elif action == "exit":
        os._exit(3)
    elif action == "hang":
        time.sleep(3600)
    elif action.startswith("sleep="):
        time.sleep(float(action.split("=", 1)[1]))
