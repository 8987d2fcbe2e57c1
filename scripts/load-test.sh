#!/usr/bin/env bash
# Load test of `POST /judge` (Kayenta's remote-judge route) on 127.0.0.1 with wrk.
#
#   scripts/load-test.sh [SECONDS_PER_LEVEL] [SOAK_SECONDS]
#
# Sends a typical request (20 metrics × 60 points a side, made by `examples/generate.rs`) at 1, 16
# and 64 concurrent connections, SECONDS_PER_LEVEL each (default 10), and reports throughput,
# p50/p99 latency and errors. Then a soak at 16 connections for SOAK_SECONDS (default 60),
# sampling the server's resident memory every 5 s. Needs `wrk` (Debian package `wrk`).
# Traffic goes to 127.0.0.1 only, and every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
LEVEL_SECS=${1:-10}
SOAK_SECS=${2:-60}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cargo build --release -q --bin canary-judge --example generate
WORK=$(mktemp -d)
./target/release/examples/generate 1 20 60 > "$WORK/request.json"

./target/release/canary-judge serve --listen 127.0.0.1:0 > "$WORK/stdout" 2> "$WORK/stderr" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/stdout" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^listening on //p' "$WORK/stdout")
URL="http://$ADDR/judge"

cat > "$WORK/post.lua" <<LUA
local f = assert(io.open("$WORK/request.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json; charset=UTF-8"
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f non200=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    bad + summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

echo "server $ADDR; request $(wc -c < "$WORK/request.json") bytes; $(nproc) cores shared by wrk and the server"
printf "%12s | %10s | %10s | %10s | %s\n" connections "req/s" "p50 ms" "p99 ms" errors
for c in 1 16 64; do
  t=$(( c < 2 ? 1 : 2 ))
  line=$(wrk -t"$t" -c"$c" -d"${LEVEL_SECS}s" --timeout 10s -s "$WORK/post.lua" "$URL" | grep '^RESULT')
  rps=$(sed 's/.*rps=\([^ ]*\).*/\1/' <<<"$line")
  p50=$(sed 's/.*p50_ms=\([^ ]*\).*/\1/' <<<"$line")
  p99=$(sed 's/.*p99_ms=\([^ ]*\).*/\1/' <<<"$line")
  errs=$(sed 's/.*non200=\([^ ]*\) socket_errors=\([^ ]*\).*/non-200 \1, socket \2/' <<<"$line")
  printf "%12s | %10s | %10s | %10s | %s\n" "$c" "$rps" "$p50" "$p99" "$errs"
done

echo "soak: 16 connections for ${SOAK_SECS}s; resident memory of the server (KiB):"
wrk -t2 -c16 -d"${SOAK_SECS}s" --timeout 10s -s "$WORK/post.lua" "$URL" > "$WORK/soak.txt" &
WRK=$!
samples=()
for _ in $(seq 0 5 "$SOAK_SECS"); do
  samples+=("$(ps -o rss= -p "$SERVER" | tr -d ' ')")
  sleep 5
done
wait $WRK
echo "  samples: ${samples[*]}"
grep '^RESULT' "$WORK/soak.txt" | sed 's/^RESULT/  soak:/'
