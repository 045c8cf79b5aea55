#!/usr/bin/env bash
# bench-dns.sh: examples/dns against the same answers on a stdlib loop, on
# miekg/dns's dns.Server (on a *net.UDPConn, and on the engine's pconn.Conn:
# miekg-pconn), and against NSD and Knot, all answering one
# generated zone, measured with dnsperf (a client nobody here wrote).
#
#   sudo scripts/bench-dns.sh              # 3 interleaved rounds, one table
#   sudo scripts/bench-dns.sh --rounds 5 --seconds 10
#   scripts/bench-dns.sh --smoke           # seconds: udprx and miekg-pconn, no comparison
#   sudo scripts/bench-dns.sh --baseline main --servers udprx,nsd,knot
#
# The server runs pinned to one CPU, dnsperf to another (taskset), on
# 127.0.0.1 with non-default ports. Each round starts every server in turn
# and measures it three times: with no rate limit (answers/s and loss),
# then at 20k and 50k queries/s (latency percentiles from dnsperf -v, and
# the server's CPU time per answered query from /proc). The table shows
# the median over the rounds. Missing tools (dnsperf, nsd, knot) are
# installed with apt-get when run as root. --baseline REV adds a row
# "base", examples/dns built from git revision REV, measured in the same
# rounds: a change's effect against the same noise. --servers picks the
# rows (default udprx,stdlib,miekg,miekg-pconn,nsd,knot).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
seconds=10     # the unlimited run
rate_seconds=5 # each fixed-rate run
server_cpu=1
client_cpu=0
smoke=0
baseline=
servers=(udprx stdlib miekg miekg-pconn nsd knot)
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--rate-seconds) rate_seconds=$2; shift 2 ;;
	--server-cpu) server_cpu=$2; shift 2 ;;
	--client-cpu) client_cpu=$2; shift 2 ;;
	--smoke) smoke=1; shift ;;
	--baseline) baseline=$2; shift 2 ;;
	--servers) IFS=, read -r -a servers <<<"$2"; shift 2 ;;
	-h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-dns: unknown argument $1" >&2; exit 2 ;;
	esac
done
rates=(20000 50000)
if [ $smoke = 1 ]; then
	rounds=1 seconds=2 rate_seconds=1 servers=(udprx miekg-pconn) rates=(20000) baseline=
fi
[ -z "$baseline" ] || servers=(udprx base "${servers[@]/udprx/}")
servers=($(printf '%s\n' "${servers[@]}" | awk 'NF && !seen[$0]++'))
for s in "${servers[@]}"; do
	case $s in udprx | base | stdlib | miekg | miekg-pconn | nsd | knot) ;; *) echo "bench-dns: --servers: unknown server $s" >&2; exit 2 ;; esac
done
if [ "$(nproc)" -lt 2 ]; then
	server_cpu=0 client_cpu=0
fi

need=()
command -v dnsperf >/dev/null || need+=(dnsperf)
if [ $smoke = 0 ]; then
	command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || need+=(nsd)
	command -v knotd >/dev/null || [ -x /usr/sbin/knotd ] || need+=(knot)
fi
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "bench-dns: missing ${need[*]}: run as root on Debian/Ubuntu, or install them" >&2
		exit 1
	fi
	echo "bench-dns: installing ${need[*]}" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
	# The packages may start their daemons on port 53: they are not what
	# is measured, and they would take a CPU.
	for s in nsd knot; do
		command -v systemctl >/dev/null && systemctl stop "$s" 2>/dev/null || true
	done
fi
PATH=$PATH:/usr/sbin

