# bench/logs.sh: log files (issue 26), sourced by bench/bench.sh. SPDX-License-Identifier: MIT
#
# A job writes LOG_MB megabytes of numbered 100-byte lines (bench/lines.c) as fast
# as it can to its stdout, through pmtr's `log file` with `log rotate size 100M keep
# 20`, through svlogd (runit; config s100000000, n20) and through s6-log (s6;
# `s6-log n20 s100000000 DIR`), idle and with one CPU kept busy. Figures: the wall
# time from the writer's start until the log files in the directory (current and
# rotated ones) hold every byte, and the logger's user+sys CPU time per GB (pmtr
# itself from the writer's start; svlogd and s6-log from wait4 once they exit at the
# end of their input); each run's files are then checked line by line (none lost,
# none doubled, none cut) and removed. Peers are in the runit and s6 columns.
# Sizes for a trial: BENCH_LOG_MB (1000; 200 with --quick), BENCH_LOG_REPS (3),
# BENCH_LOG_DIR (where the files go; default a tmpfs if memory allows, see below).
# shellcheck shell=bash disable=SC2154,SC2034

LOG_MB=${BENCH_LOG_MB:-$([ "$QUICK" = 1 ] && echo 200 || echo 1000)}
LOG_REPS=${BENCH_LOG_REPS:-3}
LOG_LINES=$((LOG_MB * 10000))
LOG_N=${LOG_MB}MB	# the results' n: never the same as a case of N jobs
LINES=$BIN/lines

# The files of one run on the benchmark's directory (a tmpfs, /dev/shm, when there
# is one) if the memory available holds them twice over, else on disk under /tmp.
log_dir_parent() {
	local avail_mb
	if [ -n "${BENCH_LOG_DIR:-}" ]; then echo "$BENCH_LOG_DIR"; return; fi
	avail_mb=$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)
	if [ "$(stat -f -c %T "$TMP")" = tmpfs ] && [ "$avail_mb" -lt $((2 * LOG_MB + 512)) ]; then
		say "log files: ${avail_mb} MiB available, too little for $LOG_MB MB on tmpfs: on disk (/tmp)"
		mkdir -p /tmp/pmtr-bench-logs.$$ && echo /tmp/pmtr-bench-logs.$$
		return
	fi
	echo "$TMP"
}

# One run: prints "WALL_MS CPU_MS" or a line starting "timeout"; the files stay
# in $LDIR/out for the check.
log_run() {	# logger
	local d=$LDIR pid out
	rm -rf "$d"
	mkdir -p "$d/out"
	case $1 in
	pmtr)
		printf 'job {\n  name w\n  cmd %s write %s %s/start\n  once\n  log file %s/out/job.log\n  log rotate size 100M keep 20\n}\n' \
			"$LINES" "$LOG_LINES" "$d" "$d" >"$d/pmtr.conf"
		"$PMTR" -F -s "$d/sock" -c "$d/pmtr.conf" </dev/null >"$d/pmtr.log" 2>&1 &
		pid=$!
		echo "$pid $d" >>"$TMP/roots"
		out=$("$LINES" wait "$LOG_LINES" "$d/out" "$d/start" "$pid" 600)
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null ;;
	runit)
		printf 's100000000\nn20\n' >"$d/out/config"
		out=$("$LINES" pipe "$LOG_LINES" "$d/out" "$(command -v svlogd)" "$d/out") ;;
	s6)
		out=$("$LINES" pipe "$LOG_LINES" "$d/out" "$(command -v s6-log)" n20 s100000000 "$d/out") ;;
	esac
	echo "$out"
}

log_bench() {
	local -A LOG_LOST=()
	local loggers="" l rep busy out wall cpu check lines bad dup missing last files
	for l in pmtr runit s6; do [[ " $ACTIVE " == *" $l "* ]] && loggers+="$l "; done
	[ -n "$loggers" ] || return 0
	[ -x "$LINES" ] || { say "log files: no $LINES (make bench builds it)"; return 0; }
	LDIR=$(log_dir_parent)/logs
	LOG_FS=$(stat -f -c %T "${LDIR%/logs}")	# for bench.sh's note under the table
	say "log files: $LOG_MB MB of 100-byte lines, $LOG_REPS runs, in $LDIR ($LOG_FS); loggers: $loggers"
	for ((rep = 1; rep <= LOG_REPS; rep++)); do
		for busy in "" busy; do
			for l in $loggers; do
				[ -n "$busy" ] && busy_start
				out=$(log_run "$l")
				[ -n "$busy" ] && busy_stop
				case $out in
				timeout*|"") say "log files, $l${busy:+, one CPU busy}: $out"; continue ;;
				esac
				read -r wall cpu <<<"$out"
				add "$l" "log${busy:+_busy}_wall_ms" "$LOG_N" "$wall"
				add "$l" "log${busy:+_busy}_cpu_ms_gb" "$LOG_N" "$(awk "BEGIN {printf \"%.1f\", $cpu * 1000 / $LOG_MB}")"
				shopt -s nullglob
				files=("$LDIR"/out/job.log* "$LDIR"/out/curren[t] "$LDIR"/out/@*)	# [t]: nullglob drops it when missing
				shopt -u nullglob
				check=$("$LINES" check "$LOG_LINES" "${files[@]}")
				read -r lines bad dup missing last <<<"$check"
				# lost: lines missing, doubled or cut; the last line must be there
				LOG_LOST[$l]=$((${LOG_LOST[$l]:-0} + missing + dup + bad + (last == 1 ? 0 : 1)))
				say "log files, $l${busy:+, one CPU busy}: ${wall} ms, ${cpu} ms CPU; $lines lines ($bad bad, $dup doubled, $missing missing, last $([ "$last" = 1 ] && echo there || echo MISSING))"
				rm -rf "$LDIR"
			done
		done
	done
	for l in "${!LOG_LOST[@]}"; do add "$l" log_lost "$LOG_N" "${LOG_LOST[$l]}"; done
	[ "${LDIR#/tmp/pmtr-bench-logs.}" != "$LDIR" ] && rm -rf "${LDIR%/logs}"
	say "log files: done ($((SECONDS - T_START))s)"
}
