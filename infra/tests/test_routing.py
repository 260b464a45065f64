"""Size routing: the trigger module's two EventBridge rules, as the module renders them, send
every S3 `Object Created` event under the key filters to exactly one target (run by run.sh).

The patterns are the module's own: modules/trigger/routing.tf is evaluated by `terraform
console` beside the module's variables.tf (no provider, no init, nothing copied by hand), with
test values for the variables; main.tf is checked to give the rules and the event_patterns
output exactly those locals. The patterns then go to moto's EventBridge, in-process, as two
rules whose targets are two SQS queues, and events come from S3 (a bucket that notifies
EventBridge, objects of real sizes) and from PutEvents (sizes at the default threshold, which
are too large to upload, and an event with no size at all). This tests the patterns, not the
Rust code; moto's matcher stands in for EventBridge's.

Needs: terraform on PATH; moto 5.2.5+ and boto3 (scripts/venv.sh test); python-hcl2
(PYTHONPATH, as run.sh sets it).
Usage: python infra/tests/test_routing.py   (prints "routing tests: N passed, M failed")
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import boto3
import hcl2  # python-hcl2
from moto import mock_aws

REPO = Path(__file__).resolve().parents[2]
TRIGGER = REPO / "infra" / "terraform" / "modules" / "trigger"
BUCKET = "sluice-raw"
# The trigger's variables without defaults.
REQUIRED = {"name": "t", "bucket_name": BUCKET, "function_name": "f",
            "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:f", "function_role_name": "r"}


# --- The module's patterns, rendered by Terraform ----------------------------------------------

class Refused(Exception):
    """terraform console refused the variables (a validation block said no)."""


def render(**variables: str) -> dict:
    """local.event_patterns and local.lambda_max_bytes of routing.tf for these variables."""
    with tempfile.TemporaryDirectory() as work:
        for name in ("variables.tf", "routing.tf"):
            shutil.copy(TRIGGER / name, work)
        args = ["terraform", "console", "-no-color"]
        for k, v in {**REQUIRED, **variables}.items():
            args += ["-var", f"{k}={v}"]
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        env.setdefault("TF_CLI_CONFIG_FILE", os.devnull)
        expr = 'base64encode(jsonencode({patterns = local.event_patterns, max = local.lambda_max_bytes}))'
        out = subprocess.run(args, input=expr, cwd=work, env=env, capture_output=True, text=True)
    text = out.stdout.strip()
    if not (text.startswith('"') and text.endswith('"')):
        raise Refused(out.stdout + out.stderr)
    rendered = json.loads(base64.b64decode(text.strip('"')))
    return {"lambda": rendered["patterns"]["lambda"], "worker": rendered["patterns"]["worker"],
            "max": rendered["max"]}


# --- moto: two rules, two queues ----------------------------------------------------------------

class Routes:
    """The two rules on moto's default event bus, each sending to its own SQS queue, and a
    bucket that notifies EventBridge."""

    def __init__(self, patterns: dict):
        self.events = boto3.client("events", region_name="us-east-1")
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.queues = {}
        self.last, self.last_routes = "", []
        for route in ("lambda", "worker"):
            url = self.sqs.create_queue(QueueName=f"to-{route}")["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.queues[route] = url
            self.events.put_rule(Name=f"t-{route}", EventPattern=patterns[route])
            self.events.put_targets(Rule=f"t-{route}", Targets=[{"Id": route, "Arn": arn}])
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_notification_configuration(
            Bucket=BUCKET, NotificationConfiguration={"EventBridgeConfiguration": {}})

    def drain(self) -> dict[str, list[dict]]:
        """The events each queue received since the last drain."""
        got = {}
        for route, url in self.queues.items():
            got[route] = []
            while True:
                msgs = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not msgs:
                    break
                for m in msgs:
                    got[route].append(json.loads(m["Body"]))
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return got

    def said(self) -> str:
        """The last event sent and the routes it reached, for assertion messages."""
        return f"{self.last}: routed to {self.last_routes or 'no rule'}"

    def upload(self, key: str, size: int) -> list[str]:
        """Routes that received the event of a real upload of `size` bytes."""
        self.last = f"upload {key!r} of {size} bytes"
        self.drain()
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=b"x" * size)
        return self.routes_of(key)

    def send(self, key: str, size: int | None, bucket: str = BUCKET,
             detail_type: str = "Object Created") -> list[str]:
        """Routes that received an S3-shaped event sent with PutEvents (size None: no size field)."""
        self.last = f"{detail_type} {bucket}/{key!r} size {'missing' if size is None else size}"
        self.drain()
        obj = {"key": key, "etag": "e", "sequencer": "1"}
        if size is not None:
            obj["size"] = size
        detail = {"version": "0", "bucket": {"name": bucket}, "object": obj, "reason": "PutObject"}
        resp = self.events.put_events(Entries=[{"Source": "aws.s3", "DetailType": detail_type,
                                                "Detail": json.dumps(detail)}])
        assert resp["FailedEntryCount"] == 0, resp
        return self.routes_of(key)

    def routes_of(self, key: str) -> list[str]:
        got = self.drain()
        routes = []
        for route, events in got.items():
            for e in events:
                assert e["detail"]["object"]["key"] == key, (route, e)
                routes.append(route)
        self.last_routes = sorted(routes)
        return self.last_routes


def aws_env() -> None:
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)


# --- Tests -----------------------------------------------------------------------------------------

def test_rules_and_output_use_the_rendered_patterns() -> None:
    """What is tested below is what the module deploys: the rules' event_pattern and the
    event_patterns output are routing.tf's locals, and routing.tf holds no resource."""
    main = hcl2.loads((TRIGGER / "main.tf").read_text())
    rules = [body for r in main.get("resource", []) for t, named in r.items()
             if t.strip('"') == "aws_cloudwatch_event_rule" for n, body in named.items() if not n.startswith("__")]
    assert len(rules) == 1, rules
    assert rules[0]["event_pattern"] == "${local.event_patterns[each.key]}", rules[0]["event_pattern"]
    outputs = hcl2.loads((TRIGGER / "outputs.tf").read_text())["output"]
    value = next(b['"event_patterns"']["value"] for b in outputs if '"event_patterns"' in b)
    assert "local.event_patterns" in value, value
    routing = hcl2.loads((TRIGGER / "routing.tf").read_text())
    blocks = {k for k in routing if not (k.startswith("__") and k.endswith("__"))}
    assert blocks == {"locals"}, blocks


