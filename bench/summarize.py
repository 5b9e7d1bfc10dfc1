#!/usr/bin/env python3
"""Turn the wrk outputs of one bench/run.sh run into a Markdown table of medians and the target ratios.

Usage: bench/summarize.py RESULTS_DIR

RESULTS_DIR holds one file per wrk run, named TARGET.ROUTE.ROUND.txt (as bench/run.sh writes them).
Prints the table on stdout. Exits 1 when a run is missing figures or had socket errors or non-2xx answers.
"""

import re
import statistics
import sys
from pathlib import Path

# The order the table lists the targets in, and what each is.
TARGETS = {
    "upstream": "upstream direct (hyper)",
    "axum-bare": "axum, bare",
    "axum-layer": "axum + CookieWardenLayer (fora.toml)",
    "proxy": "cookie-warden proxy (fora.toml)",
    "proxy-quiet": "cookie-warden proxy, RUST_LOG=error",
    "nginx-plain": "nginx reverse proxy, plain",
    "nginx-flags": "nginx + proxy_cookie_flags",
}
ROUTES = ["set-cookies", "plain"]

# (label, numerator target, denominator target, route, req/s at least, p99 ratio at most)
RATIOS = [
    ("layer / bare axum, 4 Set-Cookie", "axum-layer", "axum-bare", "set-cookies", 0.97, 1.05),
    ("layer / bare axum, no Set-Cookie", "axum-layer", "axum-bare", "plain", 0.97, 1.05),
    ("proxy / nginx+flags, 4 Set-Cookie", "proxy", "nginx-flags", "set-cookies", 1.0, 1.0),
    ("proxy / nginx plain, no Set-Cookie", "proxy", "nginx-plain", "plain", 1.0, None),
    ("proxy / nginx plain, 4 Set-Cookie", "proxy", "nginx-plain", "set-cookies", None, None),
    ("quiet proxy / proxy, 4 Set-Cookie", "proxy-quiet", "proxy", "set-cookies", None, None),
    ("nginx+flags / nginx plain, 4 Set-Cookie", "nginx-flags", "nginx-plain", "set-cookies", None, None),
    ("nginx plain / upstream, no Set-Cookie", "nginx-plain", "upstream", "plain", None, None),
]

UNITS_US = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0, "m": 60_000_000.0}


def to_us(text):
    """'1.23ms' -> 1230.0"""
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * UNITS_US[match.group(2)]


def parse_wrk(path):
    """One wrk --latency output -> dict(rps, p50_us, p99_us, errors) (errors: a list of what went wrong)."""
    text = path.read_text()
    run = {"errors": []}
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", text, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    if not (rps and p50 and p99):
        run["errors"].append(f"{path.name}: no req/s or percentiles in the wrk output")
        return run
    run["rps"] = float(rps.group(1))
    run["p50_us"] = to_us(p50.group(1))
    run["p99_us"] = to_us(p99.group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if non2xx:
        run["errors"].append(f"{path.name}: {non2xx.group(1)} non-2xx/3xx responses")
    sock = re.search(r"Socket errors:(.*)", text)
    if sock:
        run["errors"].append(f"{path.name}: socket errors:{sock.group(1)}")
    return run


def fmt_rps(value):
    return f"{value:,.0f}"


def fmt_us(value):
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} µs"


def spread(values, fmt):
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    results = Path(argv[1])
    runs = {}  # (target, route) -> {round: run}
    errors = []
    for path in sorted(results.glob("*.*.*.txt")):
        target, route, round_ = path.name[: -len(".txt")].rsplit(".", 2)
        run = parse_wrk(path)
        errors.extend(run["errors"])
        if "rps" in run:
            runs.setdefault((target, route), {})[int(round_)] = run
    if not runs:
        print(f"no wrk outputs (TARGET.ROUTE.ROUND.txt) in {results}", file=sys.stderr)
        return 1

    rounds = max(len(by_round) for by_round in runs.values())
    print(f"Medians of {rounds} rounds, (min–max) across rounds.\n")
    print("| target | route | req/s | p50 | p99 |")
    print("|---|---|---:|---:|---:|")
    for target, label in TARGETS.items():
        for route in ROUTES:
            by_round = runs.get((target, route))
            if not by_round:
                continue
            cell = lambda key, fmt: spread([run[key] for run in by_round.values()], fmt)  # noqa: E731
            print(
                f"| {label} | /{route} | {cell('rps', fmt_rps)} | {cell('p50_us', fmt_us)} "
                f"| {cell('p99_us', fmt_us)} |"
            )

    print("\nRatios: of the medians, and (min–max) of the per-round ratios (runs of one round are adjacent).\n")
    print("| ratio | req/s | target | p99 | target | met |")
    print("|---|---:|---:|---:|---:|---|")
    for label, num, den, route, rps_min, p99_max in RATIOS:
        a, b = runs.get((num, route)), runs.get((den, route))
        if not a or not b:
            continue
        common = sorted(set(a) & set(b))
        rps_ratio = statistics.median(r["rps"] for r in a.values()) / statistics.median(
            r["rps"] for r in b.values()
        )
        p99_ratio = statistics.median(r["p99_us"] for r in a.values()) / statistics.median(
            r["p99_us"] for r in b.values()
        )
        per_rps = [a[i]["rps"] / b[i]["rps"] for i in common]
        per_p99 = [a[i]["p99_us"] / b[i]["p99_us"] for i in common]
        met = []
        if rps_min is not None:
            met.append("req/s yes" if rps_ratio >= rps_min else "req/s NO")
        if p99_max is not None:
            met.append("p99 yes" if p99_ratio <= p99_max else "p99 NO")
        print(
            f"| {label} | {rps_ratio:.3f} ({min(per_rps):.3f}–{max(per_rps):.3f}) "
            f"| {'≥ ' + format(rps_min, '.2f') if rps_min is not None else '—'} "
            f"| {p99_ratio:.3f} ({min(per_p99):.3f}–{max(per_p99):.3f}) "
            f"| {'≤ ' + format(p99_max, '.2f') if p99_max is not None else '—'} "
            f"| {', '.join(met) if met else '—'} |"
        )

    if errors:
        print("\nRuns with errors (their figures are not to be trusted):\n")
        for error in errors:
            print(f"- {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
