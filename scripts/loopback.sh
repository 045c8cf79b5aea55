#!/usr/bin/env bash
# Receive with udprx while udpbench sends on loopback, then do the same
# with a plain stdlib loop: one run, the same sender, each receiver.
#
#   bash scripts/loopback.sh [seconds] [size]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
size=${2:-64}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/udpbench" ./cmd/udpbench

run() { # receiver loops
	local log="$dir/$1.$2.log" addr=""
	"$dir/udpbench" recv --json --log warn --receiver "$1" --loops "$2" \
		--listen udp4://127.0.0.1:0 --duration "$((secs + 2))s" >"$dir/$1.$2.json" 2>"$log" &
	local rpid=$!
	# recv names the address it bound (port 0 resolved) on its first line.
	for _ in $(seq 100); do
		addr=$(sed -n 's/^udpbench recv: .* on \(.*\)$/\1/p' "$log" | head -1)
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "recv did not start:"; cat "$log"; exit 1; }
	"$dir/udpbench" send --quiet --json --to "$addr" --gso --size "$size" --flows "$2" \
		--duration "${secs}s" >"$dir/send.json"
	wait "$rpid"
	python3 - "$1" "$2" "$dir/send.json" "$dir/$1.$2.json" <<'PY'
import json, sys
name, loops, s, r = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
lost = s["datagrams"] - r["datagrams"]
print(f"{name:7} loops={loops}  received {r['rate_pps']/1e6:6.3f} M datagrams/s  "
      f"sent {s['datagrams']:>9}  received {r['datagrams']:>9}  lost {100*lost/max(1,s['datagrams']):5.1f}%")
PY
}
run udprx 1
run udprx 2
run stdlib 1
