#!/usr/bin/env python3
"""Writes a year-scale replay input: METRICS metrics x 2 sides of 1-minute data, as CSV
(`epoch_seconds,value`), plus a canary config naming them, and prints the replay command.

Both sides are the same healthy process (seeded Gaussian noise around a daily cycle), so every
judgement should pass; the point is the time and memory of the replay.

    python3 scripts/make-year-replay.py OUT_DIR [METRICS] [DAYS]
"""
import json
import math
import os
import random
import sys

out = sys.argv[1]
metrics = int(sys.argv[2]) if len(sys.argv) > 2 else 100
days = int(sys.argv[3]) if len(sys.argv) > 3 else 365
start = 1767225600  # 2026-01-01T00:00:00Z
points = days * 24 * 60
os.makedirs(out, exist_ok=True)
rng = random.Random(1)
specs = []
for m in range(metrics):
    for side in ("baseline", "canary"):
        path = os.path.join(out, f"m{m:03}-{side}.csv")
        level = 100.0 + m
        with open(path, "w") as f:
            f.write("timestamp,value\n")
            gauss = rng.gauss
            f.writelines(
                f"{start + 60 * k},{level * (1 + 0.1 * math.sin(2 * math.pi * k / 1440)) + gauss(0, 5):.3f}\n"
                for k in range(points)
            )
    specs.append(f"--csv m{m:03}={out}/m{m:03}-baseline.csv,{out}/m{m:03}-canary.csv")
config = {
    "name": "year-replay",
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [
        {
            "name": f"m{m:03}",
            "query": {"type": "prometheus", "metricName": f"m{m:03}"},
            "groups": ["all"],
            "scopeName": "default",
            "analysisConfigurations": {"canary": {"direction": "increase"}},
        }
        for m in range(metrics)
    ],
    "classifier": {"groupWeights": {"all": 100}},
}
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump(config, f)
with open(os.path.join(out, "args.txt"), "w") as f:
    f.write(" ".join(specs))
print(
    f"canary-judge replay --config {out}/config.json $(cat {out}/args.txt) "
    "--pass 95 --marginal 75 --interval-mins 60 --lookback-mins 60"
)
