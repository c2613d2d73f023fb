"""The benchmark's summary table and the list of problems seen during the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenarios import Params

Result = dict[str, Any]
Row = tuple[str, Callable[[Result], str]]
COLUMN = 26
STEPS = (
    "service",
    "fan_in",
    "single",
    "bulk",
    "gather_size",
    "adds",
    "timers",
    "batches",
    "baseline",
    "chain",
    "map",
    "map_size",
)
# (label, where, comparison, target): the targets for the workflow scenarios
TARGETS: tuple[tuple[str, tuple[str, ...], str, float], ...] = (
    ("i. step latency p50 (ms), 32 runs at a time", ("chain", "step_ms_p50"), "≤", 15.0),
    ("i. step latency p99 (ms), 32 runs at a time", ("chain", "step_ms_p99"), "≤", 50.0),
    ("j. map items/s", ("map", "items_per_s"), "≥", 500.0),
    ("j. peak in flight at the handler", ("map", "peak_in_flight"), "=", 50),
    ("j. task / single report throughput", ("derived", "task_vs_report"), "≥", 0.40),
    ("k. ms/report big / small, at once", ("map_size", "concurrent", "ratio_big_small"), "≤", 1.2),
)
COMPARE = {"≤": lambda v, t: v <= t, "≥": lambda v, t: v >= t, "=": lambda v, t: v == t}


def get(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]…``, or None when any step is missing."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def field(*path: str) -> Callable[[Result], str]:
    return lambda r: fmt(get(r, *path))


def pair(first: tuple[str, ...], second: tuple[str, ...]) -> Callable[[Result], str]:
    return lambda r: f"{fmt(get(r, *first))} / {fmt(get(r, *second))}"


def spread(step: str, name: str) -> Callable[[Result], str]:
    """``p50 / p99 / max`` of ``{name}_ms_*`` in ``step``."""
    return lambda r: " / ".join(fmt(get(r, step, f"{name}_ms_{q}")) for q in ("p50", "p99", "max"))


def baseline_ratio(r: Result) -> str:
    ours, base = get(r, "single", "requests_per_s"), get(r, "baseline", "requests_per_s")
    return fmt(round(ours / base, 3)) if ours and base else "n/a"


def batch_ratio(r: Result) -> str:
    created, bulk = get(r, "batches", "create_items_per_s"), get(r, "bulk", "reports_per_s")
    return fmt(round(created / bulk, 3)) if created and bulk else "n/a"


def done_counter(r: Result) -> str:
    done, expected = get(r, "gather_size", "big_done_counter"), get(r, "gather_size", "big_done_expected")
    if done is None:
        return "n/a"
    return f"{'yes' if done == expected else 'NO'} ({done}/{expected})"


def task_vs_report(r: Result) -> float | None:
    """Map items/s (j) over single completion reports/s (b), measured in the same run."""
    tasks, reports = get(r, "map", "items_per_s"), get(r, "single", "requests_per_s")
    return round(tasks / reports, 3) if tasks and reports else None


def cpu_ratio(r: Result) -> str:
    item, report = get(r, "map", "server_cpu_ms_per_item"), get(r, "single", "server_cpu_ms_per_report")
    return fmt(round(item / report, 2)) if item and report else "n/a"


def in_flight(r: Result) -> str:
    return " / ".join(
        fmt(get(r, "map", k)) for k in ("peak_in_flight", "peak_in_flight_service", "concurrency")
    )


def map_done(r: Result) -> str:
    done, total = get(r, "map", "reported"), get(r, "map", "items")
    if done is None:
        return "n/a"
    return f"{fmt(done)}/{fmt(total)} {get(r, 'map', 'run_status')}"


def failures(r: Result) -> str:
    total = sum(get(r, name, "errors") or 0 for name in ("single", "bulk", "adds", "baseline", "handler"))
    total += get(r, "timers", "open_errors") or 0
    total += get(r, "timers", "callbacks_missing") or 0
    for mode in ("concurrent", "sequential"):
        for side in ("small", "big"):
            total += get(r, "gather_size", mode, side, "errors") or 0
    total += get(r, "gather_size", "small_create_errors") or 0
    total += get(r, "fan_in", "callbacks_missing") or 0
    total += sum(get(r, "chain", *part, "runs_missing") or 0 for part in ((), ("sequential",)))
    steps = sum(1 for name in STEPS if get(r, name, "error"))
    return fmt(total) + (f" +{steps} steps failed" if steps else "")


def rows(p: Params) -> list[Row]:
    c, big = p.concurrency, f"{p.big_members // 1000}k"
    size = ("gather_size",)
    return [
        ("a. fan-in latency p50 (ms)", field("fan_in", "fanin_ms_p50")),
        ("a. fan-in latency p99 (ms)", field("fan_in", "fanin_ms_p99")),
        (
            "a. gathers timed / callbacks missing",
            pair(("fan_in", "gathers"), ("fan_in", "callbacks_missing")),
        ),
        (f"b. single reports/s ({c} clients)", field("single", "requests_per_s")),
        ("b. latency p50 / p99 (ms)", pair(("single", "latency_ms_p50"), ("single", "latency_ms_p99"))),
        (f"e. baseline reports/s ({c} clients)", field("baseline", "requests_per_s")),
        ("e. Rendezvous / baseline (b / e)", baseline_ratio),
        (f"c. bulk reports/s ({p.bulk_clients} cl. × {p.bulk_size})", field("bulk", "reports_per_s")),
        (f"d. create {big}-member gather (s)", field(*size, "big_create_s")),
        (f"d. ms/report 10-member, {c} clients", field(*size, "concurrent", "small", "ms_per_report")),
        (f"d. ms/report {big}-member, {c} clients", field(*size, "concurrent", "big", "ms_per_report")),
        (f"d. ratio big/small, {c} clients", field(*size, "concurrent", "ratio_big_small")),
        ("d. ms/report 10-member, 1 client", field(*size, "sequential", "small", "ms_per_report")),
        (f"d. ms/report {big}-member, 1 client", field(*size, "sequential", "big", "ms_per_report")),
        ("d. ratio big/small, 1 client", field(*size, "sequential", "ratio_big_small")),
        ("d. big gather's done counter right", done_counter),
        (f"f. participant adds/s ({c} clients)", field("adds", "adds_per_s")),
        ("f. latency p50 / p99 (ms)", pair(("adds", "latency_ms_p50"), ("adds", "latency_ms_p99"))),
        ("f. adds done / wait events during", pair(("adds", "ok"), ("adds", "wait_events_during"))),
        ("g. waits opened / timeouts fired", pair(("timers", "opened"), ("timers", "fired"))),
        (
            "g. callbacks missing / wrong reason",
            pair(("timers", "callbacks_missing"), ("timers", "wrong_reason")),
        ),
        (
            "g. deadline spread (ms) / outside 1 s",
            pair(("timers", "deadline_spread_ms"), ("timers", "deadlines_outside_window")),
        ),
        ("g. fire lateness p50/p99/max (ms)", spread("timers", "fire_lateness")),
        ("g. arrival lateness p50/p99/max (ms)", spread("timers", "arrival_lateness")),
        ("g. timeout callbacks delivered/s", field("timers", "callbacks_per_s")),
        (
            f"h. batch items created/s ({p.batch_count} × {p.batch_size})",
            field("batches", "create_items_per_s"),
        ),
        ("h. batch items reported/s", field("batches", "report_items_per_s")),
        ("h. created / bulk reports (h / c)", batch_ratio),
        ("h. counts right / job status", pair(("batches", "counts_right"), ("batches", "job_status"))),
        ("h. server RSS start / peak (MiB)", pair(("batches", "rss_start_mib"), ("batches", "rss_peak_mib"))),
        *workflow_rows(p),
        ("failed requests + missing callbacks", failures),
        ("server log lines (dev banner aside)", field("server_log", "problem_lines")),
        ("seconds for this database", field("seconds")),
    ]


def workflow_rows(p: Params) -> list[Row]:
    c, big, size = p.concurrency, f"{p.map_big // 1000}k", ("map_size",)
    conc, seq = (*size, "concurrent"), (*size, "sequential")
    return [
        (
            f"i. step latency p50 / p99 (ms), {c} runs",
            pair(("chain", "step_ms_p50"), ("chain", "step_ms_p99")),
        ),
        (
            "i. … one run at a time",
            pair(("chain", "sequential", "step_ms_p50"), ("chain", "sequential", "step_ms_p99")),
        ),
        (
            "i. … a. fan-in latency, for comparison",
            pair(("fan_in", "fanin_ms_p50"), ("fan_in", "fanin_ms_p99")),
        ),
        (f"i. runs done, {c} at a time / alone", pair(("chain", "runs"), ("chain", "sequential", "runs"))),
        (f"j. map items/s ({p.map_items:,} items, conc. 50)", field("map", "items_per_s")),
        ("j. items reported / run status", map_done),
        ("j. peak in flight: handler / service / limit", in_flight),
        (
            "j. report latency p50 / p99 (ms)",
            pair(("map", "report_latency_ms_p50"), ("map", "report_latency_ms_p99")),
        ),
        ("j. task / single report (j / b)", lambda r: fmt(task_vs_report(r))),
        (
            "j. server CPU ms: item / single report",
            pair(("map", "server_cpu_ms_per_item"), ("single", "server_cpu_ms_per_report")),
        ),
        ("j. … ratio", cpu_ratio),
        (f"k. create {big}-item map (s)", field(*size, "big_create_s")),
        (f"k. {big} map items done (then paused)", field(*size, "big_done")),
        ("k. ms/report 10-item maps, at once", field(*conc, "small", "ms_per_report")),
        (f"k. ms/report {big} map start, at once", field(*conc, "big_start", "ms_per_report")),
        (f"k. ms/report {big} map middle, at once", field(*conc, "big", "ms_per_report")),
        ("k. ratio middle/small, at once", field(*conc, "ratio_big_small")),
        ("k. ratio start/small, at once", field(*conc, "ratio_start_small")),
        ("k. ms/report 10-item maps, one by one", field(*seq, "small", "ms_per_report")),
        (f"k. ms/report {big} map middle, one by one", field(*seq, "big", "ms_per_report")),
        ("k. ratio middle/small, one by one", field(*seq, "ratio_big_small")),
    ]


def table(results: list[Result], params: Params) -> str:
    """The metrics of every measurement that ran (rows with no value on any database are left out)."""
    table_rows = rows(params)
    width = max(len(label) for label, _ in table_rows) + 2
    head = "metric".ljust(width) + "".join(r["database"].rjust(COLUMN) for r in results)
    lines = [head, "-" * len(head)]
    for label, cell in table_rows:
        cells = [cell(r) for r in results]
        if all(c in ("n/a", "n/a / n/a", "n/a / n/a / n/a") for c in cells):
            continue
        lines.append(label.ljust(width) + "".join(c.rjust(COLUMN) for c in cells))
    return "\n".join(lines)


def targets(results: list[Result]) -> list[str]:
    """Each workflow target, met or missed, per database (only those measured)."""
    out: list[str] = []
    for r in results:
        derived = {"task_vs_report": task_vs_report(r)}
        for label, path, sign, target in TARGETS:
            value = get({**r, "derived": derived}, *path)
            if not isinstance(value, int | float):
                continue
            size = {"map": get(r, "map", "items"), "map_size": get(r, "map_size", "big_items")}.get(path[0])
            if size:
                label = f"{label} ({fmt(size)}-item map)"
            verdict = "met" if COMPARE[sign](value, target) else "MISSED"
            out.append(
                f"[{r['database']}] target {label}: {fmt(value)} (target {sign} {fmt(target)}): {verdict}"
            )
        note = get(r, "map_size", "fast_forward")
        if note:
            out.append(f"[{r['database']}] k. the big map's middle: {note} (not reported through the API)")
    return out


def problems(results: list[Result]) -> list[str]:
    """Server log lines worth a look and the first error of each measurement."""
    out: list[str] = []
    for r in results:
        db = r["database"]
        for name, path in (("rendezvous", ("server_log",)), ("baseline", ("baseline", "server_log"))):
            out.extend(f"[{db}] {name} log: {line}" for line in get(r, *path, "first") or [])
        for name in STEPS:
            error = get(r, name, "error") or get(r, name, "first_error")
            if error:
                out.append(f"[{db}] {name}: {error}")
        for mode in ("concurrent", "sequential"):
            for side in ("small", "big"):
                error = get(r, "gather_size", mode, side, "first_error")
                if error:
                    out.append(f"[{db}] gather_size {mode} {side}: {error}")
        error = get(r, "handler", "first_error")
        if error:
            out.append(f"[{db}] handler: {error}")
        for what in ("duplicate_tasks", "other_task_events"):
            if get(r, "handler", what):
                out.append(f"[{db}] handler: {what.replace('_', ' ')}: {get(r, 'handler', what)}")
    return out
