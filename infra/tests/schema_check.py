#!/usr/bin/env python3
"""Offline stand-in for `terraform validate`: check aws_* blocks against AWS provider schemas.

`terraform validate` needs the AWS provider binary, which cannot be downloaded here. The
provider's schema also ships inside PyPI's `cdktf-cdktf-provider-aws` wheels, as a jsii
assembly (`_jsii/*.jsii.tgz`): 19.x carries hashicorp/aws 5.99, 21.x carries 6.x. In it:

* every resource or data source is a class based on `cdktf.TerraformResource` or
  `cdktf.TerraformDataSource`, whose docs summary links its registry page
  ("Represents a {@link .../docs/resources/s3_bucket aws_s3_bucket}");
* the class's initializer takes a `config` of a struct type (`...S3BucketConfig`), whose
  properties are the arguments and nested blocks, `optional` or not;
* each property's docs link its Terraform name ("...#acceleration_status S3Bucket#..."),
  which we use rather than converting camelCase (cdktf renames a few, e.g. reserved words);
* a property typed as another struct, or a list of structs, is a nested block;
* the class's own (non-static) getters are the attributes that references can read.

Every directory is checked against every schema given (run.sh gives the 5.x and the 6.x one):

* each argument and nested block (static or `dynamic`) of a `resource "aws_*"` or
  `data "aws_*"` block exists, recursively, and the required ones are present;
* each reference `aws_x.name.attr` / `data.aws_x.name.attr` reads an attribute that exists,
  in every schema whose provider version the directory's `required_providers` admits;
* nothing is used that AWS provider 6.x deprecates (DEPRECATED_IN_6 below).

An argument that exists in only one schema is a problem unless the block that holds it says
why, in a comment inside that block (conventionally on the line above the argument):

    #schema_check:aws6-only=ARGUMENT:REASON

and the directory's `required_providers` constraint excludes the other major version (else
Terraform would fail on it there). Conversely a constraint that excludes a checked version
needs such a marker to explain it. A marker for an argument every schema has is a problem.

Usage: schema_check.py [--quiet] [--schema WHEEL_OR_TGZ]... PATH...
  (directories are searched for *.tf; without --schema, $SLUICE_AWS_SCHEMAS, a list of
  paths separated by ':', or else every cdktf-cdktf-provider-aws wheel in
  $SLUICE_INFRA_VENV/wheels). Exit status 1 when any problem is found. Each digested schema
  is cached as JSON.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import hcl2  # python-hcl2 (installed beside the venv by run.sh; see there)

META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}
# Properties of cdktf's TerraformMetaArguments; never provider arguments.
CDKTF_BASE = {"connection", "count", "dependsOn", "forEach", "lifecycle", "provider", "provisioners"}
BLOCK_KINDS = {"cdktf.TerraformResource": "resource", "cdktf.TerraformDataSource": "data"}
SUMMARY_RE = re.compile(r"docs/(?:resources|data-sources)/\w+ (aws_\w+)\}")
ANCHOR_RE = re.compile(r"#(\w+) \w+#")
VENV = Path(os.environ.get("SLUICE_INFRA_VENV", Path.home() / ".cache" / "sluice-venv-infra"))
CACHE_DIR = Path(os.environ.get("SLUICE_SCHEMA_CACHE", VENV))
DIGEST_FORMAT = 2

MARKER_PREFIX = "schema_check:"
MARKER_RE = re.compile(r"schema_check:aws(\d+)-only=(\w+):\s*(\S.*)")
# aws_x.name.attr or data.aws_x.name.attr, with any index or splat between name and attr.
REFERENCE_RE = re.compile(r"(?<![\w.])(data\.)?(aws_\w+)\.([A-Za-z_][\w-]*)((?:\[[^\]]*\])*)\.(\w+)")

# What the AWS provider 6.x deprecates among the resource and data source types the modules
# use, keyed "resource.TYPE" / "data.TYPE", with dotted paths below the block for nested
# arguments. cdktf's assemblies carry no deprecation flags (21.22.1: no property has
# docs.deprecated, no stability other than "stable"), so this is kept by hand from the
# provider's version 6 upgrade guide and the "Deprecated" notes of each type's documentation.
# Every type a module uses must be listed, often with nothing: a module that starts using a
# new type fails here until someone has looked up what 6.x deprecates in it.
DEPRECATED_IN_6: dict[str, dict[str, str]] = {
    "data.aws_caller_identity": {},
    "data.aws_iam_policy_document": {},
    "data.aws_partition": {"id": "use partition"},
    "data.aws_region": {"name": "use region (6.x only), or derive the ARN from a resource"},
    "resource.aws_appautoscaling_policy": {},
    "resource.aws_appautoscaling_target": {},
    "resource.aws_cloudwatch_event_rule": {"is_enabled": "use state"},
    "resource.aws_cloudwatch_event_target": {},
    "resource.aws_cloudwatch_log_group": {},
    "resource.aws_cloudwatch_dashboard": {},
    "resource.aws_cloudwatch_metric_alarm": {},
    "resource.aws_dynamodb_table": {},
    "resource.aws_ecr_lifecycle_policy": {},
    "resource.aws_ecr_repository": {},
    "resource.aws_ecs_cluster": {},
    "resource.aws_ecs_service": {},
    "resource.aws_ecs_task_definition": {},  # inference_accelerator is removed in 6.0, not deprecated
    "resource.aws_iam_role": {
        "inline_policy": "use aws_iam_role_policy",
        "managed_policy_arns": "use aws_iam_role_policy_attachment",
    },
    "resource.aws_iam_role_policy": {},
    "resource.aws_kms_key": {},
    "resource.aws_lambda_event_source_mapping": {},
    "resource.aws_lambda_function": {},
    "resource.aws_lambda_function_event_invoke_config": {},
    "resource.aws_lambda_layer_version": {},
    "resource.aws_lambda_permission": {},
    "resource.aws_s3_bucket": {  # the in-line settings that have their own resources since 4.0
        "acceleration_status": "use aws_s3_bucket_accelerate_configuration",
        "acl": "use aws_s3_bucket_acl",
        "cors_rule": "use aws_s3_bucket_cors_configuration",
        "grant": "use aws_s3_bucket_acl",
        "lifecycle_rule": "use aws_s3_bucket_lifecycle_configuration",
        "logging": "use aws_s3_bucket_logging",
        "object_lock_configuration.rule": "use aws_s3_bucket_object_lock_configuration",
        "policy": "use aws_s3_bucket_policy",
        "replication_configuration": "use aws_s3_bucket_replication_configuration",
        "request_payer": "use aws_s3_bucket_request_payment_configuration",
        "server_side_encryption_configuration": "use aws_s3_bucket_server_side_encryption_configuration",
        "versioning": "use aws_s3_bucket_versioning",
        "website": "use aws_s3_bucket_website_configuration",
        "website_domain": "use aws_s3_bucket_website_configuration",
        "website_endpoint": "use aws_s3_bucket_website_configuration",
    },
    "resource.aws_s3_bucket_lifecycle_configuration": {"rule.prefix": "use rule.filter"},
    "resource.aws_s3_bucket_logging": {},
    "resource.aws_s3_bucket_notification": {},
    "resource.aws_s3_bucket_ownership_controls": {},
    "resource.aws_s3_bucket_policy": {},
    "resource.aws_s3_bucket_public_access_block": {},
    "resource.aws_s3_bucket_server_side_encryption_configuration": {},
    "resource.aws_s3_bucket_versioning": {},
    "resource.aws_s3_object": {},
    "resource.aws_security_group": {},
    "resource.aws_sns_topic": {},
    "resource.aws_sns_topic_policy": {},
    "resource.aws_sns_topic_subscription": {},
    "resource.aws_sqs_queue": {},
    "resource.aws_sqs_queue_policy": {},
    "resource.aws_sqs_queue_redrive_allow_policy": {},
    "resource.aws_vpc_endpoint": {},
}


# --- Schemas ----------------------------------------------------------------------------

def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def struct_of(t: dict) -> str | None:
    """The struct fqn a jsii type refers to (directly, as a list element, or in a union)."""
    if "fqn" in t:
        return t["fqn"] if t["fqn"].startswith("@cdktf/provider-aws.") else None
    if "collection" in t:
        return struct_of(t["collection"]["elementtype"])
    for u in t.get("union", {}).get("types", []):
        found = struct_of(u)
        if found:
            return found
    return None


def read_assembly(path: Path) -> dict:
    """The jsii assembly in a cdktf-cdktf-provider-aws wheel, or in its .jsii.tgz."""
    def from_tgz(fileobj) -> dict:
        with tarfile.open(fileobj=fileobj, mode="r|gz") as tar:  # streamed: no seeking in the wheel
            for member in tar:
                if member.name == "package/.jsii":
                    return json.load(tar.extractfile(member))
        raise SystemExit(f"schema_check: no package/.jsii in {path}")

    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as whl:
            names = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
            if not names:
                raise SystemExit(f"schema_check: no .jsii.tgz in {path}")
            with whl.open(names[0]) as tgz:
                return from_tgz(tgz)
    with open(path, "rb") as tgz:
        return from_tgz(tgz)


def build_schema(path: Path) -> dict:
    assembly = read_assembly(path)
    types = assembly["types"]
    blocks: dict[str, dict] = {"resource": {}, "data": {}}
    structs: dict[str, dict] = {}

    def digest(fqn: str) -> None:
        if fqn in structs:
            return
        structs[fqn] = {}  # placeholder against recursion
        props = {}
        for p in types[fqn].get("properties", []):
            if p["name"] in CDKTF_BASE:
                continue
            m = ANCHOR_RE.search(p.get("docs", {}).get("summary", ""))
            name = m.group(1) if m else snake(p["name"])
            child = struct_of(p["type"])
            if child and types.get(child, {}).get("datatype"):
                digest(child)
            else:
                child = None
            props[name] = {"required": not p.get("optional", False), "block": child}
        structs[fqn] = props

    for t in types.values():
        kind = BLOCK_KINDS.get(t.get("base"))
        if t.get("kind") != "class" or not kind:
            continue
        m = SUMMARY_RE.search(t.get("docs", {}).get("summary", ""))
        params = t.get("initializer", {}).get("parameters", [])
        config = next((p["type"]["fqn"] for p in params if p["name"] == "config"), None)
        if not m or not config:
            continue
        digest(config)
        # Getters: every attribute (arguments included); "...Input" getters and statics are not.
        attributes = {snake(p["name"]) for p in t.get("properties", [])
                      if not p.get("static") and not p["name"].endswith("Input")}
        blocks[kind][m.group(1)] = {"config": config, "attributes": sorted(attributes | set(structs[config]))}
    provider = re.search(r"hashicorp/aws/(\d+\.\d+\.\d+)", json.dumps(assembly.get("readme", "")))
    if not provider:
        raise SystemExit(f"schema_check: no hashicorp/aws version in the readme of {path}")
    return {
        "format": DIGEST_FORMAT,
        "provider": provider.group(1),
        "version": f"hashicorp/aws {provider.group(1)} (cdktf {assembly['version']})",
        "blocks": blocks,
        "structs": structs,
    }


def load_schema(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"schema_check: {path} does not exist (run infra/tests/run.sh)")
    cache = CACHE_DIR / f"aws-schema-v{DIGEST_FORMAT}-{path.name}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    schema = build_schema(path)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(schema))
    tmp.replace(cache)
    return schema


def default_schema_paths() -> list[str]:
    listed = os.environ.get("SLUICE_AWS_SCHEMAS", "")
    if listed:
        return [p for p in listed.split(os.pathsep) if p]
    return sorted(glob.glob(str(VENV / "wheels" / "cdktf_cdktf_provider_aws-*.whl")))


def load_schemas(paths: list[str] | None = None) -> list[dict]:
    paths = paths or default_schema_paths()
    if not paths:
        raise SystemExit("schema_check: no provider schema (run infra/tests/run.sh, or pass --schema)")
    return sorted((load_schema(p) for p in paths), key=lambda s: version_tuple(s["provider"]))


def major(schema: dict) -> int:
    return int(schema["provider"].split(".")[0])


# --- Version constraints ------------------------------------------------------------------

def version_tuple(v: str) -> tuple[int, int, int]:
    parts = [int(x) for x in v.split(".")]
    return tuple((parts + [0, 0, 0])[:3])  # type: ignore[return-value]


def admits(constraint: str, version: str) -> bool:
    """Whether a Terraform version constraint ("~> 5.90", ">= 5.90, < 7.0", ...) admits version."""
    v = version_tuple(version)
    for clause in constraint.split(","):
        m = re.fullmatch(r"\s*(~>|>=|<=|!=|=|>|<)?\s*v?(\d+(?:\.\d+){0,2})\s*", clause)
        if not m:
            raise ValueError(f"unreadable version constraint \"{constraint}\"")
        op, given = m.group(1) or "=", m.group(2)
        c = version_tuple(given)
        if op == "~>":  # the last part given may grow; those before it stay
            parts = [int(x) for x in given.split(".")]
            upper = version_tuple(".".join(map(str, parts[:-2] + [parts[-2] + 1]))) if len(parts) > 1 \
                else (parts[0] + 1, 0, 0)
            ok = c <= v < upper
        else:
            ok = {"=": v == c, "!=": v != c, ">": v > c, ">=": v >= c, "<": v < c, "<=": v <= c}[op]
        if not ok:
            return False
    return True


def aws_constraint(doc: dict) -> str | None:
    for tf in doc.get("terraform", []):
        for req in tf.get("required_providers", []):
            aws = req.get("aws")
            if isinstance(aws, dict) and "version" in aws:
                return unquote(str(aws["version"]))
    return None


# --- Checks -----------------------------------------------------------------------------

def unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def is_meta_key(key: str) -> bool:
    return key.startswith("__") and key.endswith("__")


def _is_block(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


class Marker:
    def __init__(self, where: str, name: str, only: int, reason: str):
        self.where, self.name, self.only, self.reason = where, name, only, reason
        self.excused: set[str] = set()  # provider versions in which it excused the argument's absence


def body_markers(body: dict, where: str, problems: list[str]) -> dict[str, Marker]:
    """The markers in a block body's comments, by argument name; malformed ones go to problems."""
    markers = {}
    for key in ("__comments__", "__inline_comments__"):
        for comment in body.get(key, []):
            text = str(comment.get("value", "")).strip()
            if not text.startswith(MARKER_PREFIX):
                continue
            m = MARKER_RE.fullmatch(text)
            if not m:
                problems.append(f"{where}: malformed marker \"#{text}\" "
                                "(write #schema_check:awsN-only=ARGUMENT:REASON)")
                continue
            markers[m.group(2)] = Marker(where, m.group(2), int(m.group(1)), m.group(3))
    return markers


