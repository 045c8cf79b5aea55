#!/usr/bin/env bash
# Receive with udprx while udpbench sends on loopback, then do the same
# with a plain stdlib loop: one run, the same sender, two receivers.
#
#   bash scripts/loopback.sh [seconds] [size]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
size=${2:-64}
bin=$(mktemp -d)/udpbench
trap 'rm -rf "$(dirname "$bin")"; kill $(jobs -p) 2>/dev/null || true' EXIT
go build -o "$bin" ./cmd/udpbench

run() { # receiver loops
	local port
	port=$(( 20000 + RANDOM % 20000 ))
	"$bin" recv --quiet --json --receiver "$1" --loops "$2" --listen "udp4://127.0.0.1:$port" \
		--duration "$((secs + 2))s" >"$bin.$1.$2.json" &
	local rpid=$!
	# the receiver binds before it prints; give the sender a bound port
	for _ in $(seq 50); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
	"$bin" send --quiet --to "127.0.0.1:$port" --gso --size "$size" --flows "$2" --duration "${secs}s" >/dev/null
	wait "$rpid"
	printf '%-8s loops=%d  ' "$1" "$2"
	cat "$bin.$1.$2.json"
}
run udprx 1
run udprx 2
run stdlib 1