def test_default_threshold_is_the_readme_arithmetic() -> None:
    # 80% of the 900 s timeout at 5,000,000 bytes/s.
    assert render()["max"] == 3_600_000_000
    assert render(function_timeout="300")["max"] == 1_200_000_000
    assert render(lambda_throughput_bytes_per_second="2500000")["max"] == 1_800_000_000
    assert render(lambda_max_bytes="123456")["max"] == 123456


def test_threshold_beyond_eventbridge_numeric_range_is_refused() -> None:
    try:
        render(lambda_max_bytes="5000000001")
    except Refused as e:
        assert "lambda_max_bytes must be null or a whole number" in str(e), e
    else:
        raise AssertionError("lambda_max_bytes = 5000000001 was accepted")


def test_uploads_at_the_boundary_land_on_exactly_one_queue() -> None:
    n = 1000
    patterns = render(filter_prefix="incoming/", lambda_max_bytes=str(n))
    with mock_aws():
        routes = Routes(patterns)
        assert routes.upload("incoming/a.csv", n - 1) == ["lambda"], routes.said()
        assert routes.upload("incoming/b.csv", n) == ["worker"], routes.said()
        assert routes.upload("incoming/c.csv", n + 1) == ["worker"], routes.said()
        assert routes.upload("incoming/empty.csv", 0) == ["lambda"], routes.said()
        assert routes.upload("incoming/deep/er/d.csv", 10) == ["lambda"], routes.said()