class Checker:
    """Problems in the .tf files of one directory (a module or an example), for every schema."""

    def __init__(self, schemas: list[dict]):
        self.schemas = schemas
        self.problems: list[str] = []
        self.per_schema: dict[str, list[str]] = {}  # problem -> provider versions that have it
        self.markers: list[Marker] = []
        self.body_markers: dict[int, dict[str, Marker]] = {}  # by id() of the parsed body
        self.checked = 0
        self.references = 0

    def found(self, problem: str, schema: dict | None = None) -> None:
        if schema is None:
            if problem not in self.problems:
                self.problems.append(problem)
        elif schema["provider"] not in self.per_schema.setdefault(problem, []):
            self.per_schema[problem].append(schema["provider"])

    def markers_of(self, body: dict, where: str) -> dict[str, Marker]:
        if id(body) not in self.body_markers:
            found: list[str] = []
            self.body_markers[id(body)] = body_markers(body, where, found)
            self.markers += self.body_markers[id(body)].values()
            for p in found:
                self.found(p)
        return self.body_markers[id(body)]

    def check_dir(self, texts: list[tuple[str, str]]) -> list[str]:
        docs = [(origin, hcl2.loads(text)) for origin, text in texts]
        constraint = next((c for _, d in docs if (c := aws_constraint(d))), None)
        admitted = []
        for s in self.schemas:
            try:
                if constraint is None or admits(constraint, s["provider"]):
                    admitted.append(s)
            except ValueError as e:
                self.found(f"{texts[0][0]}: {e}")
                admitted = list(self.schemas)
                break
        for origin, doc in docs:
            self.check_blocks(doc, origin)
            self.check_references(doc, origin, admitted)
        self.check_gates(texts[0][0] if texts else "<text>", constraint, admitted)
        for problem, versions in self.per_schema.items():
            if len(versions) == len(self.schemas):
                self.found(problem)
                continue
            fine = [s for s in self.schemas if s["provider"] not in versions]
            hint = ""
            if m := re.search(r'unknown (?:argument|nested block) "(\w+)"', problem):
                only = "/".join(str(major(s)) for s in fine)
                hint = f"; if meant, say why in its block: #schema_check:aws{only}-only={m.group(1)}:REASON"
            self.found(f"{problem} [hashicorp/aws {', '.join(versions)}; fine in "
                       f"{', '.join(s['provider'] for s in fine)}{hint}]")
        return self.problems

    def check_blocks(self, doc: dict, origin: str) -> None:
        for kind in ("resource", "data"):
            for entry in doc.get(kind, []):
                for type_label, named in entry.items():
                    rtype = unquote(type_label)
                    if not rtype.startswith("aws_"):
                        continue
                    deprecated = DEPRECATED_IN_6.get(f"{kind}.{rtype}")
                    for name_label, body in named.items():
                        if is_meta_key(name_label):
                            continue
                        where = f"{origin}: {kind} {rtype}.{unquote(name_label)}"
                        self.checked += 1
                        if deprecated is None:
                            self.found(f"{where}: {kind}.{rtype} is not in schema_check.DEPRECATED_IN_6: "
                                       "list what AWS provider 6.x deprecates in it (often nothing)")
                        for schema in self.schemas:
                            block = schema["blocks"][kind].get(rtype)
                            if block is None:
                                self.found(f"{where}: unknown {kind} type", schema)
                                continue
                            self.check_body(body, block["config"], schema, where, "", deprecated or {})

    def check_body(self, body: dict, fqn: str, schema: dict, where: str, path: str,
                   deprecated: dict[str, str]) -> None:
        """Problems in one block body checked against the struct `fqn`; path: its dotted place."""
        props = schema["structs"][fqn]
        markers = self.markers_of(body, where)
        present = set()

        def lookup(name: str, what: str) -> dict | None:
            present.add(name)
            if f"{path}{name}" in deprecated:
                self.found(f"{where}: {what} \"{name}\" is deprecated in AWS provider 6.x: "
                           f"{deprecated[path + name]}")
            prop = props.get(name)
            marker = markers.get(name)
            if prop is None and marker and marker.only != major(schema):
                marker.excused.add(schema["provider"])
                return None
            if prop is None:
                self.found(f"{where}: unknown {what} \"{name}\"", schema)
            return prop

        for key, value in body.items():
            if is_meta_key(key):
                continue
            if key == "dynamic":
                for dyn in value:
                    for label, spec in dyn.items():
                        if is_meta_key(label):
                            continue
                        name = unquote(label)
                        prop = lookup(name, "nested block")
                        if prop and not prop["block"]:
                            self.found(f"{where}: \"{name}\" is an argument, not a block (dynamic)", schema)
                        elif prop:
                            for content in spec.get("content", []):
                                self.check_body(content, prop["block"], schema, f"{where}.{name}",
                                                f"{path}{name}.", deprecated)
                continue
            if not path and key in META_ARGUMENTS:
                continue
            prop = lookup(key, "nested block" if _is_block(value) else "argument")
            if prop and prop["block"] and _is_block(value):
                for item in value:
                    self.check_body(item, prop["block"], schema, f"{where}.{key}", f"{path}{key}.", deprecated)
        for name, prop in props.items():
            if prop["required"] and name not in present:
                self.found(f"{where}: missing required {'block' if prop['block'] else 'argument'} \"{name}\"", schema)

    def check_references(self, doc: dict, origin: str, admitted: list[dict]) -> None:
        """Attributes read through references exist in every admitted schema, and are not deprecated."""
        for text in strings(doc):
            for m in REFERENCE_RE.finditer(text):
                kind = "data" if m.group(1) else "resource"
                rtype, attr = m.group(2), m.group(5)
                ref = m.group(0)
                self.references += 1
                if attr in DEPRECATED_IN_6.get(f"{kind}.{rtype}", {}):
                    self.found(f"{origin}: {ref}: attribute \"{attr}\" is deprecated in AWS provider 6.x: "
                               f"{DEPRECATED_IN_6[kind + '.' + rtype][attr]}")
                for schema in admitted:
                    block = schema["blocks"][kind].get(rtype)
                    if block and attr not in block["attributes"]:
                        self.found(f"{origin}: {ref}: unknown attribute \"{attr}\"", schema)

    def check_gates(self, origin: str, constraint: str | None, admitted: list[dict]) -> None:
        """Markers and the required_providers constraint agree."""
        where = os.path.dirname(origin) or origin
        majors = {major(s) for s in self.schemas}
        for m in self.markers:
            label = f"{m.where}: marker aws{m.only}-only={m.name}"
            if m.only not in majors:
                self.found(f"{label}: no aws {m.only}.x schema is checked")
            elif not m.excused:
                self.found(f"{label}: every checked schema has \"{m.name}\"; remove the marker")
            for s in admitted:
                if s["provider"] in m.excused:
                    self.found(f"{label}: the constraint \"{constraint}\" admits hashicorp/aws {s['provider']}, "
                               f"which has no \"{m.name}\": narrow it")
        excluded = [s["provider"] for s in self.schemas if s not in admitted]
        if excluded and not any(m.excused for m in self.markers):
            self.found(f"{where}: the constraint \"{constraint}\" excludes hashicorp/aws {', '.join(excluded)} "
                       "but no argument says why (#schema_check:awsN-only=ARGUMENT:REASON)")


