"""The workflow compiler: both definition forms to one step graph, every problem listed at once."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.workflows.graph import (
    MAX_DELAY_SECONDS,
    MAX_MAP_ITEMS,
    MAX_PHASE_HANDLERS,
    MAX_STEPS,
    Compiled,
    HandlerRef,
    Problem,
    RetryPolicy,
    Throttle,
    Tolerance,
    compile_definition,
)

SEARCH: dict[str, Any] = {
    "workflow": "search",
    "phases": {
        "pending": {"is_initial": True, "transitions_to": "searching", "on_error_transition_to": "error"},
        "searching": {
            "transitions_to": "fetching-pages",
            "on_error_transition_to": "error",
            "handlers": ["GoogleSearcher"],
            "retry": {"count": 3, "strategy": "exponential", "base_delay": 2},
        },
        "fetching-pages": {
            "transitions_to": "finished",
            "on_error_transition_to": "error",
            "handlers": ["PageDownloader"],
        },
        "error": {"is_final": True, "handlers": ["ErrorEmailer"]},
        "finished": {"is_final": True, "handlers": ["JobFinisher"]},
    },
}

SEARCH_GRAPH = {
    "entry": ["pending"],
    "steps": [
        {
            "name": "pending",
            "kind": "phase",
            "handlers": [],
            "depends_on": [],
            "on_success": "searching",
            "on_error": "error",
            "final": False,
        },
        {
            "name": "searching",
            "kind": "phase",
            "handlers": ["GoogleSearcher"],
            "depends_on": [],
            "on_success": "fetching-pages",
            "on_error": "error",
            "final": False,
        },
        {
            "name": "fetching-pages",
            "kind": "phase",
            "handlers": ["PageDownloader"],
            "depends_on": [],
            "on_success": "finished",
            "on_error": "error",
            "final": False,
        },
        {
            "name": "error",
            "kind": "phase",
            "handlers": ["ErrorEmailer"],
            "depends_on": [],
            "on_success": None,
            "on_error": None,
            "final": True,
        },
        {
            "name": "finished",
            "kind": "phase",
            "handlers": ["JobFinisher"],
            "depends_on": [],
            "on_success": None,
            "on_error": None,
            "final": True,
        },
    ],
}

ETL: dict[str, Any] = {
    "tasks": {
        "extract_data": {
            "handler": "Extractor",
            "each": ["users", "orders", "products", "inventory"],
            "concurrency": 4,
            "output": ["source", "count"],
        },
        "transform_data": {
            "handler": "Transformer",
            "depends_on": ["extract_data"],
            "output": ["transformed_count"],
        },
        "load_data": {
            "handler": "Loader",
            "depends_on": ["transform_data"],
            "params": {"date": {"$ptr": "/input/date"}},
        },
    },
    "output": {"$ptr": "/steps/load_data/output"},
}

API_AGGREGATION: dict[str, Any] = {
    "tasks": {
        "fetch_users": {
            "handler": "UserFetcher",
            "each": {"$ptr": "/input/user_ids"},
            "concurrency": 10,
            "throttle": {"key": "external_api", "limit": 5},
            "output": ["user_id", "data"],
        },
        "generate_report": {
            "handler": "ReportGenerator",
            "depends_on": ["fetch_users"],
            "params": {"users": {"$ptr": "/steps/fetch_users/output"}},
        },
    },
    "failure_mode": "fail_fast",
}


def found(compiled: Compiled) -> set[tuple[str, str]]:
    """The (loc, code) pairs of the errors."""
    return {(p.loc, p.code) for p in compiled.errors}


def warned(compiled: Compiled) -> set[tuple[str, str]]:
    return {(p.loc, p.code) for p in compiled.warnings}


def phases(**defs: dict[str, Any]) -> dict[str, Any]:
    """A phase definition around `defs`, closed by an initial `start` and a final `end` when not given."""
    body: dict[str, Any] = {"start": {"is_initial": True, "transitions_to": "end"}, "end": {"is_final": True}}
    body.update(defs)
    return {"phases": body}


def tasks(**defs: dict[str, Any]) -> dict[str, Any]:
    return {"tasks": {name: {"handler": "H", **d} for name, d in defs.items()}}


class TestNineFaults:
    """Acceptance point 11: nine faults in one answer, each with its pointer (a definition has one form, so
    the phase faults and the task faults sit in two definitions)."""

    PHASE_FAULTS: dict[str, Any] = {
        "phases": {
            "pending": {"is_initial": True, "transitions_to": "serching", "on_error_transition_to": "eror"},
            "again": {"is_initial": True, "transitions_to": "loop-a"},
            "loop-a": {"transitions_to": "loop-b"},
            "loop-b": {"transitions_to": "loop-a"},
            "done": {"is_final": True},
        }
    }
    TASK_FAULTS: dict[str, Any] = {
        "tasks": {
            "fetch": {"handler": "Fetcher", "each": [1, 2, 3], "concurrency": 0},
            "sum": {"handler": "Summer", "depends_on": ["fetch", "missing_task"], "retry": {"count": 0}},
            "report": {
                "handler": "Reporter",
                "each": {"$ptr": "/steps/sum/output/items"},
                "throttle": {"key": "external_api"},
            },
        }
    }

    def test_all_nine_are_listed_with_their_pointers(self) -> None:
        phase_result = compile_definition(self.PHASE_FAULTS)
        task_result = compile_definition(self.TASK_FAULTS)
        listed = [p.as_json() for p in phase_result.errors + task_result.errors]
        assert {(p["loc"], p["code"]) for p in listed} == {
            ("/phases/pending/transitions_to", "unknown_target"),
            ("/phases/pending/on_error_transition_to", "unknown_target"),
            ("/phases", "several_initial"),
            ("/phases", "cycle"),
            ("/tasks/sum/depends_on/1", "unknown_dependency"),
            ("/tasks/report/each/$ptr", "each_not_upstream"),
            ("/tasks/fetch/concurrency", "bad_concurrency"),
            ("/tasks/sum/retry/count", "bad_retry"),
            ("/tasks/report/throttle/limit", "bad_throttle"),
        }
        assert len(listed) == 9
        assert phase_result.graph is None and task_result.graph is None

    def test_graph_faults_name_the_steps_involved(self) -> None:
        by_code = {p.code: p.as_json() for p in compile_definition(self.PHASE_FAULTS).errors}
        assert by_code["several_initial"]["steps"] == ["pending", "again"]
        assert by_code["cycle"]["steps"] == ["loop-a", "loop-b"]
        assert "steps" not in by_code["unknown_target"]


class TestSeedExamples:
    def test_search_phases_as_a_map(self) -> None:
        compiled = compile_definition(SEARCH, name="search")
        assert compiled.errors == [] and compiled.warnings == []
        assert compiled.graph is not None
        assert compiled.graph.as_json() == SEARCH_GRAPH
        assert compiled.graph.form == "phases"
        searching = compiled.graph.step("searching")
        assert searching.retry == RetryPolicy(count=3, strategy="exponential", base_delay=2.0)
        assert searching.initial is False and compiled.graph.step("pending").initial is True
        assert [s.position for s in compiled.graph.steps] == [0, 1, 2, 3, 4]

    def test_search_phases_as_an_array(self) -> None:
        array = {"phases": [{"name": name, **body} for name, body in SEARCH["phases"].items()]}
        compiled = compile_definition(array)
        assert compiled.errors == []
        assert compiled.graph is not None and compiled.graph.as_json() == SEARCH_GRAPH

    def test_etl_dag(self) -> None:
        compiled = compile_definition(ETL)
        assert compiled.errors == [] and compiled.graph is not None
        graph = compiled.graph
        assert graph.as_json() == {
            "entry": ["extract_data"],
            "steps": [
                {
                    "name": "extract_data",
                    "kind": "map",
                    "handlers": ["Extractor"],
                    "depends_on": [],
                    "on_success": None,
                    "on_error": None,
                    "final": False,
                },
                {
                    "name": "transform_data",
                    "kind": "task",
                    "handlers": ["Transformer"],
                    "depends_on": ["extract_data"],
                    "on_success": None,
                    "on_error": None,
                    "final": False,
                },
                {
                    "name": "load_data",
                    "kind": "task",
                    "handlers": ["Loader"],
                    "depends_on": ["transform_data"],
                    "on_success": None,
                    "on_error": None,
                    "final": True,
                },
            ],
        }
        extract = graph.step("extract_data")
        assert extract.concurrency == 4 and extract.output == ("source", "count")
        assert extract.each == ["users", "orders", "products", "inventory"]
        assert graph.step("load_data").params == {"date": {"$ptr": "/input/date"}}
        assert graph.step("transform_data").concurrency == 1
        assert graph.output == {"$ptr": "/steps/load_data/output"}
        assert graph.failure_mode == "continue"
        assert graph.dependents("extract_data") == ("transform_data",)
        assert graph.dependents("load_data") == ()

    def test_api_aggregation_dag_with_throttle(self) -> None:
        compiled = compile_definition(API_AGGREGATION)
        assert compiled.errors == [] and compiled.graph is not None
        graph = compiled.graph
        assert graph.entry == ("fetch_users",)
        fetch = graph.step("fetch_users")
        assert fetch.kind == "map" and fetch.concurrency == 10
        assert fetch.throttle == Throttle(key="external_api", limit=5)
        assert fetch.each == {"$ptr": "/input/user_ids"}
        assert graph.step("generate_report").final and not fetch.final
        assert graph.failure_mode == "fail_fast"


class TestRetryDelays:
    def test_exponential_doubles_from_base(self) -> None:
        retry = RetryPolicy(count=5, strategy="exponential", base_delay=2)
        assert [retry.delay_before(k) for k in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]

    def test_constant_stays_at_base(self) -> None:
        retry = RetryPolicy(count=5, strategy="constant", base_delay=3)
        assert [retry.delay_before(k) for k in (1, 2, 3)] == [3.0, 3.0, 3.0]

    def test_linear_grows_by_base(self) -> None:
        retry = RetryPolicy(count=5, strategy="linear", base_delay=1.5)
        assert [retry.delay_before(k) for k in (1, 2, 3)] == [1.5, 3.0, 4.5]

    def test_max_delay_caps_every_strategy(self) -> None:
        policies = [
            RetryPolicy(count=50, strategy="exponential", base_delay=30, max_delay=25),
            RetryPolicy(count=50, strategy="constant", base_delay=30, max_delay=25),
            RetryPolicy(count=50, strategy="linear", base_delay=30, max_delay=25),
        ]
        assert [p.delay_before(3) for p in policies] == [25.0, 25.0, 25.0]
        assert RetryPolicy(strategy="exponential", base_delay=4, max_delay=25).delay_before(3) == 16.0

    def test_no_delay_exceeds_a_day_even_without_max_delay(self) -> None:
        assert RetryPolicy(count=50, base_delay=60).delay_before(10_000) == MAX_DELAY_SECONDS

    def test_default_policy_is_one_attempt(self) -> None:
        compiled = compile_definition(tasks(a={}))
        assert compiled.graph is not None
        assert compiled.graph.step("a").retry == RetryPolicy(count=1)


class TestNames:
    def test_workflow_key_must_match_the_name(self) -> None:
        compiled = compile_definition(SEARCH, name="other")
        assert found(compiled) == {("/workflow", "name_mismatch")}
        assert compiled.graph is None

    def test_name_key_must_match_the_name(self) -> None:
        definition = {**ETL, "name": "etl"}
        assert compile_definition(definition, name="etl").errors == []
        assert found(compile_definition(definition, name="elt")) == {("/name", "name_mismatch")}

    def test_without_a_name_no_match_is_checked(self) -> None:
        assert compile_definition(SEARCH).errors == []

    def test_invalid_names(self) -> None:
        definition = {
            "workflow": "-bad",
            "phases": {
                "start!": {"is_initial": True, "is_final": True, "handlers": ["ok", "no spaces"]},
            },
        }
        assert found(compile_definition(definition)) == {
            ("/workflow", "name_invalid"),
            ("/phases/start!", "name_invalid"),
            ("/phases/start!/handlers/1", "name_invalid"),
        }

    def test_a_step_name_with_a_slash_is_escaped_in_the_pointer(self) -> None:
        compiled = compile_definition(tasks(**{"a/b": {}}))
        assert found(compiled) == {("/tasks/a~1b", "name_invalid")}


class TestWarnings:
    def test_unregistered_handlers_warn_but_never_block(self) -> None:
        definition = copy.deepcopy(SEARCH)
        definition["phases"]["searching"]["handlers"] = [{"name": "GoogleSearcher", "version": "~> 2.0"}]
        registered = {"PageDownloader", "ErrorEmailer"}
        compiled = compile_definition(definition, registered_handlers=registered)
        assert compiled.errors == [] and compiled.graph is not None
        assert warned(compiled) == {
            ("/phases/searching/handlers/0", "handler_not_registered"),
            ("/phases/finished/handlers/0", "handler_not_registered"),
        }
        assert compiled.graph.step("searching").handlers == (HandlerRef("GoogleSearcher", "~> 2.0"),)

    def test_unregistered_task_handler_warns_at_the_handler(self) -> None:
        compiled = compile_definition(ETL, registered_handlers=["Extractor", "Loader"])
        assert compiled.graph is not None
        assert warned(compiled) == {("/tasks/transform_data/handler", "handler_not_registered")}

    def test_without_a_registry_nothing_is_warned(self) -> None:
        assert compile_definition(ETL).warnings == []

    def test_phase_no_path_reaches_is_a_warning(self) -> None:
        compiled = compile_definition(phases(orphan={"transitions_to": "end"}))
        assert compiled.errors == [] and compiled.graph is not None
        assert [p.as_json() for p in compiled.warnings] == [
            {
                "loc": "/phases/orphan",
                "code": "unreachable_step",
                "message": "no path from the initial phase reaches 'orphan'",
                "steps": ["orphan"],
            }
        ]

    def test_phase_reached_only_on_error_is_reachable(self) -> None:
        definition = phases(
            start={"is_initial": True, "transitions_to": "end", "on_error_transition_to": "oops"},
            oops={"is_final": True, "outcome": "succeeded"},
        )
        compiled = compile_definition(definition)
        assert compiled.errors == [] and compiled.warnings == []
        assert compiled.graph is not None and compiled.graph.step("oops").outcome == "succeeded"


# Each code at least once: (definition, expected (loc, code) among the errors).
CASES: list[tuple[str, Any, tuple[str, str]]] = [
    ("not an object", [], ("", "invalid")),
    ("neither form", {"workflow": "x"}, ("", "missing")),
    ("both forms", {"phases": {}, "tasks": {}}, ("", "invalid")),
    ("unknown top field", {**ETL, "extra": 1}, ("/extra", "unknown_field")),
    (
        "phase fields belong to phases",
        {**SEARCH, "failure_mode": "continue"},
        ("/failure_mode", "unknown_field"),
    ),
    (
        "unknown phase field",
        phases(end={"is_final": True, "colour": "red"}),
        ("/phases/end/colour", "unknown_field"),
    ),
    ("unknown task field", tasks(a={"handlr": "X"}), ("/tasks/a/handlr", "unknown_field")),
    ("unknown retry field", tasks(a={"retry": {"tries": 2}}), ("/tasks/a/retry/tries", "unknown_field")),
    (
        "unknown handler entry field",
        phases(end={"is_final": True, "handlers": [{"name": "H", "v": 1}]}),
        ("/phases/end/handlers/0/v", "unknown_field"),
    ),
    ("task without handler", {"tasks": {"a": {}}}, ("/tasks/a/handler", "missing")),
    ("phases not a collection", {"phases": "start"}, ("/phases", "invalid")),
    ("phase body not an object", phases(end=True), ("/phases/end", "invalid")),
    (
        "task body not an object",
        {"tasks": {"a": 5, "b": {"handler": "H", "depends_on": ["a"]}}},
        ("/tasks/a", "invalid"),
    ),
    (
        "array step not an object",
        {"phases": [{"name": "a", "is_initial": True, "is_final": True}, 7]},
        ("/phases/1", "invalid"),
    ),
    ("array step name not a string", {"tasks": [{"name": 5, "handler": "H"}]}, ("/tasks/0/name", "invalid")),
    ("array phase without name", {"phases": [{"is_initial": True}]}, ("/phases/0/name", "missing")),
    (
        "array phase named twice",
        {"phases": [{"name": "a", "is_initial": True, "is_final": True}, {"name": "a"}]},
        ("/phases/1/name", "duplicate_step"),
    ),
    ("is_final not a boolean", phases(end={"is_final": "yes"}), ("/phases/end/is_final", "invalid")),
    (
        "transition not a string",
        phases(start={"is_initial": True, "transitions_to": 3}),
        ("/phases/start/transitions_to", "invalid"),
    ),
    (
        "handlers not an array",
        phases(end={"is_final": True, "handlers": "H"}),
        ("/phases/end/handlers", "invalid"),
    ),
    (
        "outcome off a final phase",
        phases(start={"is_initial": True, "transitions_to": "end", "outcome": "failed"}),
        ("/phases/start/outcome", "invalid"),
    ),
    (
        "unknown outcome",
        phases(end={"is_final": True, "outcome": "maybe"}),
        ("/phases/end/outcome", "invalid"),
    ),
    ("depends_on not an array", tasks(a={"depends_on": "b"}, b={}), ("/tasks/a/depends_on", "invalid")),
    ("dependency twice", tasks(a={"depends_on": ["b", "b"]}, b={}), ("/tasks/a/depends_on/1", "invalid")),
    ("each neither array nor pointer", tasks(a={"each": "abc"}), ("/tasks/a/each", "invalid")),
    (
        "allow_failed_dependencies not a boolean",
        tasks(a={"allow_failed_dependencies": 1}),
        ("/tasks/a/allow_failed_dependencies", "invalid"),
    ),
    ("throttle not an object", tasks(a={"throttle": "api"}), ("/tasks/a/throttle", "invalid")),
    ("workflow name mismatch is checked separately", {**ETL, "workflow": 5}, ("/workflow", "invalid")),
    ("invalid handler name", tasks(a={"handler": "has space"}), ("/tasks/a/handler", "name_invalid")),
    ("too many steps", tasks(**{f"t{i}": {} for i in range(MAX_STEPS + 1)}), ("/tasks", "too_many_steps")),
    (
        "too many handlers",
        phases(end={"is_final": True, "handlers": [f"H{i}" for i in range(MAX_PHASE_HANDLERS + 1)]}),
        ("/phases/end/handlers", "too_many_handlers"),
    ),
    (
        "handler listed twice",
        phases(end={"is_final": True, "handlers": ["A", {"name": "A", "version": "2"}]}),
        ("/phases/end/handlers/1", "duplicate_handler"),
    ),
    (
        "final phase with transition",
        phases(end={"is_final": True, "transitions_to": "start"}),
        ("/phases/end/transitions_to", "final_with_transition"),
    ),
    (
        "final phase with on-error transition",
        phases(end={"is_final": True, "on_error_transition_to": "start"}),
        ("/phases/end/on_error_transition_to", "final_with_transition"),
    ),
    ("no initial phase", phases(start={"transitions_to": "end"}), ("/phases", "no_initial")),
    ("no phases at all", {"phases": {}}, ("/phases", "no_initial")),
    ("no tasks at all", {"tasks": {}}, ("/tasks", "no_initial")),
    (
        "phase loop through on-error",
        phases(
            start={"is_initial": True, "transitions_to": "end", "on_error_transition_to": "fix"},
            fix={"transitions_to": "start"},
        ),
        ("/phases", "cycle"),
    ),
    (
        "phase transitions to itself",
        phases(start={"is_initial": True, "transitions_to": "start"}),
        ("/phases", "cycle"),
    ),
    (
        "task cycle",
        tasks(a={"depends_on": ["c"]}, b={"depends_on": ["a"]}, c={"depends_on": ["b"]}),
        ("/tasks", "cycle"),
    ),
    ("task depends on itself", tasks(a={"depends_on": ["a"]}), ("/tasks", "cycle")),
    ("no final phase", {"phases": {"start": {"is_initial": True}}}, ("/phases", "no_final_reachable")),
    (
        "dead end phase",
        phases(start={"is_initial": True, "transitions_to": "middle"}, middle={}),
        ("/phases/middle/transitions_to", "no_final_reachable"),
    ),
    (
        "pointer not a pointer",
        tasks(a={"params": {"x": {"$ptr": "input/date"}}}),
        ("/tasks/a/params/x/$ptr", "bad_pointer"),
    ),
    (
        "pointer with a bad escape",
        tasks(a={"params": {"x": {"$ptr": "/input/a~2"}}}),
        ("/tasks/a/params/x/$ptr", "bad_pointer"),
    ),
    (
        "pointer outside input and outputs",
        tasks(a={"params": [{"$ptr": "/secrets/key"}]}),
        ("/tasks/a/params/0/$ptr", "bad_pointer"),
    ),
    (
        "pointer object with other keys",
        tasks(a={"params": {"x": {"$ptr": "/input", "y": 1}}}),
        ("/tasks/a/params/x", "bad_pointer"),
    ),
    (
        "params pointer to a step not upstream",
        tasks(a={}, b={"params": {"$ptr": "/steps/a/output"}}),
        ("/tasks/b/params/$ptr", "bad_pointer"),
    ),
    (
        "pointer to a step's input",
        tasks(a={}, b={"depends_on": ["a"], "each": {"$ptr": "/steps/a/input"}}),
        ("/tasks/b/each/$ptr", "bad_pointer"),
    ),
    (
        "run output naming no task",
        {**ETL, "output": {"$ptr": "/steps/nothing/output"}},
        ("/output/$ptr", "bad_pointer"),
    ),
    (
        "throttle template not a pointer",
        tasks(a={"throttle": {"key": "t:{input}", "limit": 1}}),
        ("/tasks/a/throttle/key", "bad_pointer"),
    ),
    (
        "throttle template to a step not upstream",
        tasks(a={}, b={"throttle": {"key": "{/steps/a/output/k}", "limit": 1}}),
        ("/tasks/b/throttle/key", "bad_pointer"),
    ),
    (
        "phase throttle template to a step",
        phases(end={"is_final": True, "throttle": {"key": "{/steps/start/output}", "limit": 1}}),
        ("/phases/end/throttle/key", "bad_pointer"),
    ),
    (
        "each from a step not upstream",
        tasks(a={}, b={"each": {"$ptr": "/steps/a/output"}}),
        ("/tasks/b/each/$ptr", "each_not_upstream"),
    ),
    (
        "each from itself",
        tasks(a={"each": {"$ptr": "/steps/a/output"}}),
        ("/tasks/a/each/$ptr", "each_not_upstream"),
    ),
    (
        "each from no task",
        tasks(a={"each": {"$ptr": "/steps/ghost/output"}}),
        ("/tasks/a/each/$ptr", "each_not_upstream"),
    ),
    ("each too long", tasks(a={"each": list(range(MAX_MAP_ITEMS + 1))}), ("/tasks/a/each", "each_too_long")),
    ("retry count over 50", tasks(a={"retry": {"count": 51}}), ("/tasks/a/retry/count", "bad_retry")),
    ("retry count not an integer", tasks(a={"retry": {"count": "3"}}), ("/tasks/a/retry/count", "bad_retry")),
    (
        "unknown strategy",
        tasks(a={"retry": {"strategy": "fibonacci"}}),
        ("/tasks/a/retry/strategy", "bad_retry"),
    ),
    ("unknown jitter", tasks(a={"retry": {"jitter": "half"}}), ("/tasks/a/retry/jitter", "bad_retry")),
    ("negative delay", tasks(a={"retry": {"base_delay": -1}}), ("/tasks/a/retry/base_delay", "bad_retry")),
    (
        "delay over a day",
        phases(end={"is_final": True, "retry": {"max_delay": 86_401}}),
        ("/phases/end/retry/max_delay", "bad_retry"),
    ),
    ("retry not an object", tasks(a={"retry": 3}), ("/tasks/a/retry", "invalid")),
    ("throttle without key", tasks(a={"throttle": {"limit": 5}}), ("/tasks/a/throttle/key", "bad_throttle")),
    (
        "throttle with empty key",
        tasks(a={"throttle": {"key": "", "limit": 5}}),
        ("/tasks/a/throttle/key", "bad_throttle"),
    ),
    (
        "throttle key too long",
        tasks(a={"throttle": {"key": "k" * 201, "limit": 5}}),
        ("/tasks/a/throttle/key", "bad_throttle"),
    ),
    (
        "throttle key brace unbalanced",
        tasks(a={"throttle": {"key": "t:{/input/x", "limit": 5}}),
        ("/tasks/a/throttle/key", "bad_throttle"),
    ),
    (
        "throttle limit over 100,000",
        tasks(a={"throttle": {"key": "k", "limit": 100_001}}),
        ("/tasks/a/throttle/limit", "bad_throttle"),
    ),
    (
        "concurrency over 10,000",
        tasks(a={"each": [1], "concurrency": 10_001}),
        ("/tasks/a/concurrency", "bad_concurrency"),
    ),
    (
        "concurrency not an integer",
        tasks(a={"each": [1], "concurrency": 2.5}),
        ("/tasks/a/concurrency", "bad_concurrency"),
    ),
    (
        "concurrency checked on a single task too",
        tasks(a={"concurrency": 0}),
        ("/tasks/a/concurrency", "bad_concurrency"),
    ),
    ("batch size zero", tasks(a={"each": [1], "batch_size": 0}), ("/tasks/a/batch_size", "bad_batch_size")),
    (
        "batch size over 1,000",
        tasks(a={"each": [1], "batch_size": 1001}),
        ("/tasks/a/batch_size", "bad_batch_size"),
    ),
    (
        "batch size on a single task",
        tasks(a={"batch_size": 10}),
        ("/tasks/a/batch_size", "bad_batch_size"),
    ),
    ("zero timeout", tasks(a={"timeout_seconds": 0}), ("/tasks/a/timeout_seconds", "bad_timeout")),
    (
        "timeout over 366 days",
        phases(end={"is_final": True, "timeout_seconds": 366 * 86_400 + 1}),
        ("/phases/end/timeout_seconds", "bad_timeout"),
    ),
    (
        "heartbeat longer than timeout",
        tasks(a={"timeout_seconds": 10, "heartbeat_seconds": 20}),
        ("/tasks/a/heartbeat_seconds", "bad_timeout"),
    ),
    (
        "tolerance with both",
        tasks(a={"each": [1], "tolerated_failures": {"count": 1, "percent": 5}}),
        ("/tasks/a/tolerated_failures", "bad_tolerance"),
    ),
    (
        "tolerance count negative",
        tasks(a={"each": [1], "tolerated_failures": {"count": -1}}),
        ("/tasks/a/tolerated_failures/count", "bad_tolerance"),
    ),
    (
        "tolerance percent over 100",
        tasks(a={"each": [1], "tolerated_failures": {"percent": 101}}),
        ("/tasks/a/tolerated_failures/percent", "bad_tolerance"),
    ),
    (
        "tolerance on a single task",
        tasks(a={"tolerated_failures": {"count": 1}}),
        ("/tasks/a/tolerated_failures", "bad_tolerance"),
    ),
    ("output not a list", tasks(a={"output": "count"}), ("/tasks/a/output", "bad_output")),
    ("output key repeated", tasks(a={"output": ["count", "count"]}), ("/tasks/a/output", "bad_output")),
    ("output key empty", tasks(a={"output": [""]}), ("/tasks/a/output", "bad_output")),
    ("unknown failure mode", {**ETL, "failure_mode": "stop"}, ("/failure_mode", "bad_failure_mode")),
    ("unknown dependency", tasks(a={"depends_on": ["b"]}), ("/tasks/a/depends_on/0", "unknown_dependency")),
    (
        "unknown target",
        phases(start={"is_initial": True, "transitions_to": "ende"}),
        ("/phases/start/transitions_to", "unknown_target"),
    ),
]


@pytest.mark.parametrize(("definition", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_fault_is_reported_at_its_pointer(definition: Any, expected: tuple[str, str]) -> None:
    compiled = compile_definition(definition)
    assert expected in found(compiled), [p.as_json() for p in compiled.errors]
    assert compiled.graph is None


def test_every_documented_code_is_exercised() -> None:
    codes = {expected[1] for _, _, expected in CASES} | {"name_mismatch", "several_initial", "name_invalid"}
    assert codes >= {
        "invalid", "missing", "unknown_field", "duplicate_step", "name_mismatch", "name_invalid",
        "too_many_steps", "too_many_handlers", "duplicate_handler", "unknown_target", "final_with_transition",
        "no_initial", "several_initial", "cycle", "no_final_reachable", "unknown_dependency", "bad_pointer",
        "each_not_upstream", "each_too_long", "bad_retry", "bad_throttle", "bad_concurrency", "bad_timeout",
        "bad_tolerance", "bad_output", "bad_failure_mode", "bad_batch_size",
    }  # fmt: skip


class TestValidDetails:
    def test_each_may_read_a_transitive_upstream_output(self) -> None:
        definition = tasks(
            a={}, b={"depends_on": ["a"]}, c={"depends_on": ["b"], "each": {"$ptr": "/steps/a/output/ids"}}
        )
        compiled = compile_definition(definition)
        assert compiled.errors == [] and compiled.graph is not None
        assert compiled.graph.step("c").kind == "map"

    def test_throttle_key_templates_from_input_and_dependencies(self) -> None:
        definition = tasks(
            a={},
            b={
                "depends_on": ["a"],
                "throttle": {"key": "tenant:{/input/tenant_id}:{/steps/a/output/region}", "limit": 2},
            },
        )
        compiled = compile_definition(definition)
        assert compiled.errors == [] and compiled.graph is not None
        assert compiled.graph.step("b").throttle == Throttle(
            "tenant:{/input/tenant_id}:{/steps/a/output/region}", 2
        )

    def test_map_defaults_and_options(self) -> None:
        definition = tasks(
            a={"each": [], "tolerated_failures": {"percent": 10}, "allow_failed_dependencies": True},
            b={
                "concurrency": 7,
                "timeout_seconds": 60,
                "heartbeat_seconds": 10,
                "handler": {"name": "B", "version": "3"},
            },
        )
        compiled = compile_definition(definition)
        assert compiled.errors == [] and compiled.graph is not None
        a, b = compiled.graph.steps
        assert (a.kind, a.concurrency, a.tolerated_failures) == ("map", 100, Tolerance(percent=10.0))
        assert a.allow_failed_dependencies and not b.allow_failed_dependencies
        assert (b.kind, b.concurrency, b.timeout_seconds, b.heartbeat_seconds) == ("task", 1, 60.0, 10.0)
        assert b.handlers == (HandlerRef("B", "3"),) and b.params == {}

    def test_entry_and_dependents_follow_definition_order(self) -> None:
        definition = tasks(z={}, y={}, x={"depends_on": ["y", "z"]}, w={"depends_on": ["z"]})
        compiled = compile_definition(definition)
        assert compiled.graph is not None
        assert compiled.graph.entry == ("z", "y")
        assert compiled.graph.dependents("z") == ("x", "w")
        assert [s.name for s in compiled.graph.steps if s.final] == ["x", "w"]

    def test_tasks_may_be_an_array(self) -> None:
        definition = {
            "tasks": [{"name": "a", "handler": "A"}, {"name": "b", "handler": "B", "depends_on": ["a"]}]
        }
        compiled = compile_definition(definition)
        assert compiled.errors == [] and compiled.graph is not None
        assert compiled.graph.entry == ("a",)

    def test_a_single_phase_may_be_initial_and_final(self) -> None:
        compiled = compile_definition(
            {"phases": {"only": {"is_initial": True, "is_final": True, "handlers": ["H"]}}}
        )
        assert compiled.errors == [] and compiled.graph is not None
        assert compiled.graph.entry == ("only",)

    def test_deeply_nested_params_are_refused_without_exhausting_the_stack(self) -> None:
        nested: Any = {"$ptr": "/input/x"}
        for _ in range(5_000):
            nested = [nested]
        compiled = compile_definition(tasks(a={"params": nested}))
        assert [(p.code, p.loc[:16]) for p in compiled.errors] == [("too_deep", "/tasks/a/params/")]

    def test_params_nested_36_levels_deep_are_fine(self) -> None:
        nested: Any = {"$ptr": "/input/x"}
        for _ in range(35):
            nested = [nested]
        assert compile_definition(tasks(a={"params": nested})).errors == []

    def test_more_steps_than_the_limit_is_one_problem_at_once(self) -> None:
        many = {f"t{i}": {"handler": "h", "depends_on": [f"t{j}" for j in range(i)]} for i in range(150)}
        compiled = compile_definition({"tasks": many})
        assert [(p.loc, p.code) for p in compiled.errors] == [("/tasks", "too_many_steps")]

    def test_a_flood_of_problems_is_listed_up_to_the_limit_and_counted(self) -> None:
        compiled = compile_definition(tasks(a={"depends_on": ["zz"] * 5000}))
        assert len(compiled.errors) == 1001
        assert compiled.errors[-1].code == "too_many_problems" and "4000 more" in compiled.errors[-1].message

    def test_unknown_step_lookup_is_a_key_error(self) -> None:
        compiled = compile_definition(ETL)
        assert compiled.graph is not None
        with pytest.raises(KeyError):
            compiled.graph.step("nope")

    def test_problem_json_has_steps_only_when_there_are_some(self) -> None:
        assert Problem("/a", "c", "m").as_json() == {"loc": "/a", "code": "c", "message": "m"}
        assert Problem("/a", "c", "m", ("x",)).as_json()["steps"] == ["x"]

    def test_faults_in_many_places_are_all_listed(self) -> None:
        definition = tasks(
            a={"retry": {"count": 0, "strategy": "nope"}, "timeout_seconds": -1},
            b={"depends_on": ["a", "ghost"], "output": [1], "throttle": {"key": ""}},
        )
        assert found(compile_definition(definition)) == {
            ("/tasks/a/retry/count", "bad_retry"),
            ("/tasks/a/retry/strategy", "bad_retry"),
            ("/tasks/a/timeout_seconds", "bad_timeout"),
            ("/tasks/b/depends_on/1", "unknown_dependency"),
            ("/tasks/b/output", "bad_output"),
            ("/tasks/b/throttle/key", "bad_throttle"),
            ("/tasks/b/throttle/limit", "bad_throttle"),
        }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(
    sorted({*ETL["tasks"]["extract_data"], "depends_on", "throttle", "retry", "each", "handlers"})
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from([SEARCH, ETL, API_AGGREGATION]),
    field=FIELDS,
    value=JSON,
)
def test_any_value_anywhere_gives_problems_never_an_exception(
    base: dict[str, Any], field: str, value: Any
) -> None:
    definition = copy.deepcopy(base)
    container = definition.get("phases") or definition["tasks"]
    for body in container.values():
        body[field] = value
    compiled = compile_definition(definition, registered_handlers=())
    assert (compiled.graph is None) == bool(compiled.errors)
    for problem in compiled.errors + compiled.warnings:
        assert problem.loc == "" or problem.loc.startswith("/")
