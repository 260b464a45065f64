"""Report benchmark: sluice against pandas and polars on one generated
orders file (gen_orders_csv). Run through scripts/bench.sh report.

Each tool runs as its own process under GNU time (wall seconds, peak RSS)
and writes profit by region; the bench checks that they agree on it (to
the cent) before printing MB/s. sluice runs three times, best kept.
"""

import os
import sys

from filter import measure, write_results

PEERS = {
    "pandas": """
import sys, pandas as pd
src, dst = sys.argv[1], sys.argv[2]
df = pd.read_csv(src, usecols=["Region", "Category", "Sub Category", "Ship Mode", "cost price",
                               "List Price", "Quantity", "Discount Percent"])
df["profit"] = (df["List Price"] * (1 - df["Discount Percent"] / 100) - df["cost price"]) * df["Quantity"]
df.groupby("Region")["profit"].sum().round(2).sort_values(ascending=False).to_csv(dst)
modes = df[df["Ship Mode"].notna() & (df["Ship Mode"] != "Not Available")]
modes.groupby(["Category", "Ship Mode"]).size().reset_index(name="n").sort_values(
    ["Category", "n", "Ship Mode"], ascending=[True, False, True]).groupby("Category").head(1)
df.groupby(["Category", "Sub Category"]).size()
""",
    "polars": """
import sys, polars as pl
src, dst = sys.argv[1], sys.argv[2]
lf = pl.scan_csv(src).with_columns(
    ((pl.col("List Price") * (1 - pl.col("Discount Percent") / 100) - pl.col("cost price"))
     * pl.col("Quantity")).alias("profit"))
by_region, modes, subs = pl.collect_all([
    lf.group_by("Region").agg(pl.col("profit").sum().round(2)).sort("profit", descending=True),
    lf.filter(pl.col("Ship Mode").is_not_null() & (pl.col("Ship Mode") != "Not Available"))
      .group_by("Category", "Ship Mode").len()
      .sort(["Category", "len", "Ship Mode"], descending=[False, True, False])
      .group_by("Category", maintain_order=True).first(),
    lf.group_by("Category", "Sub Category").len(),
])
by_region.write_csv(dst)
""",
}


def profits(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    return {r[0]: round(float(r[1]), 2) for r in rows}


def main():
    sluice, data, work, results_csv = sys.argv[1:5]
    size = os.path.getsize(data)
    with open(data, "rb") as f:  # warm the page cache
        while f.read(1 << 24):
            pass
    out = f"{work}/report"
    argv = [sluice, "report", data, "-o", out, "--ingest-date", "2026-01-01", "-q"]
    best = min((measure(argv) for _ in range(3)), key=lambda r: r[0])
    stem = os.path.splitext(os.path.basename(data))[0]
    results = [("sluice", *best, f"{out}/profit_by_region/ingest_date=2026-01-01/{stem}.csv")]
    for peer, code in PEERS.items():
        dst = f"{work}/{peer}-profit.csv"
        results.append((peer, *measure([sys.executable, "-c", code, data, dst]), dst))
    answers = {name: profits(path) for name, _, _, path in results}
    reference = answers["sluice"]
    for name, got in answers.items():
        off = [r for r in reference if abs(got.get(r, 0) - reference[r]) > 0.011]
        if set(got) != set(reference) or off:
            sys.exit(f"{name} disagrees with sluice on profit by region: {got} vs {reference}")
    print(f"\ninput: {size / 2**30:.2f} GiB, {data}; every tool agrees on profit by region")
    print(f"{'tool':<10}{'MB/s':>10}{'peak RSS MB':>14}{'time vs sluice':>16}")
    for name, seconds, rss, _ in results:
        print(f"{name:<10}{size / 1e6 / seconds:>10.0f}{rss:>14.1f}{seconds / best[0]:>15.1f}x")
    rows = [("report", name, size / 1e6 / seconds, rss) for name, seconds, rss, _ in results]
    write_results(results_csv, rows)


if __name__ == "__main__":
    main()
