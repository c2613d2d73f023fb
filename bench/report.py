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
    "deliveries",
)
# (label, where, comparison, target): the targets of the issues, each checked where it was measured; the
# "no worse" rows hold the figures measured before issue 12's work (PostgreSQL, full run)
TARGETS: tuple[tuple[str, tuple[str, ...], str, float], ...] = (
    ("e. single reports / baseline", ("derived", "single_vs_baseline"), "≥", 0.40),
    ("f. participant adds / baseline", ("derived", "adds_vs_baseline"), "≥", 0.35),
    ("l. deliveries/s, one process", ("deliveries", "deliveries_per_s"), "≥", 2000.0),
    ("g. timer fire lateness p99 (ms)", ("timers", "fire_lateness_ms_p99"), "≤", 500.0),
    ("g. last timer callback after its deadline (ms)", ("timers", "arrival_lateness_ms_max"), "≤", 5000.0),
    ("a. fan-in latency p50 (ms)", ("fan_in", "fanin_ms_p50"), "≤", 5.0),
    ("a. fan-in latency p99 (ms)", ("fan_in", "fanin_ms_p99"), "≤", 15.0),
    ("c. bulk reports/s, no worse", ("bulk", "reports_per_s"), "≥", 10_560.0),
    ("h. batch items created/s, no worse", ("batches", "create_items_per_s"), "≥", 234_531.0),
    ("d. ratio big/small, no worse", ("gather_size", "concurrent", "ratio_big_small"), "≤", 1.14),
    ("h. server RSS peak (MiB), no worse", ("batches", "rss_peak_mib"), "≤", 240.0),
    ("i. step latency p50 (ms), 32 runs at a time", ("chain", "step_ms_p50"), "≤", 15.0),
    ("i. step latency p99 (ms), 32 runs at a time", ("chain", "step_ms_p99"), "≤", 50.0),
    ("j. map items/s", ("map", "items_per_s"), "≥", 500.0),
    ("j. peak in flight at the handler", ("map", "peak_in_flight"), "=", 50),
    ("j. task / single report throughput", ("derived", "task_vs_report"), "≥", 0.40),
    ("k. ms/report big / small, at once", ("map_size", "concurrent", "ratio_big_small"), "≤", 1.2),
    ("m. huge map items/s, single reports", ("huge_map", "items_per_s"), "≥", 2000.0),
    ("m. ms/report at 90 % / at item 1,000", ("huge_map", "ratio_90pct_1000"), "≤", 1.2),
    ("m. huge map items/s, batch_size 100 + bulk", ("huge_map_batched", "items_per_s"), "≥", 10_000.0),
    ("m. server RSS growth (MiB)", ("huge_map", "rss_growth_mib"), "≤", 100.0),
    (
        "m. redrive: first dispatch after its 200 (ms)",
        ("huge_map", "redrive", "dispatch_after_200_ms"),
        "≤",
        50.0,
    ),
    ("n. console overview p95 (ms)", ("console", "overview", "ms_p95"), "≤", 100.0),
    ("n. console gather page p95 (ms)", ("console", "gather", "ms_p95"), "≤", 100.0),
    ("n. console run page p95 (ms)", ("console", "run", "ms_p95"), "≤", 100.0),
    ("n. console batch job page p95 (ms)", ("console", "batch_job", "ms_p95"), "≤", 100.0),
)
# The table's rows that carry one of those targets, by the start of their label: the target shown beside them
ROW_TARGETS = {
    "a. fan-in latency p50": "≤ 5",
    "a. fan-in latency p99": "≤ 15",
    "e. Rendezvous / baseline": "≥ 0.40",
    "f. participant adds / baseline": "≥ 0.35",
    "c. bulk reports/s": "≥ 10,560",
    "d. ratio big/small, 32": "≤ 1.14",
    "g. fire lateness p50/p99/max": "p99 ≤ 500",
    "g. arrival lateness p50/p99/max": "max ≤ 5,000",
    "h. batch items created/s": "≥ 234,531",
    "h. server RSS start / peak": "peak ≤ 240",
    "l. deliveries/s": "≥ 2,000",
    "i. step latency p50 / p99": "≤ 15 / ≤ 50",
    "j. map items/s": "≥ 500",
    "j. task / single report": "≥ 0.40",
    "k. ratio middle/small, at once": "≤ 1.2",
    "m. huge map items/s": "≥ 2,000",
    "m. batch_size 100 + bulk reports": "≥ 10,000",
    "m. ratio 90 % / 1,000": "≤ 1.2",
    "m. server RSS growth": "≤ 100",
    "m. redrive: first dispatch": "≤ 50",
}
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


def vs_baseline(r: Result, path: tuple[str, ...]) -> float | None:
    ours, base = get(r, *path), get(r, "baseline", "requests_per_s")
    return round(ours / base, 3) if ours and base else None


