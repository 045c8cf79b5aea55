#!/usr/bin/env bash
# bench-syslog.sh: examples/syslog against rsyslog and syslog-ng, all
# receiving syslog over UDP from syslog-ng's loggen (a client nobody here
# wrote) and writing one line per message to a file.
#
#   sudo scripts/bench-syslog.sh              # 3 interleaved rounds, one table
#   sudo scripts/bench-syslog.sh --rounds 5 --seconds 10
#   scripts/bench-syslog.sh --smoke           # seconds: udprx only, no comparison
#   sudo scripts/bench-syslog.sh --baseline main --servers udprx,rsyslog
#
# --baseline REV adds a row "base", the example built from git revision
# REV, measured in the same rounds: a change's effect against the same
# noise. --servers picks the rows (default udprx,rsyslog,syslog-ng).
#
# Each server runs as its own process with its own configuration, pid
# file and output file in a temporary directory, listening on a
# 127.0.0.1 port of its own with a 4 MiB receive buffer (the example's
# default, given to all three), and with no /dev/log, journal or kernel
# log input: the host's syslog is not touched. The server is pinned to
# one CPU, loggen to another (taskset). Each round starts every server in
# turn and measures it three times: loggen at its maximum rate (messages
# received per second and loss), then at 20k and 50k messages/s (loss,
# and the server's CPU time per message from /proc). Loss is loggen's
# count minus the lines written; the kernel's own drop count for the
# server's socket (/proc/net/udp) shows how much of it the receive
# buffer lost. The table shows medians over the rounds, with the range.
# Missing tools are installed with apt-get when run as root: loggen and
# syslog-ng from syslog-ng-core; rsyslog, which Debian will not install
# next to syslog-ng-core, is unpacked from its .deb into a cache
# directory and run from there.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
seconds=10     # the unlimited run
rate_seconds=5 # each fixed-rate run
server_cpu=1
client_cpu=0
smoke=0
baseline=
servers=(udprx rsyslog syslog-ng)
cache=/var/cache/udprx-bench
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
	-h | --help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-syslog: unknown argument $1" >&2; exit 2 ;;
	esac
done
rates=(20000 50000)
if [ $smoke = 1 ]; then
	rounds=1 seconds=2 rate_seconds=1 servers=(udprx) rates=(20000) baseline=
fi
[ -z "$baseline" ] || servers=(udprx base "${servers[@]/udprx/}")
servers=($(printf '%s\n' "${servers[@]}" | awk 'NF && !seen[$0]++'))
for s in "${servers[@]}"; do
	case $s in udprx | base | rsyslog | syslog-ng) ;; *) echo "bench-syslog: --servers: unknown server $s" >&2; exit 2 ;; esac
done
if [ "$(nproc)" -lt 2 ]; then
	server_cpu=0 client_cpu=0
fi
PATH=$PATH:/usr/sbin:/sbin

as_root_apt() { # as_root_apt WHAT: fail unless apt-get can run
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		echo "bench-syslog: missing $1: run as root on Debian/Ubuntu, or install it" >&2
		exit 1
	fi
}

# apt_install PKG...: install without starting the packages' daemons
# (a policy-rc.d that refuses, unless the host already has one).
apt_install() {
	local policy=/usr/sbin/policy-rc.d own=0
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && own=1
	fi
	local rc=0
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || rc=$?
	[ $own = 0 ] || rm -f $policy
	return $rc
}

if ! command -v loggen >/dev/null || { [ $smoke = 0 ] && ! command -v syslog-ng >/dev/null; }; then
	as_root_apt syslog-ng-core
	if dpkg -s rsyslog >/dev/null 2>&1; then
		# syslog-ng-core conflicts with rsyslog: installing it would
		# remove the host's syslog daemon.
		echo "bench-syslog: rsyslog is installed, and installing syslog-ng-core (loggen) would remove it: install loggen another way" >&2
		exit 1
	fi
	echo "bench-syslog: installing syslog-ng-core (loggen, syslog-ng)" >&2
	apt_install syslog-ng-core
	# The package enables its service; where something started it anyway,
	# stop it: it is not what is measured, and it takes a CPU.
	command -v systemctl >/dev/null && systemctl stop syslog-ng 2>/dev/null || true
fi

