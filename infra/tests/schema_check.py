#!/usr/bin/env python3
"""Offline stand-in for `terraform validate`: check aws_* blocks against the provider schema.

`terraform validate` needs the AWS provider binary, which cannot be downloaded here. The
provider's schema also ships inside PyPI's `cdktf-cdktf-provider-aws` package, as a jsii
assembly (`_jsii/*.jsii.tgz`). In it:

* every resource or data source is a class based on `cdktf.TerraformResource` or
  `cdktf.TerraformDataSource`, whose docs summary links its registry page
  ("Represents a {@link .../docs/resources/s3_bucket aws_s3_bucket}");
* the class's initializer takes a `config` of a struct type (`...S3BucketConfig`), whose
  properties are the arguments and nested blocks, `optional` or not;
* each property's docs link its Terraform name ("...#acceleration_status S3Bucket#..."),
  which we use rather than converting camelCase (cdktf renames a few, e.g. reserved words);
* a property typed as another struct, or a list of structs, is a nested block.

For every `resource "aws_*"` and `data "aws_*"` block in the given .tf files this checks
that each argument and nested block (static or `dynamic`) exists, recursively, and that
required arguments and blocks are present. Expressions are not type-checked.

Usage: schema_check.py [--quiet] PATH...   (directories are searched for *.tf)
Exit status 1 when any problem is found. The digested schema is cached as JSON.
"""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
import sys
import tarfile
from pathlib import Path

import hcl2  # python-hcl2 (installed beside the venv by run.sh; see there)

META_ARGUMENTS = {"count", "for_each", "depends_on", "lifecycle", "provider", "provisioner", "connection"}
# Properties of cdktf's TerraformMetaArguments; never provider arguments.
CDKTF_BASE = {"connection", "count", "dependsOn", "forEach", "lifecycle", "provider", "provisioners"}
BLOCK_KINDS = {"cdktf.TerraformResource": "resource", "cdktf.TerraformDataSource": "data"}
SUMMARY_RE = re.compile(r"docs/(?:resources|data-sources)/\w+ (aws_\w+)\}")
ANCHOR_RE = re.compile(r"#(\w+) \w+#")
CACHE_DIR = Path(os.environ.get("SLUICE_SCHEMA_CACHE", Path.home() / ".cache" / "sluice-venv-infra"))


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


def build_schema(jsii_tgz: Path) -> dict:
    with tarfile.open(jsii_tgz) as tar:
        assembly = json.load(tar.extractfile("package/.jsii"))
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
        blocks[kind][m.group(1)] = config
    provider = re.search(r"hashicorp/aws/(\d+\.\d+\.\d+)", json.dumps(assembly.get("readme", "")))
    version = f"hashicorp/aws {provider.group(1) if provider else '?'} (cdktf {assembly['version']})"
    return {"version": version, "blocks": blocks, "structs": structs}


def load_schema() -> dict:
    spec = importlib.util.find_spec("cdktf_cdktf_provider_aws")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("schema_check: cdktf-cdktf-provider-aws is not installed (run infra/tests/run.sh)")
    pkg = Path(list(spec.submodule_search_locations)[0])
    tgz = sorted(pkg.glob("_jsii/*.jsii.tgz"))[0]
    cache = CACHE_DIR / f"aws-schema-v1-{tgz.name}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    schema = build_schema(tgz)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(schema))
    tmp.replace(cache)
    return schema


def unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


def is_meta_key(key: str) -> bool:
    return key.startswith("__") and key.endswith("__")


def check_body(body: dict, fqn: str, schema: dict, where: str, top: bool) -> list[str]:
    """Problems in one block body checked against the struct `fqn`."""
    props = schema["structs"][fqn]
    problems = []
    present = set()
    for key, value in body.items():
        if is_meta_key(key):
            continue
        if key == "dynamic":
            for dyn in value:
                for label, spec in dyn.items():
                    name = unquote(label)
                    present.add(name)
                    prop = props.get(name)
                    if not prop or not prop["block"]:
                        problems.append(f"{where}: unknown nested block \"{name}\" (dynamic)")
                        continue
                    for content in spec.get("content", []):
                        problems += check_body(content, prop["block"], schema, f"{where}.{name}", False)
            continue
        if top and key in META_ARGUMENTS:
            continue
        prop = props.get(key)
        present.add(key)
        if prop is None:
            kind = "nested block" if _is_block(value) else "argument"
            problems.append(f"{where}: unknown {kind} \"{key}\"")
            continue
        if prop["block"] and _is_block(value):
            for item in value:
                problems += check_body(item, prop["block"], schema, f"{where}.{key}", False)
    for name, prop in props.items():
        if prop["required"] and name not in present:
            problems.append(f"{where}: missing required {'block' if prop['block'] else 'argument'} \"{name}\"")
    return problems


def _is_block(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and v.get("__is_block__") for v in value)


def check_text(text: str, schema: dict, origin: str = "<text>") -> tuple[int, list[str]]:
    """(number of aws_* blocks checked, problems) for one file's HCL text."""
    doc = hcl2.loads(text)
    checked, problems = 0, []
    for kind in ("resource", "data"):
        for entry in doc.get(kind, []):
            for type_label, named in entry.items():
                rtype = unquote(type_label)
                if not rtype.startswith("aws_"):
                    continue
                for name_label, body in named.items():
                    if is_meta_key(name_label):
                        continue
                    where = f"{origin}: {kind} {rtype}.{unquote(name_label)}"
                    checked += 1
                    fqn = schema["blocks"][kind].get(rtype)
                    if fqn is None:
                        problems.append(f"{where}: unknown {kind} type in provider {schema['version']}")
                        continue
                    problems += check_body(body, fqn, schema, where, True)
    return checked, problems


def tf_files(paths: list[str]) -> list[str]:
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "**", "*.tf"), recursive=True))
        else:
            files.append(p)
    return [f for f in files if "/.terraform/" not in f]


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    paths = [a for a in argv if a != "--quiet"] or ["infra/terraform"]
    schema = load_schema()
    total, problems = 0, []
    for f in tf_files(paths):
        n, p = check_text(Path(f).read_text(), schema, f)
        total += n
        problems += p
    for p in problems:
        print(f"schema_check: {p}")
    if not quiet or problems:
        print(f"schema_check: {total} aws_* blocks checked against provider schema {schema['version']}, "
              f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
