#!/usr/bin/env python3
"""Typed Parquet and a Hive-partitioned Parquet dataset against the CSV.

Writes, with DuckDB, the orders of a `holdfast sample` folder as one typed
Parquet file (order_date DATE, amount DOUBLE) and as a dataset partitioned by
year (`orders_ds/year=2024/data_0.parquet`, as `COPY … (PARTITION_BY …)`
writes it), then runs `holdfast --no-cache report` on the CSV, the file and
the dataset: the three reports must be identical (exit 1 otherwise), and the
times (median of --runs) are printed beside DuckDB reading the same Parquet.

    pip install duckdb
    holdfast sample --customers 1000000 --out /tmp/hf1m
    python3 bench/parquet.py --data /tmp/hf1m --period 2026-03
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def holdfast_bin(explicit):
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(__file__), "..", "target"))
    return os.path.join(target, "release", "holdfast")


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with orders.csv (holdfast sample)")
    ap.add_argument("--period", required=True, help="a month label, e.g. 2026-03")
    ap.add_argument("--holdfast", help="the holdfast binary (default: target/release/holdfast)")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import duckdb

    csv = os.path.join(args.data, "orders.csv")
    pq = os.path.join(args.data, "orders.parquet")
    ds = os.path.join(args.data, "orders_ds")
    con = duckdb.connect()
    if not os.path.exists(pq):
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{pq}' (FORMAT parquet)")
    if not os.path.exists(ds):
        con.execute(
            f"COPY (SELECT *, year(order_date) AS year FROM read_csv('{csv}')) "
            f"TO '{ds}' (FORMAT parquet, PARTITION_BY (year))"
        )
    binary = holdfast_bin(args.holdfast)
    results = {}
    for name, path in [("csv", csv), ("parquet", pq), ("dataset", ds)]:
        times, out = [], None
        for _ in range(args.runs):
            out, t = timed([binary, "--no-cache", "--orders", path, "report", "--format", "json",
                            "--period", args.period])
            times.append(t)
        results[name] = (json.loads(out), statistics.median(times))
    duck = []
    for _ in range(args.runs):
        t = time.perf_counter()
        c = duckdb.connect()
        c.execute(f"CREATE TABLE o AS SELECT customer_id, order_date, amount FROM '{pq}'")
        c.execute("SELECT count(DISTINCT customer_id), sum(amount) FROM o").fetchall()
        duck.append(time.perf_counter() - t)
    duck = statistics.median(duck)
    base = results["csv"][0]
    ok = True
    for name in ("parquet", "dataset"):
        report = results[name][0]
        # Everything but the data-quality block (file names and formats differ).
        strip = lambda r: {k: v for k, v in r.items() if k != "data_quality"}
        if strip(report) != strip(base):
            ok = False
            print(f"{name}: the report differs from the CSV's", file=sys.stderr)
    print(f"{'orders from':<12}{'holdfast':>10}{'vs CSV':>9}")
    for name in ("csv", "parquet", "dataset"):
        t = results[name][1]
        print(f"{name:<12}{t:>9.2f}s{t / results['csv'][1]:>9.2f}")
    print(f"DuckDB reading the Parquet and one aggregate: {duck:.2f}s "
          f"(holdfast/DuckDB on Parquet: {results['parquet'][1] / duck:.1f}×)")
    print("reports identical" if ok else "REPORTS DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