def test_default_boundary_and_missing_size() -> None:
    patterns = render(filter_prefix="incoming/")
    n = patterns["max"]
    with mock_aws():
        routes = Routes(patterns)
        assert routes.send("incoming/a.csv", n - 1) == ["lambda"], routes.said()
        assert routes.send("incoming/b.csv", n) == ["worker"], routes.said()
        assert routes.send("incoming/c.csv", n + 1) == ["worker"], routes.said()
        assert routes.send("incoming/huge.csv", 50_000_000_000) == ["worker"], routes.said()
        # No size field: the worker, where no deadline applies.
        assert routes.send("incoming/unsized.csv", None) == ["worker"], routes.said()
        # Not an object of this bucket, not a creation: neither.
        assert routes.send("incoming/other.csv", 10, bucket="someone-else") == [], routes.said()
        assert routes.send("incoming/gone.csv", 10, detail_type="Object Deleted") == [], routes.said()
        assert routes.send("incoming/gone.csv", None, detail_type="Object Deleted") == [], routes.said()


def test_prefix_and_suffix_filters_hold_on_both_rules() -> None:
    patterns = render(filter_prefix="incoming/", filter_suffix=".csv", lambda_max_bytes="100")
    with mock_aws():
        routes = Routes(patterns)
        for size in (10, 100, None):
            assert routes.send("other/a.csv", size) == [], routes.said()
            assert routes.send("incoming/a.txt", size) == [], routes.said()
            assert routes.send("incoming/a.csv.gz", size) == [], routes.said()
            assert routes.send("xincoming/a.csv", size) == [], routes.said()
            assert routes.send("Incoming/a.csv", size) == [], routes.said()
        assert routes.upload("other/a.csv", 10) == [], routes.said()
        assert routes.upload("incoming/a.txt", 200) == [], routes.said()
        assert routes.upload("incoming/a.csv", 10) == ["lambda"], routes.said()
        assert routes.upload("incoming/a.csv", 200) == ["worker"], routes.said()


def test_wildcard_characters_in_the_filters_are_literal() -> None:
    patterns = render(filter_prefix="raw*/", filter_suffix=".c*v", lambda_max_bytes="100")
    with mock_aws():
        routes = Routes(patterns)
        assert routes.send("raw*/a.c*v", 10) == ["lambda"], routes.said()
        assert routes.send("raw*/a.c*v", None) == ["worker"], routes.said()
        assert routes.send("rawX/a.c*v", 10) == [], routes.said()
        assert routes.send("raw*/a.csv", 10) == [], routes.said()


def test_prefix_only_suffix_only_and_no_filter() -> None:
    cases = [
        ({"filter_prefix": "in/", "filter_suffix": ""}, {"in/a.txt": True, "out/a.csv": False}),
        ({"filter_prefix": "", "filter_suffix": ".csv"}, {"any/where/a.csv": True, "a.txt": False}),
        ({"filter_prefix": "", "filter_suffix": ""}, {"anything": True, "a/b/c.txt": True}),
    ]
    for variables, keys in cases:
        patterns = render(**variables, lambda_max_bytes="100")
        with mock_aws():
            routes = Routes(patterns)
            for key, routed in keys.items():
                assert routes.send(key, 99) == (["lambda"] if routed else []), (variables, routes.said())
                assert routes.send(key, 100) == (["worker"] if routed else []), (variables, routes.said())
                assert routes.send(key, None) == (["worker"] if routed else []), (variables, routes.said())


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]

if __name__ == "__main__":
    aws_env()
    failed = 0
    for t in TESTS:
        try:
            t()
            print(f"ok   {t.__name__}")
        except Exception as e:  # an error is a failure too, with its message
            failed += 1
            print(f"FAIL {t.__name__}: {type(e).__name__}: {e}")
    print(f"routing tests: {len(TESTS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
