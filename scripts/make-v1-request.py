#!/usr/bin/env python3
"""Writes fixtures/requests/v1-nab.json: a canary-judge-v1 request built from real NAB series.

Baseline and canary are two consecutive stretches of 120 five-minute points (10 hours) of each
series; the canary's latency is 15% higher, and its errors are drawn (seeded) at 4x the
baseline's rate per request. Run from the repository root: python3 scripts/make-v1-request.py
"""
import csv, json, math, random

def series(path):
    with open(path) as f:
        return [float(r[1]) for r in list(csv.reader(f))[1:]]

rng = random.Random(7)
def poisson(mean):
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return float(k)

lat = series("fixtures/nab/ec2_request_latency_system_failure.csv")[1000:1240]
cpu = series("fixtures/nab/data/realAWSCloudwatch/ec2_cpu_utilization_5f5533.csv")[1000:1240]
req = series("fixtures/nab/data/realAWSCloudwatch/elb_request_count_8c0756.csv")[1000:1240]
n = 120
rate = 0.002
errors_b = [poisson(rate * r) for r in req[:n]]
errors_c = [poisson(4 * rate * r) for r in req[n:]]
pair = lambda name, b, c: {"name": name, "tags": {}, "values": {"control": b, "experiment": c}}
metric = lambda name, group, canary: {"name": name, "query": {"type": "prometheus", "customInlineTemplate": "PromQL:" + name},
                                      "groups": [group], "analysisConfigurations": {"canary": canary}, "scopeName": "default"}
request = {
    "canaryConfig": {
        "name": "v1-nab",
        "judge": {"name": "canary-judge-v1", "judgeConfigurations": {}},
        "classifier": {"groupWeights": {"latency": 50, "errors": 30, "system": 20}, "multipleTesting": "holm", "confidence": 0.99},
        "metrics": [
            metric("request_latency_ms", "latency", {"direction": "increase", "effectSize": {"allowedIncrease": 1.1}}),
            metric("cpu_utilization", "system", {"effectSize": {"allowedIncrease": 1.2, "allowedDecrease": 0.8}}),
            metric("errors", "errors", {"denominator": "requests"}),
            metric("requests", "errors", {"muted": True}),
        ],
    },
    "scoreThresholds": {"pass": 95, "marginal": 75},
    "metricSetPairList": [
        pair("request_latency_ms", lat[:n], [round(v * 1.15, 3) for v in lat[n:]]),
        pair("cpu_utilization", cpu[:n], cpu[n:]),
        pair("errors", errors_b, errors_c),
        pair("requests", req[:n], req[n:]),
    ],
}
with open("fixtures/requests/v1-nab.json", "w") as f:
    json.dump(request, f, indent=1)
    f.write("\n")
print("wrote fixtures/requests/v1-nab.json", sum(errors_b), sum(errors_c), sum(req[:n]), sum(req[n:]))
