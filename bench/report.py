"""The benchmark's summary table and the list of problems seen during the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scenarios import Params

Result = dict[str, Any]
Row = tuple[str, Callable[[Result], str]]
COLUMN = 26
STEPS = ("service", "fan_in", "single", "bulk", "gather_size", "adds", "timers", "batches", "baseline")


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


def failures(r: Result) -> str:
    total = sum(get(r, name, "errors") or 0 for name in ("single", "bulk", "adds", "baseline"))
    total += get(r, "timers", "open_errors") or 0
    total += get(r, "timers", "callbacks_missing") or 0
    for mode in ("concurrent", "sequential"):
        for side in ("small", "big"):
            total += get(r, "gather_size", mode, side, "errors") or 0
    total += get(r, "gather_size", "small_create_errors") or 0
    total += get(r, "fan_in", "callbacks_missing") or 0
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
        ("failed requests + missing callbacks", failures),
        ("server log lines (dev banner aside)", field("server_log", "problem_lines")),
        ("seconds for this database", field("seconds")),
    ]


def table(results: list[Result], params: Params) -> str:
    table_rows = rows(params)
    width = max(len(label) for label, _ in table_rows) + 2
    head = "metric".ljust(width) + "".join(r["database"].rjust(COLUMN) for r in results)
    lines = [head, "-" * len(head)]
    for label, cell in table_rows:
        lines.append(label.ljust(width) + "".join(cell(r).rjust(COLUMN) for r in results))
    return "\n".join(lines)


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
    return out