work=$(mktemp -d /tmp/bench-dns.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# The zone: 1000 hosts with A, every 4th with AAAA, every 10th with TXT,
# every 20th a CNAME to a host; the apex with SOA, NS, MX. The queries:
# each name and type once, plus NXDOMAIN and NODATA, shuffled.
{
	echo '$ORIGIN bench.example.'
	echo '$TTL 3600'
	echo '@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300'
	echo '@ IN NS ns1'
	echo '@ IN MX 10 mail'
	echo 'ns1 IN A 127.0.0.1'
	echo 'mail IN A 192.0.2.25'
	for i in $(seq 0 999); do
		echo "h$i IN A 10.0.$((i / 256)).$((i % 256))"
		if [ $((i % 4)) = 0 ]; then echo "h$i IN AAAA 2001:db8::$i"; fi
		if [ $((i % 10)) = 0 ]; then echo "h$i IN TXT \"host $i of the benchmark zone\""; fi
		if [ $((i % 20)) = 0 ]; then echo "c$i IN CNAME h$i"; fi
	done
} >"$work/bench.zone"
{
	echo "bench.example SOA"
	echo "bench.example NS"
	echo "bench.example MX"
	for i in $(seq 0 999); do
		echo "h$i.bench.example A"
		if [ $((i % 4)) = 0 ]; then echo "h$i.bench.example AAAA"; fi
		if [ $((i % 10)) = 0 ]; then echo "h$i.bench.example TXT"; fi
		if [ $((i % 20)) = 0 ]; then echo "c$i.bench.example A"; fi
		if [ $((i % 5)) = 0 ]; then echo "x$i.bench.example A"; fi   # NXDOMAIN
		if [ $((i % 7)) = 0 ]; then echo "h$i.bench.example MX"; fi  # NODATA
	done
} | shuf --random-source=<(yes) >"$work/queries.txt"

port_of() { # a port per server, away from the defaults
	case $1 in udprx) echo 15301 ;; stdlib) echo 15302 ;; miekg) echo 15303 ;; nsd) echo 15304 ;; knot) echo 15305 ;; miekg-pconn) echo 15306 ;; base) echo 15307 ;; esac
}

go build -o "$work/dnsd" ./examples/dns
if [ -n "$baseline" ]; then
	mkdir -p "$work/base"
	git archive "$baseline" | tar -x -C "$work/base"
	(cd "$work/base" && go build -o "$work/dnsd-base" ./examples/dns)
fi

cat >"$work/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1@$(port_of nsd)
	server-count: 1
	username: ""
	zonesdir: "$work"
	database: ""
	pidfile: "$work/nsd.pid"
	xfrdfile: "$work/xfrd.state"
	zonelistfile: "$work/zone.list"
	logfile: "$work/nsd.log"
	hide-version: yes
	verbosity: 0
	# Debian's NSD limits each client netblock to 200 answers/s (RRL):
	# off, as the others have none.
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: bench.example
	zonefile: bench.zone
EOF
mkdir -p "$work/knot"
cat >"$work/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$(port_of knot)
    rundir: "$work/knot"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$work/knot"
log:
  - target: stderr
    any: warning
zone:
  - domain: bench.example
    file: "$work/bench.zone"
    storage: "$work/knot"
    zonefile-sync: -1
    journal-content: none
EOF

start_server() { # prints the pid
	local port cmd
	port=$(port_of "$1")
	case $1 in
	udprx | stdlib | miekg | miekg-pconn)
		cmd=("$work/dnsd" -listen "udp://127.0.0.1:$port" -zone "$work/bench.zone" -loops 1 -impl "$1" -tcp=false) ;;
	base) cmd=("$work/dnsd-base" -listen "udp://127.0.0.1:$port" -zone "$work/bench.zone" -loops 1 -tcp=false) ;;
	nsd) cmd=(nsd -d -c "$work/nsd.conf") ;;
	knot) cmd=(knotd -c "$work/knot.conf") ;;
	esac
	taskset -c "$server_cpu" "${cmd[@]}" >"$work/$1.out" 2>&1 &
	echo $!
}

wait_ready() { # until the server answers, 10 s at most
	local port=$1 i
	for i in $(seq 100); do
		# NSD answers from its first server process before it has
		# finished starting, then replaces it: wait for it to say so.
		if [ "$port" = "$(port_of nsd)" ] && ! grep -q 'nsd started' "$work/nsd.log" 2>/dev/null; then
			sleep 0.1
			continue
		fi
		if echo "bench.example SOA" | dnsperf -s 127.0.0.1 -p "$port" -l 1 -t 1 -n 1 2>/dev/null | grep -q 'Queries completed: *1 '; then
			return 0
		fi
		sleep 0.1
	done
	echo "bench-dns: the server on port $port did not answer within 10 s" >&2
	return 1
}

tree() { # pid and its descendants
	local c
	echo "$1"
	for c in $(pgrep -P "$1" 2>/dev/null); do tree "$c"; done
}