def baseline_ratio(r: Result) -> str:
    return fmt(vs_baseline(r, ("single", "requests_per_s")))


def adds_ratio(r: Result) -> str:
    return fmt(vs_baseline(r, ("adds", "adds_per_s")))


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
    for what in ("create_errors", "report_errors", "callbacks_missing"):
        total += get(r, "deliveries", what) or 0
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
        ("f. participant adds / baseline (f / e)", adds_ratio),
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
        (f"l. deliveries/s ({p.delivery_gathers:,} callbacks)", field("deliveries", "deliveries_per_s")),
        ("l. … from the first callback's arrival", field("deliveries", "arrivals_per_s")),
        (
            "l. callbacks arrived / missing",
            pair(("deliveries", "callbacks"), ("deliveries", "callbacks_missing")),
        ),
        (
            "l. reports took / last callback after (s)",
            pair(("deliveries", "reports_s"), ("deliveries", "callback_after_reports_s")),
        ),
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
        (f"m. huge map items/s ({p.huge_map:,} items, conc. 500)", field("huge_map", "items_per_s")),
        ("m. items reported / run status", pair(("huge_map", "reported"), ("huge_map", "run_status"))),
        (
            "m. ms/report at item 1,000 / at 90 %",
            pair(("huge_map", "ms_per_report_at_1000"), ("huge_map", "ms_per_report_at_90pct")),
        ),
        ("m. ratio 90 % / 1,000", field("huge_map", "ratio_90pct_1000")),
        ("m. server RSS growth (MiB)", field("huge_map", "rss_growth_mib")),
        ("m. server CPU ms per item", field("huge_map", "server_cpu_ms_per_item")),
        (
            "m. redrive: first dispatch after its 200 (ms)",
            field("huge_map", "redrive", "dispatch_after_200_ms"),
        ),
        ("m. run status after the redrive", field("huge_map", "redrive", "run_status_after")),
        (
            "m. p50 ms: run / explain / 100 items at start / middle",
            lambda r: " / ".join(
                fmt(get(r, "huge_map", "reads_ms", k))
                for k in ("run", "explain", "items_first_100", "items_middle_100")
            ),
        ),
        ("m. batch_size 100 + bulk reports: items/s", field("huge_map_batched", "items_per_s")),
        ("m. … bulk report p50 (ms)", field("huge_map_batched", "bulk_report_ms_p50")),
        (
            f"n. console, {p.console_finished:,} finished gathers: shell p50 / p95 (ms)",
            pair(("console", "shell", "ms_p50"), ("console", "shell", "ms_p95")),
        ),
        (
            "n. … overview (/v1/overview and /metrics at once) p50 / p95 (ms)",
            pair(("console", "overview", "ms_p50"), ("console", "overview", "ms_p95")),
        ),
        (
            "n. … a gather page (4 calls) p50 / p95 (ms)",
            pair(("console", "gather", "ms_p50"), ("console", "gather", "ms_p95")),
        ),
        (
            "n. … a run page (5 calls) p50 / p95 (ms)",
            pair(("console", "run", "ms_p50"), ("console", "run", "ms_p95")),
        ),
        (
            "n. … a batch job page (4 calls) p50 / p95 (ms)",
            pair(("console", "batch_job", "ms_p50"), ("console", "batch_job", "ms_p95")),
        ),
        (
            "m. … items reported / run status",
            pair(("huge_map_batched", "reported"), ("huge_map_batched", "run_status")),
        ),
    ]


def table(results: list[Result], params: Params) -> str:
    """The metrics of every measurement that ran (rows with no value on any database are left out)."""
    table_rows = rows(params)
    width = max(len(label) for label, _ in table_rows) + 2
    head = "metric".ljust(width) + "".join(r["database"].rjust(COLUMN) for r in results) + "   target"
    lines = [head, "-" * len(head)]
    for label, cell in table_rows:
        cells = [cell(r) for r in results]
        if all(c in ("n/a", "n/a / n/a", "n/a / n/a / n/a") for c in cells):
            continue
        goal = next((t for start, t in ROW_TARGETS.items() if label.startswith(start)), "")
        lines.append(label.ljust(width) + "".join(c.rjust(COLUMN) for c in cells) + f"   {goal}".rstrip())
    return "\n".join(lines)


def targets(results: list[Result]) -> list[str]:
    """Each workflow target, met or missed, per database (only those measured)."""
    out: list[str] = []
    for r in results:
        derived = {
            "task_vs_report": task_vs_report(r),
            "single_vs_baseline": vs_baseline(r, ("single", "requests_per_s")),
            "adds_vs_baseline": vs_baseline(r, ("adds", "adds_per_s")),
        }
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
