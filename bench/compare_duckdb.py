#!/usr/bin/env python3
"""Cross-check holdfast against DuckDB on the same files, and time both.

Computes one month's customer base (S, E, N, retained, lost), retention,
churn, revenue, NPS and the ticket response/resolution medians with DuckDB
SQL, straight from kpi-spec.md, and checks that `holdfast report` gives the
same numbers. Then prints both timings and their ratio: load, one period,
and all periods (`holdfast report --period all`).

Works on files with holdfast's canonical headers, such as those written by
`holdfast sample`:

    pip install duckdb
    holdfast sample --customers 100000 --out /tmp/hf
    python3 bench/compare_duckdb.py --data /tmp/hf --period 2026-03

Exit code 1 when a number disagrees.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time


def holdfast_bin(explicit):
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(__file__), "..", "target"))
    return os.path.join(target, "release", "holdfast")


def run_holdfast(binary, data, args, cache_home=None):
    """Runs `holdfast report`: from the CSV files (no cache), or through the
    caches under `cache_home` (reopening unchanged files)."""
    cmd = [binary] + ([] if cache_home else ["--no-cache"]) + [
        "--orders", f"{data}/orders.csv", "--feedback", f"{data}/feedback.csv",
        "--tickets", f"{data}/tickets.csv", "report", "--format", "json"] + args
    env = dict(os.environ, XDG_CACHE_HOME=cache_home) if cache_home else None
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out), time.perf_counter() - t


def month_bounds(label):
    y, m = map(int, label.split("-"))
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y:04d}-{m:02d}-01", f"{ny:04d}-{nm:02d}-01"


def load(con, data):
    con.execute(f"""
        CREATE TABLE orders AS SELECT customer_id, CAST(order_date AS DATE) AS d, amount
        FROM read_csv('{data}/orders.csv', header = true, all_varchar = false)""")
    con.execute(f"""
        CREATE TABLE feedback AS SELECT customer_id, CAST(responded_at AS DATE) AS d, survey, score
        FROM read_csv('{data}/feedback.csv', header = true)""")
    con.execute(f"""
        CREATE TABLE tickets AS SELECT ticket_id, CAST(created_at AS TIMESTAMP) AS created,
            CAST(first_response_at AS TIMESTAMP) AS first_response, CAST(solved_at AS TIMESTAMP) AS solved
        FROM read_csv('{data}/tickets.csv', header = true)""")


def churn_window(con):
    """Typical cycle: nearest-rank median of pooled gaps between distinct purchase days."""
    n, cycle = con.execute("""
        WITH days AS (SELECT DISTINCT customer_id, d FROM orders WHERE amount >= 0),
        gaps AS (SELECT d - lag(d) OVER (PARTITION BY customer_id ORDER BY d) AS g FROM days),
        ranked AS (SELECT g, row_number() OVER (ORDER BY g) AS r, count(*) OVER () AS n FROM gaps WHERE g IS NOT NULL)
        SELECT max(n), max(CASE WHEN r = CAST(ceil(n / 2.0) AS BIGINT) THEN g END) FROM ranked""").fetchone()
    if n is None or n < 30:
        return 90
    return int(min(max(math.floor(3 * cycle + 0.5), 7), 730))


def nearest_rank(con, sql, p):
    return con.execute(f"""
        WITH v AS ({sql}), r AS (SELECT x, row_number() OVER (ORDER BY x) AS k, count(*) OVER () AS n FROM v)
        SELECT max(CASE WHEN k = CAST(ceil(n * {p}) AS BIGINT) THEN x END) FROM r""").fetchone()[0]


def period(con, s, e, w):
    base = lambda close: f"""SELECT DISTINCT customer_id FROM orders
        WHERE amount >= 0 AND d BETWEEN DATE '{close}' - INTERVAL {w - 1} DAY AND DATE '{close}'"""
    start_close = f"(DATE '{s}' - INTERVAL 1 DAY)"
    end_close = f"(DATE '{e}' - INTERVAL 1 DAY)"
    S, E, N, N_end, retained = con.execute(f"""
        WITH s AS (SELECT DISTINCT customer_id FROM orders WHERE amount >= 0
                   AND d BETWEEN {start_close} - INTERVAL {w - 1} DAY AND {start_close}),
             e AS (SELECT DISTINCT customer_id FROM orders WHERE amount >= 0
                   AND d BETWEEN {end_close} - INTERVAL {w - 1} DAY AND {end_close}),
             first AS (SELECT customer_id, min(d) AS f FROM orders WHERE amount >= 0 GROUP BY customer_id),
             n AS (SELECT customer_id FROM first WHERE f >= DATE '{s}' AND f < DATE '{e}')
        SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM e), (SELECT count(*) FROM n),
               (SELECT count(*) FROM n JOIN e USING (customer_id)),
               (SELECT count(*) FROM s JOIN e USING (customer_id))""").fetchone()
    revenue = con.execute(f"SELECT coalesce(sum(amount), 0) FROM orders WHERE d >= DATE '{s}' AND d < DATE '{e}'").fetchone()[0]
    promoters, detractors, responses = con.execute(f"""
        SELECT count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score <= 6), count(*)
        FROM feedback WHERE survey = 'nps' AND d >= DATE '{s}' AND d < DATE '{e}'""").fetchone()
    frt = nearest_rank(con, f"""SELECT epoch(first_response - created) / 3600.0 AS x FROM tickets
        WHERE first_response IS NOT NULL AND CAST(created AS DATE) >= DATE '{s}' AND CAST(created AS DATE) < DATE '{e}'""", 0.5)
    res = nearest_rank(con, f"""SELECT epoch(solved - created) / 3600.0 AS x FROM tickets
        WHERE solved IS NOT NULL AND CAST(solved AS DATE) >= DATE '{s}' AND CAST(solved AS DATE) < DATE '{e}'""", 0.5)
    lost = S - retained
    return {
        "customers.start": S, "customers.end": E, "customers.new": N, "customers.retained": retained, "customers.lost": lost,
        "retention_rate": (E - N_end) / S * 100 if S else None,
        "churn_rate": lost / S * 100 if S else None,
        "revenue": float(revenue),
        "nps.score": (promoters - detractors) / responses * 100 if responses else None,
        "tickets.first_response_hours.median": frt,
        "tickets.resolution_hours.median": res,
    }


def pick(report, key):
    v = report
    for part in key.split("."):
        v = v[part]
    return v


def agree(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with orders.csv, feedback.csv, tickets.csv")
    ap.add_argument("--period", required=True, help="a month label, e.g. 2026-03")
    ap.add_argument("--holdfast", help="the holdfast binary (default: target/release/holdfast)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs; the median is reported")
    args = ap.parse_args()
    import duckdb

    binary = holdfast_bin(args.holdfast)
    if not os.path.isfile(binary):
        sys.exit(f"no holdfast binary at {binary}: run `cargo build --release` "
                 "(with the same CARGO_TARGET_DIR) or pass --holdfast PATH")
    s, e = month_bounds(args.period)
    timings = {"load": [], "one period": [], "all periods": [], "reopen, one period": []}
    hf_timings = {"one period": [], "all periods": [], "reopen, one period": []}
    failures = 0
    # Reopening: DuckDB opens a database file it loaded before; holdfast
    # reads its caches (filled by a first run).
    import tempfile
    scratch = tempfile.mkdtemp(prefix="hf-compare-")
    db = os.path.join(scratch, "compare.duckdb")
    con = duckdb.connect(db)
    load(con, args.data)
    con.close()
    cached_report, _ = run_holdfast(binary, args.data, ["--period", args.period], cache_home=scratch)
    for run in range(args.runs):
        t = time.perf_counter()
        con = duckdb.connect(db, read_only=True)
        period(con, s, e, churn_window(con))
        con.close()
        timings["reopen, one period"].append(time.perf_counter() - t)
        again, took = run_holdfast(binary, args.data, ["--period", args.period], cache_home=scratch)
        hf_timings["reopen, one period"].append(took)
        if again != cached_report:
            print("BAD the report through the cache differs between runs")
            failures += 1
        con = duckdb.connect()
        t = time.perf_counter()
        load(con, args.data)
        timings["load"].append(time.perf_counter() - t)
        t = time.perf_counter()
        w = churn_window(con)
        ours = period(con, s, e, w)
        timings["one period"].append(time.perf_counter() - t)
        months = [r[0] for r in con.execute("""SELECT DISTINCT strftime(d, '%Y-%m') FROM orders ORDER BY 1""").fetchall()]
        t = time.perf_counter()
        for m in months:
            period(con, *month_bounds(m), w)
        timings["all periods"].append(time.perf_counter() - t)
        report, took = run_holdfast(binary, args.data, ["--period", args.period])
        hf_timings["one period"].append(took)
        _, took = run_holdfast(binary, args.data, ["--period", "all", "--granularity", "month"])
        hf_timings["all periods"].append(took)
        if run == 0:
            if report != cached_report:
                print("BAD the report through the cache differs from the one from the CSV files")
                failures += 1
            if report["churn_window_days"] != w:
                print(f"churn window: duckdb {w}, holdfast {report['churn_window_days']}")
                failures += 1
            for key, value in ours.items():
                theirs = pick(report, key)
                ok = agree(value, theirs)
                failures += not ok
                print(f"{'ok ' if ok else 'BAD'} {key:40} duckdb {value!s:>22} holdfast {theirs!s:>22}")
    med = lambda v: sorted(v)[len(v) // 2]
    print()
    print(f"{'':24}{'duckdb':>12}{'holdfast':>12}{'ratio':>9}")
    print(f"{'load (duckdb only)':24}{med(timings['load']):>11.2f}s")
    for k in ["one period", "all periods"]:
        # holdfast's figures include loading the files, so DuckDB's load is added to its side.
        d = med(timings["load"]) + med(timings[k])
        h = med(hf_timings[k])
        print(f"{k + ' (with load)':24}{d:>11.2f}s{h:>11.2f}s{h / d:>9.2f}")
    d, h = med(timings["reopen, one period"]), med(hf_timings["reopen, one period"])
    print(f"{'reopen, one period':24}{d:>11.2f}s{h:>11.2f}s{h / d:>9.2f}")
    import shutil
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
