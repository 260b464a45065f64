"""The dashboard and the alarms name only metrics the binary prints (run by run.sh).

The dashboard module's body (modules/dashboard/body.tf) and the alarms module's definitions
(modules/alarms/definitions.tf) are rendered by `terraform console` beside each module's
variables.tf (no provider, no init), for the shapes the examples use. Every metric they name
in Sluice's namespace must be in the binary's list — METRICS, DIMENSIONS and
DEFAULT_NAMESPACE in crates/sluice/src/metrics.rs, which that file's unit tests hold equal to
what the binary prints — with exactly its dimensions; every AWS metric must be one AWS
publishes, with its dimension. The body must also pass PutDashboard's rules
(dashboard_check.py). Each check is also shown to fail on a doctored input.

Needs: terraform on PATH; python-hcl2 (PYTHONPATH, as run.sh sets it).
Usage: python infra/tests/test_metrics.py   (prints "metrics tests: N passed, M failed")
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import hcl2  # python-hcl2

from dashboard_check import metrics_named, problems

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "infra" / "terraform" / "modules"
EXAMPLES = REPO / "infra" / "terraform" / "examples"
RUST = REPO / "crates" / "sluice" / "src" / "metrics.rs"
AWS_METRICS = {
    "AWS/Lambda": ({"Errors", "Throttles", "Duration", "AsyncEventAge", "Invocations"}, {"FunctionName"}),
    "AWS/SQS": ({"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateAgeOfOldestMessage"}, {"QueueName"}),
}
FUNCTION = '{name="sluice-filter", timeout_seconds=900}'
ONE = '{function={namespace="Sluice", service="sluice-filter", job="filter"}}'
FLEET = ('{function={namespace="Acme/Sluice", service="f", job="report"}, '
         'worker={namespace="Acme/Sluice", service="f-worker", job="report"}}')
# The examples' shapes: direct, queued, a fleet; and a deployment without a function.
DASHBOARDS = [
    {"metrics": ONE, "function": FUNCTION, "dead_letter_queues": '{failures="f-failures"}'},
    {"metrics": ONE, "function": FUNCTION, "queues": '{events="q"}', "dead_letter_queues": '{failures="a", events-dlq="b"}'},
    {"metrics": FLEET, "function": FUNCTION, "queues": '{events="q", worker="w"}', "dead_letter_queues": '{w="w-dlq"}'},
    {"metrics": ONE},
]
ALARMS = [
    {"function_timeout_seconds": "900", "metrics": ONE, "dead_letter_queues": '{failures="f-failures"}'},
    {"trigger_mode": "queue", "queue_name": "q", "metrics": FLEET, "queue_age_alarms": '{worker={queue_name="w", threshold_seconds=3600}}'},
]


class Refused(Exception):
    """terraform console refused the variables or the expression."""


def render(module: str, files: tuple[str, ...], expr: str, **variables: str):
    with tempfile.TemporaryDirectory() as work:
        for name in files:
            shutil.copy(MODULES / module / name, work)
        args = ["terraform", "console", "-no-color"]
        for k, v in variables.items():
            args += ["-var", f"{k}={v}"]
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        env.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
        out = subprocess.run(args, input=f"base64encode(jsonencode({expr}))", cwd=work, env=env,
                             capture_output=True, text=True)
    text = out.stdout.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise Refused(out.stdout + out.stderr)
    return json.loads(base64.b64decode(text.strip('"')))


def dashboard(**variables: str) -> dict:
    return render("dashboard", ("variables.tf", "body.tf"), "local.body", name="d", region="eu-west-1", **variables)


def alarms(**variables: str) -> dict:
    return render("alarms", ("variables.tf", "definitions.tf"), "local.alarms", name="a", function_name="sluice-filter", **variables)


def emitted(source: str | None = None) -> tuple[dict[str, str], set[str], str]:
    """METRICS (name -> unit), DIMENSIONS and DEFAULT_NAMESPACE of the Rust module."""
    text = source if source is not None else RUST.read_text()
    block = re.search(r"pub const METRICS: &\[\(&str, &str\)\] = &\[(.*?)\];", text, re.S)
    dims = re.search(r"pub const DIMENSIONS: \[&str; \d+\] = \[(.*?)\];", text, re.S)
    namespace = re.search(r'pub const DEFAULT_NAMESPACE: &str = "([^"]+)";', text)
    if not (block and dims and namespace):
        raise AssertionError(f"{RUST}: METRICS, DIMENSIONS or DEFAULT_NAMESPACE not found")
    metrics = dict(re.findall(r'\("(\w+)",\s*"([\w/]+)"\)', block.group(1)))
    return metrics, set(re.findall(r'"(\w+)"', dims.group(1))), namespace.group(1)


def drift(named, namespaces: set[str], rust=None) -> list[str]:
    """What in `named` ((namespace, name, dimensions) triples) the code does not print."""
    metrics, dims, _ = rust or emitted()
    found = []
    for namespace, name, dimensions in named:
        if namespace in AWS_METRICS:
            names, keys = AWS_METRICS[namespace]
            if name not in names or set(dimensions) != keys:
                found.append(f"{namespace} {name} {dimensions}: not an AWS metric with dimension {keys}")
        elif namespace not in namespaces:
            found.append(f"{namespace} {name}: not the configured namespace {namespaces}")
        elif name not in metrics:
            found.append(f"{namespace} {name}: the binary prints no such metric ({sorted(metrics)})")
        elif set(dimensions) != dims or not all(dimensions.values()):
            found.append(f"{namespace} {name} {dimensions}: the binary's dimensions are {sorted(dims)}")
    return found


def namespaces_of(variables: dict) -> set[str]:
    return set(re.findall(r'namespace="([^"]+)"', variables.get("metrics", "")))


def blocks(path: Path, kind: str) -> dict:
    """The `kind` blocks of a file by label (python-hcl2 8 keeps labels and strings quoted)."""
    with open(path) as f:
        return {k.strip('"'): v for b in hcl2.load(f).get(kind, []) for k, v in b.items()}


def unquote(value) -> str:
    return str(value).strip('"')


def alarm_metrics(rendered: dict):
    return [(q["namespace"], q["metric"], q["dimensions"]) for a in rendered.values() for q in a["metrics"].values()]


# --- Tests --------------------------------------------------------------------------------------

def test_the_rust_list_is_read() -> None:
    metrics, dims, namespace = emitted()
    assert {"RowsRead", "RowsRejected", "BytesIn", "Lag", "ObjectsFailed", "ObjectsSuperseded"} <= set(metrics), metrics
    assert metrics["Duration"] == "Milliseconds" and metrics["Throughput"] == "Bytes/Second", metrics
    assert dims == {"Service", "Job"} and namespace == "Sluice", (dims, namespace)


def test_dashboards_are_valid_for_put_dashboard() -> None:
    for variables in DASHBOARDS:
        body = dashboard(**variables)
        assert not problems(body), (variables, problems(body))
        assert len(json.dumps(body)) < 1_000_000  # PutDashboard's size limit (1 MB)


def test_dashboards_name_only_metrics_the_binary_prints() -> None:
    for variables in DASHBOARDS:
        named = metrics_named(dashboard(**variables))
        assert any(ns not in AWS_METRICS for ns, _, _ in named), named
        assert not drift(named, namespaces_of(variables)), drift(named, namespaces_of(variables))


def test_dashboard_graphs_what_the_issue_asks() -> None:
    body = dashboard(**DASHBOARDS[2])
    names = {name for _, name, _ in metrics_named(body)}
    for name in ["BytesIn", "Throughput", "RowsSelected", "RowsDropped", "RowsRejected", "RowsRead", "Duration",
                 "ObjectsFailed", "Errors", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"]:
        assert name in names, name
    services = {d.get("Service") for ns, _, d in metrics_named(body) if ns == "Acme/Sluice"}
    assert services == {"f", "f-worker"}, services


def test_alarms_name_only_metrics_the_binary_prints() -> None:
    for variables in ALARMS:
        named = alarm_metrics(alarms(**variables))
        assert not drift(named, namespaces_of(variables)), drift(named, namespaces_of(variables))


def test_alarms_that_mean_something() -> None:
    direct = alarms(**ALARMS[0])
    assert direct["duration"]["threshold"] == 720_000, direct["duration"]
    ratio = direct["function-rejection-ratio"]
    assert ratio["threshold"] == 0.01 and ratio["expression"] == "IF(rows > 0, rejected / rows, 0)", ratio
    assert set(ratio["metrics"]) == {"rows", "rejected"}
    assert direct["failures-not-empty"]["threshold"] == 0 and direct["function-failed-objects"]["threshold"] == 0
    fleet = alarms(**ALARMS[1])
    assert {"worker-rejection-ratio", "function-failed-objects", "worker-age", "event-age"} <= set(fleet), sorted(fleet)
    assert "duration" not in fleet  # no timeout given


def test_every_alarm_notifies_the_topic() -> None:
    alarm = blocks(MODULES / "alarms" / "main.tf", "resource")["aws_cloudwatch_metric_alarm"]['"this"']
    assert alarm["alarm_actions"] == "${local.actions}" and alarm["ok_actions"] == "${local.actions}", alarm


def test_the_modules_configure_what_the_binary_reads() -> None:
    rust_cli = (REPO / "crates" / "sluice" / "src" / "cli" / "mod.rs").read_text()
    for var in ("SLUICE_METRICS_NAMESPACE", "SLUICE_METRICS_SERVICE"):
        assert f'env = "{var}"' in rust_cli, var
    function = (MODULES / "function" / "main.tf").read_text()
    assert re.search(r"SLUICE_METRICS_NAMESPACE\s*=\s*var\.metrics_namespace", function)
    assert re.search(r"SLUICE_METRICS_SERVICE\s*=\s*var\.name", function)
    assert re.search(r"SLUICE_METRICS_SERVICE\s*=\s*var\.name", (MODULES / "worker" / "main.tf").read_text())
    default = unquote(blocks(MODULES / "function" / "variables.tf", "variable")["metrics_namespace"]["default"])
    assert default == emitted()[2], default


def test_every_example_has_the_dashboard_and_sluice_alarms() -> None:
    for example in sorted(EXAMPLES.iterdir()):
        modules = blocks(example / "main.tf", "module")
        assert unquote(modules.get("dashboard", {}).get("source")) == "../../modules/dashboard", example
        assert "metrics" in modules["alarms"] and "function_timeout_seconds" in modules["alarms"], example


def test_the_checks_fail_on_drift() -> None:
    body = dashboard(**DASHBOARDS[0])
    named = metrics_named(body)
    renamed = [(ns, "RowsRed" if n == "RowsRead" else n, d) for ns, n, d in named]
    assert drift(renamed, {"Sluice"}), "a misspelt metric must be caught"
    extra_dim = [(ns, n, {**d, "Bucket": "b"} if ns == "Sluice" else d) for ns, n, d in named]
    assert drift(extra_dim, {"Sluice"}), "a dimension the binary does not print must be caught"
    assert drift(named, {"Other"}), "another namespace must be caught"
    assert drift([("AWS/Lambda", "Duration", {"QueueName": "q"})], {"Sluice"})
    metrics, dims, ns = emitted()
    without = ({k: v for k, v in metrics.items() if k != "Lag"}, dims, ns)
    assert drift(named, {"Sluice"}, without), "a metric the binary stopped printing must be caught"
    broken = json.loads(json.dumps(body))
    broken["widgets"][1]["properties"]["metrics"][1][0]["expression"] = "bin_x / 1"
    broken["widgets"][2]["width"] = 25
    broken["widgets"][3]["properties"]["metrics"][0].insert(2, "Service")
    found = "\n".join(problems(broken))
    for part in ["names ['bin_x']", "off the 24-column grid", "dimension name/value pairs"]:
        assert part in found, (part, found)
    assert problems({"widgets": []}) and problems({"widgets": [{"type": "metric", "properties": {"metrics": [["A", "B"]]}}]})


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]

if __name__ == "__main__":
    failed = 0
    for t in TESTS:
        try:
            t()
            print(f"ok   {t.__name__}")
        except Exception as e:  # an error is a failure too, with its message
            failed += 1
            print(f"FAIL {t.__name__}: {type(e).__name__}: {e}")
    print(f"metrics tests: {len(TESTS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
