"""The compiled step graph and its parts: plain frozen values, no database, no FastAPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Form = Literal["phases", "tasks"]
StepKind = Literal["phase", "task", "map"]
Strategy = Literal["exponential", "constant", "linear"]
FailureMode = Literal["continue", "fail_fast"]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
STEP_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MAX_STEPS = 100
MAX_DEPTH = 40  # nesting of the whole definition: params and outputs get about 36 levels
MAX_PROBLEMS = 1000  # listed in one answer; the rest are counted
MAX_PHASE_HANDLERS = 20
MAX_MAP_ITEMS = 100_000
MAX_DELAY_SECONDS = 86_400
MAX_RETRY_COUNT = 50
MAX_TIMEOUT_SECONDS = 366 * 86_400
MAX_CONCURRENCY = 10_000
DEFAULT_MAP_CONCURRENCY = 100
MAX_BATCH_SIZE = 1000  # items a map step's message may carry: what one bulk report takes
MAX_THROTTLE_KEY = 200
# A key is printable: no control characters, and no U+FFFD (what a server makes of bytes that are not UTF-8).
THROTTLE_KEY_PATTERN = r"^[^\x00-\x1f\x7f\ufffd]{1,200}$"
MAX_THROTTLE_LIMIT = 100_000
# 2^64 · base is past any cap already; a larger exponent could overflow a float for a huge attempt number.
_MAX_EXPONENT = 64


@dataclass(frozen=True)
class Problem:
    """One fault (or warning) of a definition, located by a JSON pointer into it."""

    loc: str
    code: str
    message: str
    steps: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """{loc, code, message}, plus steps when the fault involves steps of the graph."""
        body: dict[str, Any] = {"loc": self.loc, "code": self.code, "message": self.message}
        if self.steps:
            body["steps"] = list(self.steps)
        return body


@dataclass(frozen=True)
class HandlerRef:
    name: str
    version: str | None = None


@dataclass(frozen=True)
class RetryPolicy:
    count: int = 1
    strategy: Strategy = "exponential"
    base_delay: float = 1.0
    max_delay: float | None = None
    jitter: bool | Literal["full"] = False

    def delay_before(self, attempt: int) -> float:
        """Seconds before attempt k+1 once attempt k (from 1) failed, without jitter, capped by max_delay and
        by the 24 h limit on every delay."""
        k = max(attempt, 1)
        if self.strategy == "constant":
            delay = self.base_delay
        elif self.strategy == "linear":
            delay = self.base_delay * k
        else:
            delay = self.base_delay * 2.0 ** min(k - 1, _MAX_EXPONENT)
        cap = MAX_DELAY_SECONDS if self.max_delay is None else min(self.max_delay, MAX_DELAY_SECONDS)
        return float(min(delay, cap))


@dataclass(frozen=True)
class Throttle:
    key: str
    limit: int


@dataclass(frozen=True)
class Tolerance:
    count: int | None = None
    percent: float | None = None


@dataclass(frozen=True)
class Step:
    """One step of the graph: a phase, a single DAG task, or a map task (one item per element of `each`)."""

    name: str
    kind: StepKind
    handlers: tuple[HandlerRef, ...]
    depends_on: tuple[str, ...]
    on_success: str | None
    on_error: str | None
    final: bool
    initial: bool
    outcome: Literal["succeeded", "failed"] | None
    retry: RetryPolicy
    throttle: Throttle | None
    concurrency: int
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    each: Any
    params: Any
    output: tuple[str, ...] | None
    tolerated_failures: Tolerance | None
    allow_failed_dependencies: bool
    position: int
    batch_size: int | None = None  # a map step's items per task message (None: one message per item)


@dataclass(frozen=True)
class Graph:
    """The step graph one engine runs, whichever form the definition had."""

    form: Form
    entry: tuple[str, ...]
    steps: tuple[Step, ...]
    output: Any
    failure_mode: FailureMode
    _by_name: dict[str, Step] = field(init=False, repr=False, compare=False)
    _dependents: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        found: dict[str, list[str]] = {s.name: [] for s in self.steps}
        for s in self.steps:
            for dep in s.depends_on:
                found[dep].append(s.name)
        object.__setattr__(self, "_by_name", {s.name: s for s in self.steps})
        object.__setattr__(self, "_dependents", {name: tuple(names) for name, names in found.items()})

    def step(self, name: str) -> Step:
        """The step of that name (KeyError when there is none)."""
        return self._by_name[name]

    def dependents(self, name: str) -> tuple[str, ...]:
        """The steps that depend on `name` (DAG form), in definition order."""
        self.step(name)
        return self._dependents[name]

    def as_json(self) -> dict[str, Any]:
        """The graph as the API shows it: {entry, steps: [{name, kind, handlers, depends_on, ...}]}."""
        return {
            "entry": list(self.entry),
            "steps": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "handlers": [h.name for h in s.handlers],
                    "depends_on": list(s.depends_on),
                    "on_success": s.on_success,
                    "on_error": s.on_error,
                    "final": s.final,
                }
                for s in self.steps
            ],
        }


@dataclass(frozen=True)
class Compiled:
    """What compiling a definition gives: the graph (None when there are errors), errors and warnings."""

    graph: Graph | None
    errors: list[Problem]
    warnings: list[Problem]