rsyslogd=$(command -v rsyslogd || true)
rsyslog_modules=
if [ $smoke = 0 ] && [ -z "$rsyslogd" ]; then
	if [ ! -x "$cache/rsyslog/usr/sbin/rsyslogd" ]; then
		as_root_apt rsyslog
		echo "bench-syslog: unpacking rsyslog into $cache/rsyslog (it conflicts with syslog-ng-core)" >&2
		mkdir -p "$cache"
		(cd "$cache" && rm -f rsyslog_*.deb && apt-get download rsyslog 2>/dev/null)
		# Its libraries: the first alternative of each dependency.
		deps=$(dpkg-deb -f "$cache"/rsyslog_*.deb Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/ //g')
		# shellcheck disable=SC2086
		apt_install $deps
		dpkg-deb -x "$cache"/rsyslog_*.deb "$cache/rsyslog"
	fi
	rsyslogd=$cache/rsyslog/usr/sbin/rsyslogd
	rsyslog_modules=$(dirname "$(find "$cache/rsyslog" -name imudp.so | head -1)")
fi

base=/tmp
[ -d /dev/shm ] && base=/dev/shm # the servers' output files: memory, not disk
work=$(mktemp -d "$base/bench-syslog.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

port_of() { # a port per server, away from the defaults
	case $1 in udprx) echo 15401 ;; rsyslog) echo 15402 ;; syslog-ng) echo 15403 ;; base) echo 15404 ;; esac
}
rcvbuf=$((4 << 20))

go build -o "$work/syslogd" ./examples/syslog
if [ -n "$baseline" ]; then
	mkdir -p "$work/base"
	git archive "$baseline" | tar -x -C "$work/base"
	(cd "$work/base" && go build -o "$work/syslogd-base" ./examples/syslog)
fi

# rsyslog: imudp only (no imuxsock, imklog or imjournal), every message to
# a file in the traditional format.
mkdir -p "$work/rsyslog.d"
cat >"$work/rsyslog.conf" <<EOF
global(workDirectory="$work/rsyslog.d")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$(port_of rsyslog)" rcvbufSize="$rcvbuf")
*.* action(type="omfile" file="$work/rsyslog.log" template="RSYSLOG_TraditionalFileFormat")
EOF
# syslog-ng: one network() source, no system() source, the same output.
cat >"$work/syslog-ng.conf" <<EOF
@version: 3.38
options { stats_freq(0); create_dirs(no); };
source s_udp { network(ip("127.0.0.1") port($(port_of syslog-ng)) transport("udp") so_rcvbuf($rcvbuf)); };
destination d_file { file("$work/syslog-ng.log"); };
log { source(s_udp); destination(d_file); };
EOF

start_server() { # prints the pid
	local port cmd
	port=$(port_of "$1")
	case $1 in
	udprx) cmd=("$work/syslogd" --listen "udp://127.0.0.1:$port" --metrics "") ;;
	base) cmd=("$work/syslogd-base" --listen "udp://127.0.0.1:$port" --metrics "") ;;
	rsyslog)
		cmd=("$rsyslogd" -n -f "$work/rsyslog.conf" -i "$work/rsyslog.pid")
		[ -z "$rsyslog_modules" ] || cmd+=(-M "$rsyslog_modules")
		;;
	syslog-ng) cmd=(syslog-ng -F -f "$work/syslog-ng.conf" -p "$work/syslog-ng.pid" -R "$work/syslog-ng.persist" -c "$work/syslog-ng.ctl") ;;
	esac
	if [ "$1" = udprx ] || [ "$1" = base ]; then
		taskset -c "$server_cpu" "${cmd[@]}" >"$work/$1.log" 2>"$work/$1.err" &
	else
		taskset -c "$server_cpu" "${cmd[@]}" >"$work/$1.err" 2>&1 &
	fi
	echo $!
}

udp_line() { # udp_line PORT: the /proc/net/udp line of 127.0.0.1:PORT
	awk -v a="$(printf '0100007F:%04X' "$1")" '$2 == a' /proc/net/udp
}

wait_ready() { # wait_ready SERVER PID: until its port is bound, 10 s at most
	local i port
	port=$(port_of "$1")
	for i in $(seq 100); do
		[ -z "$(udp_line "$port")" ] || return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench-syslog: $1 is not listening on 127.0.0.1:$port; its output:" >&2
	cat "$work/$1.err" >&2
	return 1
}

