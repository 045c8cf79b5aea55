#!/usr/bin/env bash
# bench-wakeup.sh: the receive loop's CPU per datagram at a fixed rate,
# against the plainest blocking C loop (recvmmsg(64, MSG_WAITFORONE) on a
# blocking socket: one system call per burst, no poller).
#
# Receivers, pinned to CPU 1: c (scripts/wakeup/crecv.c), udprx
# (`udpbench recv --loops 1 --no-latency`, the default configuration) and
# udprx-pin (the same with --pin-cpu), udprx-nogather (--gather -1ns:
# Config.Gather negative, no gathering at all) and udprx-gather (with
# --gather, default 1ms). Senders, pinned to CPU 0: a bursty
# C sender (scripts/wakeup/csend.c, one sendmmsg of 64 per burst) and
# udpbench's own paced sender. Each round runs every receiver once under
# each sender, interleaved; the CPU a receiver used is read from
# /proc/PID/task/*/schedstat just before and just after the sender runs.
# The sender gso is the live case: udpbench send --gso with no rate limit,
# as fast as the sender's CPU (which, on loopback, also does the kernel's
# receive work) can go; what matters there is how much of it reaches the
# receiver, so the summary gives the received rate too.
# Prints one line per run and, at the end, medians and ratios to c.
#
# usage: scripts/bench-wakeup.sh [--rounds N] [--rate PPS] [--seconds S]
#                                [--receivers "c udprx udprx-pin udprx-gather"]
#                                [--senders "csend paced gso"] [--gather D]
# Needs gcc (apt-get install gcc) and root only for nothing; run on a quiet
# machine with 2 or more CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 rate=300000 seconds=4 gather=1ms
receivers="c udprx udprx-pin" senders="csend paced"
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--gather) gather=$2; shift 2 ;;
	--receivers) receivers=$2; shift 2 ;;
	--senders) senders=$2; shift 2 ;;
	*) echo "bench-wakeup.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
command -v gcc >/dev/null || { echo "bench-wakeup.sh: needs gcc (apt-get install gcc)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/crecv" scripts/wakeup/crecv.c
gcc -O2 -o "$tmp/csend" scripts/wakeup/csend.c
go build -o "$tmp/udpbench" ./cmd/udpbench
# UDPBENCH_OLD=path adds the receivers old and old-pin: another build of
# udpbench (an older commit, say) run the same way, for before/after.
if [[ -n ${UDPBENCH_OLD:-} ]]; then cp "$UDPBENCH_OLD" "$tmp/udpbench-old"; fi

cpu_ns() { # the CPU time of every thread of process $1, in ns
	local t sum=0
	for t in /proc/"$1"/task/*/schedstat; do
		read -r run _ <"$t" || true
		sum=$((sum + run))
	done
	echo "$sum"
}

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_bound() { # wait until something is bound to udp port $1
	for _ in $(seq 100); do
		ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	echo "bench-wakeup.sh: nothing bound to port $1" >&2
	return 1
}

recv_udprx() { # binary [flags...]: one udprx loop on CPU 1, in the background, until SIGINT
	local bin=$1
	shift
	taskset -c 1 "$tmp/$bin" recv --loops 1 "$@" --no-latency --quiet --json \
		--listen "udp://127.0.0.1:$port" --duration 0 >"$tmp/out" &
}

run() { # receiver sender -> "received cpu_ns"
	local recv=$1 send=$2 port pid before after out sent
	port=$(free_port)
	case $recv in
	c) taskset -c 1 "$tmp/crecv" "$port" >"$tmp/out" & ;;
	udprx) recv_udprx udpbench ;;
	udprx-pin) recv_udprx udpbench --pin-cpu ;;
	udprx-nogather) recv_udprx udpbench --gather -1ns ;;
	udprx-gather) recv_udprx udpbench --gather "$gather" ;;
	old) recv_udprx udpbench-old ;;
	old-pin) recv_udprx udpbench-old --pin-cpu ;;
	*) echo "bench-wakeup.sh: unknown receiver $recv" >&2; exit 2 ;;
	esac
	pid=$!
	wait_bound "$port"
	before=$(cpu_ns "$pid")
	case $send in
	csend) taskset -c 0 "$tmp/csend" "$port" "$rate" "$seconds" 64 >"$tmp/sent" ;;
	paced) taskset -c 0 "$tmp/udpbench" send --quiet --json --to "127.0.0.1:$port" --rate "$rate" --duration "${seconds}s" >"$tmp/sent" ;;
	gso) taskset -c 0 "$tmp/udpbench" send --quiet --json --gso --to "127.0.0.1:$port" --duration "${seconds}s" >"$tmp/sent" ;;
	*) echo "bench-wakeup.sh: unknown sender $send" >&2; exit 2 ;;
	esac
	sleep 0.2 # let the receiver read what is still queued
	after=$(cpu_ns "$pid")
	kill -INT "$pid"
	wait "$pid"
	case $recv in
	c) out=$(cat "$tmp/out") ;;
	*) out=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["datagrams"])' "$tmp/out") ;;
	esac
	case $send in
	csend) sent=$(cat "$tmp/sent") ;;
	*) sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["datagrams"])' "$tmp/sent") ;;
	esac
	echo "$out $((after - before)) $sent"
}

printf '%-6s %-7s %-10s %10s %10s %12s %10s\n' round sender receiver sent received cpu_ms ns/dgram
: >"$tmp/results"
for r in $(seq "$rounds"); do
	for s in $senders; do
		for v in $receivers; do
			read -r got ns sent < <(run "$v" "$s")
			per=$(python3 -c "print(f'{$ns/max($got,1):.1f}')")
			printf '%-6s %-7s %-10s %10s %10s %12.1f %10s\n' "$r" "$s" "$v" "$sent" "$got" "$(python3 -c "print($ns/1e6)")" "$per"
			echo "$r $s $v $got $ns" >>"$tmp/results"
		done
	done
done
python3 - "$tmp/results" "$seconds" <<'PY'
import sys, statistics as st, collections
seconds = float(sys.argv[2])
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, s, v, got, ns = line.split()
    runs[(s, r)][v] = (int(ns) / max(int(got), 1), int(got) / seconds)
print()
print("sender  receiver   median ns/dgram  ratio to c   received/s  ratio to c  (medians of per-round ratios)")
senders = sorted({s for s, _ in runs})
for s in senders:
    rs = [runs[k] for k in runs if k[0] == s]
    for v in rs[0]:
        per = st.median(x[v][0] for x in rs)
        rate = st.median(x[v][1] for x in rs)
        ratio = st.median(x[v][0] / x["c"][0] for x in rs) if "c" in rs[0] else float("nan")
        rratio = st.median(x[v][1] / x["c"][1] for x in rs) if "c" in rs[0] else float("nan")
        print(f"{s:7s} {v:10s} {per:16.1f} {ratio:10.3f} {rate:12.0f} {rratio:10.3f}")
PY
