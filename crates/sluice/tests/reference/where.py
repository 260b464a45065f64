"""DuckDB as the oracle of `sluice filter --where/--select` (cli_where.rs).

usage: where.py CASES.jsonl

Each line of CASES names a generated CSV file, a WHERE condition in
DuckDB's SQL (translated from the --where expression by the test, with
our rules spelt out: text compared as text, numbers as exact decimals,
false when a cell is no number), the columns selected, and sluice's
projected output. Every column is read as text. Prints one JSON line per
case: {"i": n, "duck": rows, "ours": rows}, rows being lists of strings.
"""

import csv
import io
import json
import sys

import duckdb


def main():
    con = duckdb.connect()
    loaded = {}
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = [json.loads(line) for line in f]
    for i, case in enumerate(cases):
        path = case["file"]
        if path not in loaded:
            name = f"t{len(loaded)}"
            con.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar=true, header=true,"
                " quote='\"', escape='\"', delim=',', auto_detect=false, columns=?)",
                [path, {c: "VARCHAR" for c in case["columns"]}],
            )
            loaded[path] = name
        cols = ", ".join(f"coalesce(\"{c}\", '')" for c in case["select"])
        sql = f"SELECT {cols} FROM {loaded[path]} WHERE {case['where']} ORDER BY CAST(id AS INT)"
        duck = [list(r) for r in con.execute(sql).fetchall()]
        ours = list(csv.reader(io.StringIO(case["ours"], newline="")))[1:]
        print(json.dumps({"i": i, "duck": duck, "ours": ours}))


if __name__ == "__main__":
    main()
