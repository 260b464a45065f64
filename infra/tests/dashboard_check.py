"""PutDashboard's rules for a dashboard body, checked offline (the API is the only other
judge, and it needs an account): the structure of widgets and their metrics arrays, as
CloudWatch's "Dashboard body structure and syntax" reference describes them. Returns the
problems found, an empty list for a body PutDashboard accepts on these points.

    from dashboard_check import problems
    problems(json.loads(body))  # -> ["widget 3: ..."]
"""
from __future__ import annotations

import re

WIDGET_TYPES = {"metric", "text", "log", "alarm", "explorer", "custom"}
VIEWS = {"timeSeries", "singleValue", "gauge", "bar", "pie", "table"}
STATS = re.compile(r"^(SampleCount|Average|Sum|Minimum|Maximum|IQM|(p|tm|wm|tc|ts|PR|TM|WM|TC|TS)\d{1,2}(\.\d+)?)$")
OPTION_KEYS = {"accountId", "color", "id", "label", "period", "region", "stat", "visible", "yAxis"}
EXPRESSION_KEYS = {"expression", "id", "label", "color", "period", "visible", "yAxis", "region", "accountId"}
METRIC_PROPERTIES = {"metrics", "region", "view", "stacked", "period", "stat", "title", "annotations",
                     "yAxis", "legend", "liveData", "setPeriodToTimeRange", "sparkline", "timezone", "table",
                     "accountId", "labels", "singleValueFullPrecision", "start", "end"}
ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
# Lowercase words in an expression are ids of the widget's metrics; functions are upper case.
REFERENCE = re.compile(r"\b[a-z][a-zA-Z0-9_]*\b")


def problems(body) -> list[str]:
    if not isinstance(body, dict) or set(body) - {"widgets", "start", "end", "periodOverride", "variables"}:
        return ["the body must be an object with widgets (and start, end, periodOverride, variables)"]
    widgets = body.get("widgets")
    if not isinstance(widgets, list) or not 0 < len(widgets) <= 500:
        return ["widgets must be a list of 1 to 500 widgets"]
    found = []
    for n, w in enumerate(widgets):
        found += [f"widget {n}: {p}" for p in widget_problems(w)]
    return found


def widget_problems(w) -> list[str]:
    if not isinstance(w, dict) or w.get("type") not in WIDGET_TYPES:
        return [f"type must be one of {sorted(WIDGET_TYPES)}"]
    found = []
    x, y, width, height = (w.get(k, 0 if k in "xy" else 6) for k in ("x", "y", "width", "height"))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (x, y, width, height)):
        return ["x, y, width and height must be integers"]
    if not (0 <= x <= 23 and 1 <= width <= 24 and x + width <= 24 and y >= 0 and 1 <= height <= 1000):
        found.append(f"position x={x} y={y} width={width} height={height} is off the 24-column grid")
    props = w.get("properties")
    if not isinstance(props, dict):
        return found + ["properties must be an object"]
    if w["type"] == "text":
        if not isinstance(props.get("markdown"), str) or not props["markdown"]:
            found.append("a text widget needs markdown")
    elif w["type"] == "metric":
        found += metric_widget_problems(props)
    return found


def metric_widget_problems(p: dict) -> list[str]:
    found = [f"unknown property {k}" for k in sorted(set(p) - METRIC_PROPERTIES)]
    if not isinstance(p.get("region"), str) or not p["region"]:
        found.append("region is required")
    if "view" in p and p["view"] not in VIEWS:
        found.append(f"view {p['view']!r} is not one of {sorted(VIEWS)}")
    if "stat" in p and not STATS.match(str(p["stat"])):
        found.append(f"stat {p['stat']!r} is not a statistic")
    if "period" in p and not (isinstance(p["period"], int) and (p["period"] % 60 == 0 or p["period"] in (1, 5, 10, 30))):
        found.append(f"period {p.get('period')!r} must be 1, 5, 10, 30 or a multiple of 60")
    if "stacked" in p and not isinstance(p["stacked"], bool):
        found.append("stacked must be a boolean")
    for side in p.get("annotations", {}).get("horizontal", []):
        if not isinstance(side.get("value"), (int, float)):
            found.append(f"annotation {side} needs a numeric value")
    metrics = p.get("metrics")
    if not isinstance(metrics, list) or not 0 < len(metrics) <= 500:
        return found + ["metrics must be a list of 1 to 500 metric arrays"]
    ids, expressions = [], []
    for m in metrics:
        found += entry_problems(m, ids, expressions)
    if len(ids) != len(set(ids)):
        found.append(f"ids repeat: {ids}")
    for e in expressions:
        unknown = sorted(set(REFERENCE.findall(e)) - set(ids))
        if unknown:
            found.append(f"expression {e!r} names {unknown}, not ids of this widget")
    return found


def entry_problems(m, ids: list, expressions: list) -> list[str]:
    """One metrics array: [{expression...}] or [namespace, name, (dim, value)*, {options}?]."""
    if not isinstance(m, list) or not m:
        return [f"metric entry {m!r} must be a non-empty array"]
    options = m[-1] if isinstance(m[-1], dict) else {}
    strings = m[:-1] if isinstance(m[-1], dict) else m
    if "expression" in options:
        if strings or set(options) - EXPRESSION_KEYS or not isinstance(options["expression"], str):
            return [f"expression entry {m!r} must be one object with {sorted(EXPRESSION_KEYS)}"]
        expressions.append(options["expression"])
    else:
        if len(strings) < 2 or len(strings) % 2 or not all(isinstance(s, str) and s for s in strings):
            return [f"metric {m!r} must be namespace, name and dimension name/value pairs (strings)"]
        if set(options) - OPTION_KEYS:
            return [f"metric {m!r} has unknown options {sorted(set(options) - OPTION_KEYS)}"]
        if "stat" in options and not STATS.match(str(options["stat"])):
            return [f"metric {m!r}: stat {options['stat']!r} is not a statistic"]
    if "id" in options:
        if not ID.match(str(options["id"])):
            return [f"id {options['id']!r} must start with a lowercase letter (letters, digits, _)"]
        ids.append(options["id"])
    return []


def metrics_named(body) -> list[tuple[str, str, dict]]:
    """Every metric a body graphs: (namespace, name, dimensions)."""
    named = []
    for w in body.get("widgets", []):
        for m in w.get("properties", {}).get("metrics", []) if w.get("type") == "metric" else []:
            strings = [s for s in m if isinstance(s, str)]
            if len(strings) >= 2:
                named.append((strings[0], strings[1], dict(zip(strings[2::2], strings[3::2]))))
    return named
