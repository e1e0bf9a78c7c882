#!/bin/sh
# bench/chart.sh: the headline figures of a bench/bench.sh run, read from its JSON,
# drawn as an SVG by gnuplot (bench/chart.gp): start of N jobs idle and with one CPU
# busy, RSS, reload, status client and shutdown, pmtr beside each peer and the floor.
# SPDX-License-Identifier: MIT
#
#   bench/chart.sh [-n N] RESULTS.json OUT.svg      N: the job count shown (1000)
#   bench/chart.sh _b/bench/results.json doc/performance.svg   (the committed chart)
#
# Without gnuplot it says so in one line and exits 0 (apt-get install gnuplot-nox).
set -u
export LC_ALL=C

N=1000
if [ "${1:-}" = -n ]; then
	N=${2:-}
	shift 2 || exit 2
fi
if [ $# -ne 2 ]; then
	sed -n '7,8p' "$0" | sed 's/^# \{0,2\}//' >&2
	exit 2
fi
JSON=$1 SVG=$2
DIR=$(cd "$(dirname "$0")" && pwd)
say() { printf 'bench: %s\n' "$*" >&2; }

if ! command -v gnuplot >/dev/null 2>&1; then
	say "chart skipped: gnuplot is not installed (apt-get install gnuplot-nox)"
	exit 0
fi
[ -r "$JSON" ] || { say "chart: cannot read $JSON"; exit 1; }
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

# One line per supervisor, in the JSON's order: name, colour, then the medians
# ("-" where there is none): start idle, start busy (ms), RSS (MiB), reload,
# status, shutdown (ms). The prelude gives chart.gp its variables.
awk -v n="$N" -v data="$TMP/data" -v out="$SVG" -v pre="$TMP/prelude.gp" '
function q(s) { gsub(/[\\"]/, "\\\\&", s); return "\"" s "\"" }
function field(name,   s) {
	if (!match($0, "\"" name "\": \"?[^,\"}]*")) return ""
	s = substr($0, RSTART, RLENGTH); sub(/.*: "?/, "", s); return s
}
/^  "machine":/ { date = substr(field("date"), 1, 10); nproc = field("nproc"); kernel = field("kernel") }
/^  "mode":/ { mode = field("mode"); reps = field("repeats") }
/^    "[^"]+": \{$/ { split($0, a, "\""); peer[++np] = a[2]; next }
/^      "[^"]+": \{"median": / {
	split($0, a, "\""); v = $0; sub(/.*"median": /, "", v); sub(/,.*/, "", v)
	val[peer[np], a[2]] = v
}
function get(p, key, scale) { return ((p, key) in val) ? val[p, key] / scale : "-" }
END {
	# 0x8c8c8c grey, 0x1f77b4 blue, 0xd62728 red, 0xff7f0e orange, 0x2ca02c green
	colour["floor"] = 9211020; colour["pmtr"] = 2062260; colour["supervisord"] = 14034728
	colour["runit"] = 16744206; colour["s6"] = 2924588
	for (i = 1; i <= np; i++) {
		p = peer[i]
		printf "%s %d %s %s %s %s %s %s\n", p, (p in colour) ? colour[p] : 8355711,
			get(p, "start_ms." n, 1), get(p, "start_busy_ms." n, 1), get(p, "rss_kb." n, 1024),
			get(p, "reload_ms.100", 1), get(p, "status_ms." n, 1), get(p, "shutdown_ms." n, 1) >data
	}
	printf "data = %s\nout = %s\nnpeers = %d\nn = %d\n", q(data), q(out), np, n >pre
	printf "head = %s\n", q(sprintf("pmtr beside its peers: %s run, medians of %s runs, %s, %s CPUs, Linux %s (lower is better)", mode, reps, date, nproc, kernel)) >pre
}' "$JSON" || exit 1
[ -s "$TMP/data" ] || { say "chart: no results in $JSON"; exit 1; }
if ! gnuplot "$TMP/prelude.gp" "$DIR/chart.gp" 2>"$TMP/err"; then
	say "chart: gnuplot failed: $(head -c 600 "$TMP/err")"
	exit 1
fi
say "wrote $SVG"