def strings(value: object):
    """Every string in a parsed HCL document (expressions are strings), comments left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if not is_meta_key(k):
                yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def check_text(text: str, schemas: list[dict], origin: str = "<text>") -> tuple[int, list[str]]:
    """(number of aws_* blocks checked, problems) for one file's HCL text, as its own directory."""
    checker = Checker(schemas)
    problems = checker.check_dir([(origin, text)])
    return checker.checked, problems


def tf_files(paths: list[str]) -> list[str]:
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "**", "*.tf"), recursive=True))
        else:
            files.append(p)
    return [f for f in files if "/.terraform/" not in f]


def main(argv: list[str]) -> int:
    quiet, schema_paths, paths = False, [], []
    args = iter(argv)
    for a in args:
        if a == "--quiet":
            quiet = True
        elif a == "--schema":
            schema_paths.append(next(args, ""))
        else:
            paths.append(a)
    schemas = load_schemas(schema_paths)
    by_dir: dict[str, list[tuple[str, str]]] = {}
    for f in tf_files(paths or ["infra/terraform"]):
        by_dir.setdefault(os.path.dirname(f), []).append((f, Path(f).read_text()))
    blocks, references, problems = 0, 0, []
    for texts in by_dir.values():
        checker = Checker(schemas)
        problems += checker.check_dir(texts)
        blocks += checker.checked
        references += checker.references
    for p in problems:
        print(f"schema_check: {p}")
    if not quiet or problems:
        print(f"schema_check: {blocks} aws_* blocks, {references} references in {len(by_dir)} directories checked "
              f"against {' and '.join(s['version'] for s in schemas)}, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
