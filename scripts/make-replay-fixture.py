#!/usr/bin/env python3
"""Builds fixtures/replay/nab-latency-pairs.json from fixtures/nab/ (run from the repository root).

Two hours of recorded EC2 request latency at 5-minute steps (24 points): the baseline is the
recording, the canary is the next two hours of the same series, and from the second hour on the
canary is 25% slower (an injected regression). Deterministic: no randomness.
"""
import csv
import json

rows = list(csv.reader(open("fixtures/nab/ec2_request_latency_system_failure.csv")))[1:]
values = [float(r[1]) for r in rows]
points, step_ms, start_ms = 24, 300_000, 1_767_225_600_000  # 2026-01-01T00:00:00Z
baseline = values[:points]
canary = [v * (1.25 if k >= points // 2 else 1.0) for k, v in enumerate(values[points:2 * points])]
scope = {"startTimeIso": "2026-01-01T00:00:00Z", "startTimeMillis": start_ms, "stepMillis": step_ms}
pairs = [{
    "name": "latency",
    "id": "nab-latency",
    "tags": {},
    "values": {"control": baseline, "experiment": [round(v, 6) for v in canary]},
    "scopes": {"control": scope, "experiment": scope},
}]
json.dump(pairs, open("fixtures/replay/nab-latency-pairs.json", "w"), indent=1)
config = {
    "name": "nab-latency",
    "judge": {"name": "NetflixACAJudge-v1.0", "judgeConfigurations": {}},
    "metrics": [{"name": "latency", "query": {"type": "prometheus", "metricName": "latency"},
                 "groups": ["latency"], "scopeName": "default",
                 "analysisConfigurations": {"canary": {"direction": "increase"}}}],
    "classifier": {"groupWeights": {"latency": 100}},
}
json.dump(config, open("fixtures/replay/nab-latency-config.json", "w"), indent=1)
