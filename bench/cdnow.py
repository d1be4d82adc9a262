#!/usr/bin/env python3
"""Fits BG/NBD on the CDNOW 1/10 sample with holdfast and prints the
parameters next to the published ones (Fader, Hardie & Lee 2005).

    python3 bench/cdnow.py [path/to/holdfast]

Downloads the sample from PyPI (the lifetimes 0.11.3 wheel carries it) with
`pip download --no-deps lifetimes==0.11.3`, into a temporary folder. It also
recomputes P(alive) and the expected purchases of every customer from the
published summary (frequency, recency, T) with the fitted parameters, by
the formulas of kpi-spec §4.13 (mpmath's hyp2f1 when installed), and checks
holdfast's totals against them.
"""
import json
import math
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}


def main():
    exe = sys.argv[1] if len(sys.argv) > 1 else "target/release/holdfast"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "lifetimes==0.11.3", "-d", tmp],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            sample = Path(tmp) / "CDNOW_sample.txt"
            sample.write_bytes(z.read("lifetimes/datasets/CDNOW_sample.txt"))
            summary = z.read("lifetimes/datasets/cdnow_customers_summary.csv").decode()
        out = subprocess.run(
            [exe, "--no-cache", "--orders", str(sample), "report", "--period", "1997-Q3", "--format", "json"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    fit = json.loads(out)["predicted"]
    print(f"{'':16}{'holdfast':>14}{'published':>12}")
    ok = True
    for k, want in PUBLISHED.items():
        got = fit[k]
        same = got is not None and f"{got:.3g}" == f"{want:.3g}"
        ok &= same
        print(f"{k:16}{got:>14.4f}{want:>12}{'' if same else '   ✗'}")
    print(f"{'customers':16}{fit['customers']:>14}{2357:>12}")
    ok &= fit["customers"] == 2357
    # Totals from the published summary with holdfast's parameters.
    r, alpha, a, b = fit["r"], fit["alpha"], fit["a"], fit["b"]
    try:
        from mpmath import hyp2f1
    except ImportError:
        hyp2f1 = None
    active = purchases = 0.0
    rows = summary.strip().splitlines()[1:]
    for line in rows:
        _, x, tx, T = line.split(",")
        x, tx, T = int(x), float(tx), float(T)
        odds = a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x) if x > 0 else 0.0
        active += 1 / (1 + odds)
        if hyp2f1 is not None:
            t = 92 / 7  # the quarter's 92 days, in weeks
            h = float(hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
            e = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * h) / (1 + odds)
            purchases += e
    # The summary rounds t_x and T to 0.01 week: agreement to 1e-3 relative.
    print(f"{'expected_active':16}{fit['expected_active']:>14.2f}{active:>12.2f}  (from the summary)")
    ok &= math.isclose(fit["expected_active"], active, rel_tol=1e-3)
    if hyp2f1 is not None:
        print(f"{'expected_purch.':16}{fit['expected_purchases']:>14.2f}{purchases:>12.2f}  (from the summary)")
        ok &= math.isclose(fit["expected_purchases"], purchases, rel_tol=1e-3)
    print("agree" if ok else "DIFFER")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
