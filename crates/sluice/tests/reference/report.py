"""Differential reference for `sluice report`, computed with pandas.

    report.py gen SEED ROWS FILE.csv      writes a random orders file
    report.py check FILE.csv OUT_DIR STEM DATE
        computes the three reports and the rejected line numbers with
        pandas and compares them with what sluice wrote under OUT_DIR;
        prints every difference and exits 1 if there is any.
"""
import csv
import random
import sys

COLUMNS = ["Order Id", "Order Date", "Ship Mode", "Segment", "Country", "City", "State",
           "Postal Code", "Region", "Category", "Sub Category", "Product Id", "cost price",
           "List Price", "Quantity", "Discount Percent"]


def gen(seed, rows, path):
    rng = random.Random(seed)
    regions = ["West", "East", "Central", "South", 'North "Upper"', "Île-de-France"]
    cats = {"Furniture": ["Chairs", "Tables", "Book, cases"],
            "Office Supplies": ["Paper", "Art", "Binders"],
            "Tech \"Pro\"": ["Phones", "Copiers"]}
    modes = ["Standard Class", "Second Class", "First Class", "Same Day",
             "Not Available", "not available", ""]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        # Columns in another order than the default, plus an unused one.
        order = COLUMNS[::-1]
        w.writerow(order)
        for i in range(rows):
            cat = rng.choice(list(cats))
            row = {
                "Order Id": f"CA-{i}", "Order Date": "2023-09-05",
                "Ship Mode": rng.choice(modes), "Segment": "Consumer",
                "Country": "United States", "City": rng.choice(["Austin", "Washington, D.C."]),
                "State": "TX", "Postal Code": "78701", "Region": rng.choice(regions),
                "Category": cat, "Sub Category": rng.choice(cats[cat]),
                "Product Id": f"P-{rng.randrange(1000)}",
                "cost price": money(rng, 1, 900), "List Price": money(rng, 1, 1000),
                "Quantity": str(rng.randrange(1, 12)),
                "Discount Percent": rng.choice(["0", "2", "5", "7.5", "10", "12.25"]),
            }
            bad = rng.random()
            if bad < 0.01:
                row["List Price"] = rng.choice(["n/a", "12,5", "$4", "1.2.3"])
            elif bad < 0.02:
                row["Region"] = ""
            elif bad < 0.025:
                row["Quantity"] = ""
            w.writerow([row[c] for c in order])


def money(rng, low, high):
    cents = rng.randrange(low * 100, high * 100)
    return str(cents // 100) if rng.random() < 0.5 else f"{cents / 100:.2f}"


def check(path, out, stem, date):
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    nums = {c: pd.to_numeric(df[c], errors="coerce")
            for c in ["cost price", "List Price", "Quantity", "Discount Percent"]}
    ok = pd.concat(nums, axis=1).notna().all(axis=1)
    for c in ["Region", "Category", "Sub Category"]:
        ok &= df[c].str.strip() != ""
    good = df[ok].copy()
    for c, v in nums.items():
        good[c] = v[ok]
    good["profit"] = (good["List Price"] * (1 - good["Discount Percent"] / 100)
                      - good["cost price"]) * good["Quantity"]
    problems = []

    by_region = good.groupby("Region").agg(profit=("profit", "sum"), orders=("profit", "size"))
    by_region = by_region.reset_index().sort_values(["profit", "Region"], ascending=[False, True])
    got = read(out, "profit_by_region", stem, date, problems)
    expect_header(got, ["region", "profit", "orders"], problems)
    want = list(by_region.itertuples(index=False))
    if len(got) - 1 != len(want):
        problems.append(f"profit_by_region: {len(got) - 1} rows, pandas has {len(want)}")
    for g, w in zip(got[1:], want):
        if g[0] != w.Region or int(g[2]) != w.orders or abs(float(g[1]) - w.profit) > 0.0051:
            problems.append(f"profit_by_region: sluice {g}, pandas {list(w)}")

    modes = good[~good["Ship Mode"].str.strip().str.lower().isin(["", "not available"])]
    counts = modes.groupby(["Category", "Ship Mode"]).size().reset_index(name="orders")
    counts = counts.sort_values(["Category", "orders", "Ship Mode"], ascending=[True, False, True])
    top = counts.groupby("Category").head(1)
    want = {c: [c, m, str(n)] for c, m, n in top.itertuples(index=False, name=None)}
    for cat in good["Category"].unique():
        want.setdefault(cat, [cat, "", "0"])
    got = read(out, "top_ship_mode_by_category", stem, date, problems)
    expect_header(got, ["category", "ship_mode", "orders"], problems)
    if got[1:] != [want[c] for c in sorted(want)]:
        problems.append(f"top_ship_mode_by_category: sluice {got[1:]}, pandas {sorted(want.values())}")

    subs = good.groupby(["Category", "Sub Category"]).size().reset_index(name="orders")
    want = [[c, s, str(n)] for c, s, n in subs.itertuples(index=False, name=None)]
    got = read(out, "orders_by_category", stem, date, problems)
    expect_header(got, ["category", "sub_category", "orders"], problems)
    if got[1:] != sorted(want):
        problems.append(f"orders_by_category: sluice {got[1:]}, pandas {sorted(want)}")

    bad_lines = [str(i + 2) for i in df.index[~ok]]
    got = read(out, "_rejects", stem, date, problems, report_dir=False)
    if [r[0] for r in got[1:]] != bad_lines:
        problems.append(f"rejects: sluice lines {[r[0] for r in got[1:]]}, pandas {bad_lines}")

    for p in problems:
        print(p)
    print(f"{len(df)} rows, {len(good)} used, {len(bad_lines)} rejected; {len(problems)} differences")
    sys.exit(1 if problems else 0)


def read(out, name, stem, date, problems, report_dir=True):
    path = f"{out}/{name}/ingest_date={date}/{stem}.csv"
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.reader(f))
    except OSError as e:
        problems.append(f"{name}: {e}")
        return [[]]


def expect_header(rows, header, problems):
    if rows[0] != header:
        problems.append(f"header {rows[0]}, expected {header}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    else:
        check(*sys.argv[2:6])