pin_tree() { # every thread of pid's tree onto the server's CPU
	# taskset at the start is not enough: knotd pins its UDP worker
	# itself, to the first CPU, which here is dnsperf's.
	local p t
	for p in $(tree "$1"); do
		taskset -a -p -c "$server_cpu" "$p" >/dev/null 2>&1 || true
		for t in /proc/"$p"/task/*; do
			if [ -r "$t/status" ] && [ "$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")" != "$server_cpu" ]; then
				echo "bench-dns: thread ${t##*/} of pid $p is not on CPU $server_cpu" >&2
				return 1
			fi
		done
	done
}

cpu_ticks() { # utime+stime of pid and its descendants, in clock ticks
	local p total=0 stat
	for p in $(tree "$1"); do
		if stat=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null); then
			set -- $stat
			total=$((total + ${12} + ${13}))
		fi
	done
	echo $total
}

field() { # field NAME FILE: the number after "NAME:" in dnsperf's statistics
	awk -v k="$1:" '$0 ~ k { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }' "$2"
}

perf() { # perf OUT [dnsperf args...]
	local out=$1; shift
	taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -d "$work/queries.txt" -c 4 -q 500 -t 2 "$@" >"$out" 2>&1
}

hz=$(getconf CLK_TCK)
results="$work/results.tsv" # server round metric value
: >"$results"
for round in $(seq "$rounds"); do
	for s in "${servers[@]}"; do
		pid=$(start_server "$s")
		pids+=("$pid")
		port=$(port_of "$s")
		wait_ready "$port"
		pin_tree "$pid"
		perf "$work/max.txt" -p "$port" -l "$seconds"
		echo -e "$s\t$round\tqps\t$(field 'Queries per second' "$work/max.txt")" >>"$results"
		echo -e "$s\t$round\tloss\t$(awk '/Queries lost:/ { gsub(/[()%]/, "", $4); print $4 }' "$work/max.txt")" >>"$results"
		for r in "${rates[@]}"; do
			t0=$(cpu_ticks "$pid")
			perf "$work/rate.txt" -p "$port" -l "$rate_seconds" -Q "$r" -v
			t1=$(cpu_ticks "$pid")
			done_q=$(field 'Queries completed' "$work/rate.txt")
			echo -e "$s\t$round\tcpu$r\t$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$done_q" 'BEGIN { printf "%.2f", (n > 0 ? d / hz / n * 1e6 : 0) }')" >>"$results"
			grep '^> ' "$work/rate.txt" | awk '{ print $NF }' | sort -g >"$work/lat.txt"
			n=$(wc -l <"$work/lat.txt")
			for p in 50 99 99.9; do
				v=$(awk -v n="$n" -v p="$p" 'NR == int(n * p / 100 + 0.5) || (NR == n && int(n * p / 100 + 0.5) > n) { printf "%.0f", $1 * 1e6; exit }' "$work/lat.txt")
				echo -e "$s\t$round\tp$p@$r\t${v:-0}" >>"$results"
			done
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "bench-dns: round $round $s: $(grep -P "^$s\t$round\tqps" "$results" | cut -f4) answers/s" >&2
	done
done

median() { # median of the values for server and metric
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $3 == m { print $4 }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

r0=${rates[0]}
printf '%-11s %10s %7s' server "answers/s" "loss%"
for r in "${rates[@]}"; do printf ' %14s' "µs CPU/q@$((r / 1000))k"; done
printf ' %22s\n' "latency µs p50/p99/p99.9@$((r0 / 1000))k"
for s in "${servers[@]}"; do
	printf '%-11s %10.0f %7s' "$s" "$(median "$s" qps)" "$(median "$s" loss)"
	for r in "${rates[@]}"; do printf ' %14s' "$(median "$s" "cpu$r")"; done
	printf ' %22s\n' "$(median "$s" "p50@$r0")/$(median "$s" "p99@$r0")/$(median "$s" "p99.9@$r0")"
done
echo "(medians of $rounds rounds; ${seconds}s unlimited, ${rate_seconds}s per fixed rate; server on CPU $server_cpu, dnsperf on CPU $client_cpu)"

if [ $smoke = 1 ]; then
	for s in "${servers[@]}"; do
		qps=$(median "$s" qps)
		if ! awk -v q="$qps" 'BEGIN { exit !(q > 0) }'; then
			echo "bench-dns: smoke failed: $s answered nothing" >&2
			exit 1
		fi
	done
	echo "bench-dns: smoke ok"
fi
