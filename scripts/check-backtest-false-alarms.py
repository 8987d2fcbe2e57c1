#!/usr/bin/env python3
"""An independent measurement of the judge's no-change false-alarm rate, to set beside
`canary-judge backtest`'s figure (run from the repository root, after `cargo build --release`).

Draws 1000 pairs of non-overlapping 60-point windows from the healthy first 556 rows of
fixtures/nab/ec2_request_latency_system_failure.csv with Python's own RNG, judges them with
`canary-judge judge --jsonl`, and prints the share that did not pass with its standard error.
"""
import csv
import json
import random
import subprocess

rows = list(csv.reader(open("fixtures/nab/ec2_request_latency_system_failure.csv")))[1:557]
values = [float(r[1]) for r in rows]
config = json.load(open("fixtures/replay/nab-latency-config.json"))
random.seed(7)
w = 60
lines = []
for _ in range(1000):
    a = random.randrange(0, len(values) - 2 * w + 1)
    b = a + w + random.randrange(0, len(values) - a - 2 * w + 1)
    lines.append(json.dumps({
        "canaryConfig": config,
        "scoreThresholds": {"pass": 95, "marginal": 75},
        "metricSetPairList": [{"name": "latency", "values": {"control": values[a:a + w], "experiment": values[b:b + w]}}],
    }))
out = subprocess.run(["target/release/canary-judge", "judge", "--jsonl"], input="\n".join(lines),
                     capture_output=True, text=True, check=True).stdout
results = [json.loads(line) for line in out.splitlines()]
bad = sum(1 for r in results if r["score"]["classification"] != "Pass")
n = len(results)
p = bad / n
print(f"judge --jsonl on {n} no-change splits: {bad} not Pass = {100 * p:.1f}% ± {100 * (p * (1 - p) / n) ** 0.5:.1f}%")