kernel_drops() { udp_line "$1" | awk '{ print $NF }'; }
rx_queue() { # bytes queued on the socket (hex in /proc/net/udp)
	local q
	q=$(udp_line "$1" | awk '{ split($5, q, ":"); print q[2] }')
	echo $((16#${q:-0}))
}
lines_of() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

wait_drained() { # wait_drained PORT FILE: the socket empty, the file still for 1 s (60 s at most)
	local last=-1 still=0 n i
	for i in $(seq 600); do
		n=$(lines_of "$2")
		if [ "$n" = "$last" ] && [ "$(rx_queue "$1")" = 0 ]; then
			still=$((still + 1))
			[ $still -lt 10 ] || return 0
		else
			still=0
		fi
		last=$n
		sleep 0.1
	done
	echo "bench-syslog: the output of port $1 still growing after 60 s" >&2
}

cpu_ticks() { # utime+stime of pid and its children, in clock ticks
	local p total=0 stat
	for p in $1 $(pgrep -P "$1" 2>/dev/null); do
		if stat=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null); then
			set -- $stat
			total=$((total + ${12} + ${13}))
		fi
	done
	echo $total
}

hz=$(getconf CLK_TCK)
results="$work/results.tsv" # server round metric value
: >"$results"
rcvbuf_granted=()

# measure SERVER ROUND PID NAME [loggen args]: one loggen run, recorded
# under NAME: rate (received/s), loss (%), drops (kernel), cpu (µs/msg).
measure() {
	local s=$1 round=$2 pid=$3 name=$4; shift 4
	local port file l0 d0 t0 l1 d1 t1 out sent secs got
	port=$(port_of "$s") file="$work/$s.log"
	l0=$(lines_of "$file") d0=$(kernel_drops "$port") t0=$(cpu_ticks "$pid")
	out=$(taskset -c "$client_cpu" loggen --dgram "$@" 127.0.0.1 "$port" 2>&1) || {
		echo "bench-syslog: loggen failed: $out" >&2
		return 1
	}
	wait_drained "$port" "$file"
	l1=$(lines_of "$file") d1=$(kernel_drops "$port") t1=$(cpu_ticks "$pid")
	sent=$(sed -n 's/.*count=\([0-9]*\),.*/\1/p' <<<"$out" | tail -1)
	secs=$(sed -n 's/.*time=\([0-9.e+-]*\),.*/\1/p' <<<"$out" | tail -1)
	got=$((l1 - l0))
	{
		echo -e "$s\t$round\trate_$name\t$(awk -v n="$got" -v t="$secs" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')"
		echo -e "$s\t$round\tloss_$name\t$(awk -v n="$got" -v s="$sent" 'BEGIN { printf "%.2f", (s > 0 ? (s - n) * 100 / s : 0) }')"
		echo -e "$s\t$round\tdrops_$name\t$((d1 - d0))"
		echo -e "$s\t$round\tsent_$name\t$(awk -v n="$sent" -v t="$secs" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')"
		echo -e "$s\t$round\tcpu_$name\t$(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$got" 'BEGIN { printf "%.2f", (n > 0 ? d / hz / n * 1e6 : 0) }')"
	} >>"$results"
	echo "bench-syslog: round $round $s $name: loggen sent $sent in ${secs}s, $got lines written, $((d1 - d0)) kernel drops" >&2
}

for round in $(seq "$rounds"); do
	for s in "${servers[@]}"; do
		rm -f "$work/$s.log"
		pid=$(start_server "$s")
		pids+=("$pid")
		port=$(port_of "$s")
		wait_ready "$s" "$pid"
		[ "$round" != 1 ] || rcvbuf_granted+=("$s $(ss -uamnH "sport = :$port" | grep -o 'rb[0-9]*' | head -1)")
		measure "$s" "$round" "$pid" max --rate 10000000 --interval "$seconds"
		for r in "${rates[@]}"; do
			measure "$s" "$round" "$pid" "$r" --rate "$r" --interval "$rate_seconds"
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$work/$s.log"
	done
done

stat() { # stat SERVER METRIC: "median (min-max)" over the rounds
	awk -F'\t' -v s="$1" -v m="$2" '$1 == s && $3 == m { print $4 }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			if (NR == 1) print med; else printf "%s (%s-%s)\n", med, v[1], v[NR]
		}'
}

printf '%-9s %-26s %-22s %-18s' server "msg/s at max" "loss% at max" "kernel drops"
for r in "${rates[@]}"; do printf ' %-16s %-20s' "loss%@$((r / 1000))k" "µs CPU/msg@$((r / 1000))k"; done
echo
for s in "${servers[@]}"; do
	printf '%-9s %-26s %-22s %-18s' "$s" "$(stat "$s" rate_max)" "$(stat "$s" loss_max)" "$(stat "$s" drops_max)"
	for r in "${rates[@]}"; do printf ' %-16s %-20s' "$(stat "$s" "loss_$r")" "$(stat "$s" "cpu_$r")"; done
	echo
done
echo "(medians (min-max) of $rounds rounds; ${seconds}s at loggen's maximum, ${rate_seconds}s per fixed rate; server on CPU $server_cpu, loggen on CPU $client_cpu)"
echo "(receive buffers granted, bytes: ${rcvbuf_granted[*]})"
for s in "${servers[@]}"; do
	printf '(loggen sent to %s, msg/s: at max %s' "$s" "$(stat "$s" sent_max)"
	for r in "${rates[@]}"; do printf ', asked %dk %s' $((r / 1000)) "$(stat "$s" "sent_$r")"; done
	echo ")"
done

if [ $smoke = 1 ]; then
	got=$(stat udprx rate_max)
	if awk -v q="${got%% *}" 'BEGIN { exit !(q > 0) }'; then
		echo "bench-syslog: smoke ok"
	else
		echo "bench-syslog: smoke failed: udprx received nothing" >&2
		exit 1
	fi
fi
