#!/bin/bash
# bench/bench.sh: pmtr beside supervisord, runit and s6 on this machine, plus the
# floor (a C loop that fork+execs, a process idle in epoll_wait).
# SPDX-License-Identifier: MIT
#
#   bench/bench.sh [--quick] [--json FILE] [--svg FILE] [--pmtr PATH] [--pmtrctl PATH]
#                  [--peers "pmtr supervisord runit s6"] [--no-install] [--keep]
#                  [--only "start idle crash logs"]
#   (--svg: the chart, by bench/chart.sh; default: FILE of --json, .svg for .json)
#
# Needs root (the process events connector, SO_RCVBUFFORCE, apt-get for missing
# peers). Everything runs in a temporary directory; nothing in /etc or /run is
# touched. doc/performance.md explains each figure. The sizes can be changed for a
# trial: BENCH_NS (default "1 100 1000"), BENCH_BUSY_N (the start with one CPU
# busy, 1000), BENCH_BIG_N (pmtr and the floor only, 10000 in a full run, none
# with --quick); bench/logs.sh those of the log files. --only (or BENCH_ONLY) runs
# only the sections named: start (with memory, status, reload, restart, edits,
# shutdown), idle, crash, logs.
# pid lists and launch commands are split on purpose; sh -c scripts in single quotes
# shellcheck disable=SC2086,SC2046,SC2016
set -u
export LC_ALL=C

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$SRC_DIR/.." && pwd)
QUICK=0
JSON=""
SVG=""
PMTR=""
PMTRCTL=""
PEERS="pmtr supervisord runit s6"
INSTALL=1
KEEP=0
ONLY=${BENCH_ONLY:-start idle crash logs}

usage() { sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,2\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--json) JSON=$2; shift ;;
	--json=*) JSON=${1#*=} ;;
	--svg) SVG=$2; shift ;;
	--pmtr) PMTR=$2; shift ;;
	--pmtrctl) PMTRCTL=$2; shift ;;
	--peers) PEERS=$2; shift ;;
	--no-install) INSTALL=0 ;;
	--keep) KEEP=1 ;;
	--only) ONLY=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; usage >&2; exit 1 ;;
	esac
	shift
done
: "${PMTR:=${BENCH_BUILDDIR:-$TOP}/src/pmtr}"
: "${PMTRCTL:=$(dirname "$PMTR")/pmtrctl}"
: "${JSON:=$SRC_DIR/results.json}"
: "${SVG:=${JSON%.json}.svg}"

if [ "$QUICK" = 1 ]; then
	REPS=3 CELL_CAP=12 IDLE_WIN=6 IDLE_N=3 CRASH_SEC=10 BIG_N=${BENCH_BIG_N-}
else
	REPS=5 CELL_CAP=150 IDLE_WIN=12 IDLE_N=5 CRASH_SEC=10 BIG_N=${BENCH_BIG_N-10000}
fi
BUSY_N=${BENCH_BUSY_N:-1000}
EDITS=30	# one-job edits of the file of BIG_N jobs

say() { printf 'bench: %s\n' "$*" >&2; }
want() { [[ " $ONLY " == *" $1 "* ]]; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (process events connector, peers' installation)"
[ -x "$PMTR" ] || die "no pmtr at $PMTR: build it first (make)"
[ -x "$PMTRCTL" ] || die "no pmtrctl at $PMTRCTL"

# tmpfs when there is one (service directories live on /run, a tmpfs, in real use)
if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=/tmp
	[ -d /dev/shm ] && [ -w /dev/shm ] && ! grep -q ' /dev/shm .*noexec' /proc/mounts && BENCH_TMPDIR=/dev/shm
fi
TMP=$(mktemp -d "$BENCH_TMPDIR/pmtr-bench.XXXXXX") || die "mktemp"
RUNID=$(( $$ % 1000 ))$(( RANDOM % 1000 ))
PREFIX=86400.$RUNID	# every job's marker starts with this
SEQ=0
T_START=$SECONDS

cleanup() {
	local pid
	trap - EXIT INT TERM
	# Supervisors this run started (their cmdline names $TMP), their trees, then
	# any job that still carries one of this run's markers.
	if [ -n "${OBS:-}" ] && [ -x "$OBS" ]; then
		if [ -s "$TMP/roots" ]; then
			while read -r pid key; do
				kill_instance "$pid" "$key"
			done <"$TMP/roots"
		fi
		for p in $("$OBS" markers "$PREFIX"); do kill -9 "$p" 2>/dev/null; done
	fi
	[ -n "${BUSY:-}" ] && wait "$BUSY" 2>/dev/null	# reaped quietly
	say "clean-up: killed leftovers ($((SECONDS - T_START))s)"
	if [ "$KEEP" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
	rm -rf "/tmp/pmtr-bench-logs.$$"	# bench/logs.sh's files when on disk
	say "clean-up: done ($((SECONDS - T_START))s)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers: built by make (bench/ in the build tree) or compiled here ----
BIN=${BENCH_BINDIR:-}
if [ -z "$BIN" ] || [ ! -x "$BIN/observe" ]; then
	BIN=$TMP/bin
	mkdir -p "$BIN"
	for h in observe floor-forkexec floor-idle lines; do
		${CC:-cc} -O2 -o "$BIN/$h" "$SRC_DIR/$h.c" || die "cannot compile bench/$h.c"
	done
fi
OBS=$BIN/observe
FLOOR=$BIN/floor-forkexec
IDLE=$BIN/floor-idle

# ---- peers: install what is missing ----
need_pkg() {	# peer command package
	if ! command -v "$2" >/dev/null 2>&1 && [ "$INSTALL" = 1 ] && command -v apt-get >/dev/null; then
		say "installing $3 for $1"
		if [ ! -e "$TMP/apt-updated" ]; then
			apt-get update -qq >/dev/null 2>&1; touch "$TMP/apt-updated"
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$3" >/dev/null 2>&1
	fi
	command -v "$2" >/dev/null 2>&1 && return 0
	say "skipping $1: $2 not installed (package $3)"
	return 1
}
ACTIVE="floor"
for p in $PEERS; do
	case $p in
	pmtr) ACTIVE="$ACTIVE pmtr" ;;
	supervisord) need_pkg supervisord supervisord supervisor && need_pkg supervisord supervisorctl supervisor &&
		ACTIVE="$ACTIVE supervisord" ;;
	runit) need_pkg runit runsvdir runit && ACTIVE="$ACTIVE runit" ;;
	s6) need_pkg s6 s6-svscan s6 && ACTIVE="$ACTIVE s6" ;;
	*) say "unknown peer $p" ;;
	esac
done
PEER_LIST=${ACTIVE#floor }

# ---- results: R[peer|metric|n] = "v1 v2 ..." ----
declare -A R
add() { R["$1|$2|$3"]="${R["$1|$2|$3"]:-}${R["$1|$2|$3"]:+ }$4"; }
median() {	# values... -> median ("" if none)
	[ $# -eq 0 ] && return
	printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.10g\n", (v[NR/2]+v[NR/2+1])/2}'
}
med() { median ${R["$1|$2|$3"]:-}; }

new_tag() { SEQ=$((SEQ + 1)); TAG=$PREFIX$(printf '%03d' $SEQ); }

# ---- configuration of one instance: DIR, N jobs of CMD (sleep or false) ----
JOBCMD=/bin/sleep
# The job's command line; set by set_job (no subshell: fork+exec is slow on some
# machines, and instances of 1000 jobs are set up many times).
set_job() { JOB="$JOBCMD $TAG"; }

setup_pmtr() {	# dir n [extra]
	local i extra=${3:-} out=""
	set_job
	for ((i = 1; i <= $2; i++)); do
		out+=$'job {\n  name j'$i$'\n  cmd '$JOB$'\n'$extra$'}\n'
	done
	printf '%s' "$out" >"$1/pmtr.conf"
}
setup_supervisord() {
	local i out=""
	set_job
	for ((i = 1; i <= $2; i++)); do
		out+=$'[program:j'$i$']\ncommand='$JOB$'\nstdout_logfile=NONE\nstderr_logfile=NONE\n'
	done
	{
		printf '[unix_http_server]\nfile=%s/supervisor.sock\n' "$1"
		printf '[supervisord]\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\n' "$1" "$1"
		# minfds: room for each job's pipes, no more: supervisord closes every
		# descriptor below it in each child it forks
		printf 'nodaemon=true\nminfds=%d\nminprocs=%d\nchilddir=%s\n' $((1024 + 4 * $2)) $((200 + 2 * $2)) "$1"
		printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n'
		printf '[supervisorctl]\nserverurl=unix://%s/supervisor.sock\n' "$1"
		printf '%s' "$out"
	} >"$1/supervisord.conf"
}
# Service directories: one mkdir and one chmod for all of them.
mk_svdirs() {	# parent n-or-name...
	local parent=$1 d dirs=()
	shift
	set_job
	for d in "$@"; do dirs+=("$parent/$d"); done
	mkdir -p "${dirs[@]}"
	for d in "${dirs[@]}"; do printf '#!/bin/sh\nexec %s\n' "$JOB" >"$d/run"; done
	chmod +x "${dirs[@]/%//run}"
}
setup_runit() {
	local i names=()
	for ((i = 1; i <= $2; i++)); do names+=("j$i"); done
	mk_svdirs "$1/sv" "${names[@]}"
}
setup_s6() { setup_runit "$@"; }

launch_cmd() {	# peer dir n
	case $1 in
	floor) set_job; echo "$FLOOR $3 $JOB" ;;
	pmtr) echo "$PMTR -F -s $2/sock -c $2/pmtr.conf" ;;
	supervisord) echo "$(command -v supervisord) -c $2/supervisord.conf" ;;
	runit) echo "$(command -v runsvdir) -P $2/sv" ;;
	s6) echo "$(command -v s6-svscan) -c 4096 $2/sv" ;;
	esac
}
status_cmd() {	# peer dir -> STATUS=(command)
	case $1 in
	floor) STATUS=(/bin/true) ;;
	pmtr) STATUS=("$PMTRCTL" -s "$2/sock" status) ;;
	supervisord) STATUS=("$(command -v supervisorctl)" -c "$2/supervisord.conf" status) ;;
	runit) STATUS=("$(command -v sv)" status "$2"/sv/j*) ;;
	s6)	# s6-svstat takes one service directory: the shell loop is the client
		printf 'for d in %s/sv/j*; do %s "$d"; done\n' "$2" "$(command -v s6-svstat)" >"$2/s6-status"
		STATUS=(/bin/sh "$2/s6-status") ;;
	esac
}
# Actions (bench/observe.c) that add job jNEW and make the peer notice it.
reload_actions() {	# peer dir
	case $1 in
	pmtr)
		set_job
		ACTIONS=(append "$2/pmtr.conf" $'job {\n  name jnew\n  cmd '"$JOB"$'\n  restart delay 0\n}\n') ;;
	supervisord)
		set_job
		printf '[program:jnew]\ncommand=%s\nstdout_logfile=NONE\nstderr_logfile=NONE\n' "$JOB" >>"$2/supervisord.conf"
		ACTIONS=(runwait "$(command -v supervisorctl)" -c "$2/supervisord.conf" update) ;;
	runit)
		mk_svdirs "$2/new" jnew
		ACTIONS=(rename "$2/new/jnew" "$2/sv/jnew") ;;
	s6)
		mk_svdirs "$2/new" jnew
		ACTIONS=(rename "$2/new/jnew" "$2/sv/jnew" \; run "$(command -v s6-svscanctl)" -a "$2/sv") ;;
	esac
}
stop_actions() {	# peer dir root
	case $1 in
	runit) ACTIONS=(kill "$3" 1) ;;	# runsvdir: TERM to each runsv, which stops its job and exits
	s6) ACTIONS=(runwait "$(command -v s6-svscanctl)" -t "$2/sv") ;;
	*) ACTIONS=(kill "$3" 15) ;;
	esac
}

# Is PID still the process this run started? Its command line names KEY (its
# directory under $TMP, or its job marker).
ours() {	# pid key
	[ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -F -- "$2"
}
kill_instance() {	# root key [tag]: the root, its descendants, the tag's jobs
	local p
	if ours "$1" "$2"; then
		for p in $("$OBS" tree "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	fi
	case ${3:-} in
	"$PREFIX"?*) for p in $("$OBS" markers "$3"); do kill -9 "$p" 2>/dev/null; done ;;
	esac
}

# Stop an instance as its operator would (pmtr then removes its cgroups), unmeasured;
# what is left after 10 s is killed.
end_instance() {	# peer root dir tag
	stop_actions "$1" "$3" "$2"
	"$OBS" -t 10000 -m "$4" gone $("$OBS" tree "$2" "$4") \; "${ACTIONS[@]}" >/dev/null
	kill_instance "$2" "$3" "$4"
}

# One CPU kept busy by a plain shell loop (issue 17) while a start is measured.
# Its command line names $TMP, so that the clean-up finds it on any exit.
busy_start() {
	sh -c 'while :; do :; done' "$TMP/busy" </dev/null >/dev/null 2>&1 &
	BUSY=$!
	echo "$BUSY $TMP/busy" >>"$TMP/roots"
	sleep 0.1
}
busy_stop() { kill -9 "$BUSY" 2>/dev/null; wait "$BUSY" 2>/dev/null; }

# Start an instance; sets ROOT and START_MS (or fails).
launch() {	# peer dir n
	local out
	launch_cmd "$@" >"$2/cmd"
	out=$("$OBS" -t 180000 -m "$TAG" -n "$(($3 > 0 ? $3 : 1))" -o "$2/log" start $(launch_cmd "$@"))
	ROOT=${out%% *}
	echo "$ROOT $([ "$1" = floor ] && echo "$TAG" || echo "$2")" >>"$TMP/roots"
	START_MS=${out#* }
	case $START_MS in
	*timeout*) say "$1: start of $3 jobs timed out ($START_MS)"; return 1 ;;
	esac
	return 0
}

age_at_least() {	# ms since
	while [ $((${EPOCHREALTIME/./} / 1000 - $2)) -lt "$1" ]; do sleep 0.05; done
}

# One full instance: start, memory, status, reload and restart (100 jobs), edits
# (BIG_N jobs), shutdown. With "busy": the start only, with one CPU kept busy.
instance() {	# peer n [busy]
	local peer=$1 n=$2 busy=${3:-} dir sup t status_ms out ok=0
	new_tag
	dir=$TMP/$peer-$n-$SEQ
	mkdir -p "$dir"
	JOBCMD=/bin/sleep
	[ "$peer" = floor ] || "setup_$peer" "$dir" "$n" "  restart delay 0"$'\n'
	local ready_ms
	[ -n "$busy" ] && busy_start
	launch "$peer" "$dir" "$n" && ok=1
	[ -n "$busy" ] && busy_stop
	if [ "$ok" = 0 ]; then
		kill_instance "$ROOT" "$dir" "$TAG"
		return 1
	fi
	add "$peer" "start${busy:+_busy}_ms" "$n" "$START_MS"
	ready_ms=$((${EPOCHREALTIME/./} / 1000))
	[ -n "$busy" ] || measure_running
	stop_instance
	return 0
}

# The figures of a running instance (instance's variables): memory, status,
# reload and restart, edits.
measure_running() {
	sleep 0.3
	if [ "$peer" != floor ]; then
		sup=$("$OBS" tree "$ROOT" "$TAG")
		read -r rss pss _ <<<"$("$OBS" usage $sup)"
		add "$peer" rss_kb "$n" "$rss"
		add "$peer" pss_kb "$n" "$pss"
		add "$peer" procs "$n" "$(echo $sup | wc -w)"
	fi
	if [ "$n" -ge 100 ]; then
		status_cmd "$peer" "$dir"
		out=$("$OBS" time 1 "${STATUS[@]}")
		status_ms=${out% *}
		if awk "BEGIN {exit !($status_ms < 300)}"; then
			out=$("$OBS" time 3 "${STATUS[@]}")
			status_ms=${out% *}
		fi
		[ "${out#* }" = 0 ] || say "$peer: status client exited ${out#* }"
		add "$peer" status_ms "$n" "$status_ms"
	fi
	if [ "$n" = 100 ] && [ "$peer" != floor ]; then
		reload_actions "$peer" "$dir"
		out=$("$OBS" -t 20000 -m "$TAG" -n 1 act "${ACTIONS[@]}")
		case $out in *timeout*) say "$peer: reload timed out" ;; *) add "$peer" reload_ms 100 "$out" ;; esac
		# runit, s6 and supervisord throttle a job that dies within 1 s of its start
		age_at_least 1200 "$ready_ms"
		local victim
		victim=$("$OBS" markers "$TAG" | head -1)
		out=$("$OBS" -t 20000 -m "$TAG" -n 1 act kill "$victim" 9)
		case $out in *timeout*) say "$peer: restart timed out" ;; *) add "$peer" restart_ms 100 "$out" ;; esac
		sleep 0.2
	fi
	if [ "$n" = "$BIG_N" ] && [ "$peer" = pmtr ]; then
		edit_jobs "$dir" "$n"
	fi
}

# One-job edits of pmtr's file of N jobs (issue 17), saved as an editor does: a
# copy with one more job changed is renamed over the file. Each gives a job an
# environment variable, which restarts it; the time is from the rename until its
# new exec. pmtr's RSS before and after the edits shows what reloads leave behind.
edit_jobs() {	# dir n (pmtr in ROOT, its jobs marked TAG)
	local k out before after times=()
	read -r before _ <<<"$("$OBS" usage "$ROOT")"
	for ((k = 1; k <= EDITS && k <= $2; k++)); do
		sed "s/^  name j$k\$/&\n  env BENCH_EDIT=$k/" "$1/pmtr.conf" >"$1/edit.conf"
		out=$("$OBS" -t 20000 -m "$TAG" -n 1 act rename "$1/edit.conf" "$1/pmtr.conf")
		case $out in *timeout*) say "pmtr: edit $k of $2 jobs timed out" ;; *) times+=("$out") ;; esac
	done
	sleep 0.3
	read -r after _ <<<"$("$OBS" usage "$ROOT")"
	[ ${#times[@]} -gt 0 ] && add pmtr edit_ms "$2" "$(median "${times[@]}")"
	add pmtr edit_rss_before_kb "$2" "$before"
	add pmtr edit_rss_after_kb "$2" "$after"
	add pmtr edit_rss_ratio "$2" "$(awk "BEGIN {printf \"%.3f\", $after / $before}")"
}

# Shutdown (instance's variables): recorded except after a busy start.
stop_instance() {
	local left
	# jobs that have run 1 s: runit, s6 and supervisord treat younger ones as starting
	age_at_least 1200 "$ready_ms"
	stop_actions "$peer" "$dir" "$ROOT"
	sup=$("$OBS" tree "$ROOT" "$TAG")
	out=$("$OBS" -t 30000 -m "$TAG" gone $sup \; "${ACTIONS[@]}")
	read -r t left <<<"$out"
	if [ "$t" = "-1.000" ]; then
		say "$peer: shutdown of $n jobs did not finish in 30 s ($left jobs left)"
	elif [ -z "$busy" ]; then
		add "$peer" shutdown_ms "$n" "$t"
	fi
	[ -n "$busy" ] || add "$peer" left "$n" "$left"
	kill_instance "$ROOT" "$dir" "$TAG"
	[ "$KEEP" = 1 ] || rm -rf "$dir"
}

machine() {
	NPROC=$(nproc)
	KERNEL=$(uname -r)
	CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
	DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	MEM_MB=$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)
	LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
}
machine
say "$NPROC cores, kernel $KERNEL, $CPU; peers: $PEER_LIST; $([ $QUICK = 1 ] && echo quick || echo full) run, $REPS repeats"
say "pmtr: $PMTR"

# ---- 1. start, memory, status, reload, restart, shutdown ----
# Repeats are interleaved (floor, pmtr, peers, floor, pmtr, ...) so that a machine
# whose speed drifts (shared hosts) biases every column alike. A case is N jobs, or
# busyN: the start of N jobs with one CPU kept busy. Skips and short cells are
# recorded by case (R[peer|skip|case], R[peer|runs|case]), the figures by N.
declare -A CELL_T LAST WHY
skip() {	# peer case why
	R["$1|skip|$2"]=1 WHY["$1|$2"]=$3
}
case_of() {	# metric n -> the case that measures it
	case $1 in start_busy_ms) echo "busy$2" ;; *) echo "$2" ;; esac
}
if want start; then
	for c in ${BENCH_NS:-1 100 1000} "busy$BUSY_N" $BIG_N; do
		n=${c#busy} busy=${c%%[0-9]*}
		what="$n jobs${busy:+, one CPU busy}"
		# pmtr takes its hard open-file limit and holds a pipe per job: room for two
		# where it can be had (CAP_SYS_RESOURCE), one at least
		hard=$(ulimit -Hn)
		if [ "$n" = "$BIG_N" ] && [ "$hard" != unlimited ] && [ "$hard" -lt $((2 * n + 1024)) ] &&
			! ulimit -Hn $((2 * n + 1024)) 2>/dev/null && [ "$hard" -lt $((n + 1024)) ]; then
			say "$n jobs: open-file limit $hard, cannot raise it to $((2 * n + 1024)): pmtr may fail"
		fi
		for peer in $ACTIVE; do
			CELL_T[$peer]=0 LAST[$peer]=0
			if [ "$QUICK" = 1 ] && [ "$peer" = supervisord ] && [ "$n" = 1000 ]; then
				say "supervisord, $what: not in --quick (one run takes 10 to 40 s)"
				skip "$peer" "$c" "not in --quick"
			elif [ "$c" = "$BIG_N" ] && [ "$peer" != pmtr ] && [ "$peer" != floor ]; then
				say "$peer, $what: not run (pmtr and the floor only)"
				skip "$peer" "$c" "not run"
			fi
		done
		for ((rep = 1; rep <= REPS; rep++)); do
			for peer in $ACTIVE; do
				[ -n "${R["$peer|skip|$c"]:-}" ] && continue
				[ -n "${R["$peer|runs|$c"]:-}" ] && continue
				if [ $rep -gt 1 ] && [ $((CELL_T[$peer] + LAST[$peer])) -gt $CELL_CAP ]; then
					say "$peer, $what: $((rep - 1)) runs only (each takes ${LAST[$peer]}s)"
					R["$peer|runs|$c"]=$((rep - 1))
					continue
				fi
				t_rep=$SECONDS
				instance "$peer" "$n" "$busy"
				LAST[$peer]=$((SECONDS - t_rep))
				CELL_T[$peer]=$((CELL_T[$peer] + LAST[$peer]))
			done
		done
		for peer in $ACTIVE; do
			[ -n "${R["$peer|skip|$c"]:-}" ] && continue
			if [ -n "$busy" ]; then
				say "$peer, $what: start $(med "$peer" start_busy_ms "$n") ms ($((SECONDS - T_START))s)"
			else
				say "$peer, $n jobs: start $(med "$peer" start_ms "$n") ms, rss $(med "$peer" rss_kb "$n") kB, shutdown $(med "$peer" shutdown_ms "$n") ms ($((SECONDS - T_START))s)"
			fi
		done
	done
fi

# ---- 2. idle: every peer with 100 jobs at once, plus floor-idle ----
if want idle; then
	declare -A IROOT
	for peer in $PEER_LIST; do
		new_tag
		dir=$TMP/$peer-idle
		mkdir -p "$dir"
		JOBCMD=/bin/sleep
		"setup_$peer" "$dir" 100
		launch_cmd "$peer" "$dir" 100 >"$dir/cmd"
		"$OBS" -m "$TAG" -n 0 -o "$dir/log" start $(launch_cmd "$peer" "$dir" 100) >"$dir/start"
		ROOT=$(cut -d' ' -f1 "$dir/start")
		echo "$ROOT $dir" >>"$TMP/roots"
		IROOT[$peer]="$ROOT $dir $TAG"
	done
	for peer in $PEER_LIST; do	# wait for the 100 jobs of each
		read -r root dir tag <<<"${IROOT[$peer]}"
		for ((i = 0; i < 600; i++)); do
			[ "$("$OBS" markers "$tag" | wc -l)" -ge 100 ] && break
			sleep 0.1
		done
	done
	# pmtr with 1000 scheduled jobs, none due within the next minute (issue 25): it
	# must wake only for a due time, never to look.
	if [[ " $PEER_LIST " == *" pmtr "* ]]; then
		new_tag
		dir=$TMP/pmtr-sched
		mkdir -p "$dir"
		JOBCMD=/bin/sleep
		setup_pmtr "$dir" 1000 $'  schedule every 1h\n  schedule jitter 10m\n'
		"$OBS" -m "$TAG" -n 0 -o "$dir/log" start $(launch_cmd pmtr "$dir" 1000) >"$dir/start"
		ROOT=$(cut -d' ' -f1 "$dir/start")
		echo "$ROOT $dir" >>"$TMP/roots"
		IROOT[sched]="$ROOT $dir $TAG"
	fi
	"$IDLE" "$TMP" </dev/null >/dev/null 2>&1 &
	IDLE_PID=$!
	disown "$IDLE_PID"
	echo "$IDLE_PID $TMP" >>"$TMP/roots"
	IROOT[floor]="$IDLE_PID $TMP $PREFIX.none"
	sleep 1.5
	declare -A ISUP
	for peer in "${!IROOT[@]}"; do
		read -r root dir tag <<<"${IROOT[$peer]}"
		ISUP[$peer]=$("$OBS" tree "$root" "$tag")
		read -r rss pss _ <<<"$("$OBS" usage ${ISUP[$peer]})"
		[ "$peer" = floor ] && for n in 1 100 1000; do add floor rss_kb $n "$rss"; add floor pss_kb $n "$pss"; add floor procs $n 1; done
	done
	for ((w = 1; w <= IDLE_N; w++)); do
		declare -A B
		for peer in "${!ISUP[@]}"; do B[$peer]=$("$OBS" usage ${ISUP[$peer]}); done
		sleep "$IDLE_WIN"
		for peer in "${!ISUP[@]}"; do
			read -r _ _ c0 v0 n0 <<<"${B[$peer]}"
			read -r _ _ c1 v1 n1 <<<"$("$OBS" usage ${ISUP[$peer]})"
			p=$peer metric=idle n=100
			[ "$peer" = sched ] && p=pmtr metric=idle_sched n=1000
			add "$p" ${metric}_cpu_ms_min $n "$(awk "BEGIN {printf \"%.3f\", ($c1 - $c0) / 1e6 * 60 / $IDLE_WIN}")"
			add "$p" ${metric}_csw_min $n "$(awk "BEGIN {printf \"%.1f\", ($v1 + $n1 - $v0 - $n0) * 60 / $IDLE_WIN}")"
		done
	done
	say "idle: done ($((SECONDS - T_START))s)"
	for peer in "${!IROOT[@]}"; do
		read -r root dir tag <<<"${IROOT[$peer]}"
		end_instance "${peer/#sched/pmtr}" "$root" "$dir" "$tag"
	done
fi

# ---- 3. crash loop: 50 jobs of /bin/false, default throttles, all peers at once ----
if want crash; then
	crash_reps=$REPS
	[ "$QUICK" = 1 ] && crash_reps=1
	for ((rep = 1; rep <= crash_reps; rep++)); do
		declare -A CROOT=()
		for peer in $PEER_LIST; do
			# the same N repeats side by side in --quick, one after the other otherwise
			for ((k = 1; k <= (QUICK ? REPS : 1); k++)); do
				new_tag
				dir=$TMP/$peer-crash-$SEQ
				mkdir -p "$dir"
				JOBCMD=/bin/false
				"setup_$peer" "$dir" 50
				launch_cmd "$peer" "$dir" 50 >"$dir/cmd"
				"$OBS" -m "$TAG" -n 0 -o "$dir/log" start $(launch_cmd "$peer" "$dir" 50) >"$dir/start"
				root=$(cut -d' ' -f1 "$dir/start")
				echo "$root $dir" >>"$TMP/roots"
				CROOT[$peer.$k]="$root $dir $TAG"
			done
		done
		sleep 1
		declare -A C0=() CSUP=() CPID=()
		for key in "${!CROOT[@]}"; do
			read -r root dir tag <<<"${CROOT[$key]}"
			CSUP[$key]=$("$OBS" tree "$root" "$tag")
			C0[$key]=$("$OBS" usage ${CSUP[$key]})
			"$OBS" crashes $((CRASH_SEC * 1000)) ${CSUP[$key]} >"$TMP/crash.$key" &
			CPID[$key]=$!
		done
		wait "${CPID[@]}"
		for key in "${!CROOT[@]}"; do
			peer=${key%.*}
			read -r root dir tag <<<"${CROOT[$key]}"
			read -r _ _ c0 _ <<<"${C0[$key]}"
			read -r _ _ c1 _ <<<"$("$OBS" usage ${CSUP[$key]})"
			restarts=$(cat "$TMP/crash.$key")
			cpu=$(awk "BEGIN {printf \"%.3f\", ($c1 - $c0) / 1e6}")
			add "$peer" crash_cpu_ms 50 "$cpu"
			add "$peer" crash_restarts 50 "$restarts"
			[ "$restarts" -gt 0 ] && add "$peer" crash_cpu_per_restart_ms 50 "$(awk "BEGIN {printf \"%.4f\", $cpu / $restarts}")"
			end_instance "$peer" "$root" "$dir" "$tag"
		done
	done
	say "crash loop: done ($((SECONDS - T_START))s)"
fi

# ---- 4. log files (issue 26): bench/logs.sh ----
# shellcheck source=bench/logs.sh
. "$SRC_DIR/logs.sh"
want logs && log_bench

# ---- output ----
TOTAL=$((SECONDS - T_START))
fmt() {	# value unit-kind -> text
	case $2 in
	mb) awk "BEGIN {printf \"%.2f MiB\", $1 / 1024}" ;;
	ms) awk "BEGIN {v = $1; if (v >= 100) printf \"%.0f ms\", v; else if (v >= 10) printf \"%.1f ms\", v; else printf \"%.2f ms\", v}" ;;
	ms3) awk "BEGIN {printf \"%.3f ms\", $1}" ;;
	s) awk "BEGIN {printf \"%.2f s\", $1 / 1000}" ;;
	n) awk "BEGIN {v = $1; if (v == int(v)) printf \"%d\", v; else printf \"%.1f\", v}" ;;
	esac
}
cell() {	# peer metric n kind
	local v p c
	v=$(med "$1" "$2" "$3")
	c=$(case_of "$2" "$3")
	[ -n "${R["$1|skip|$c"]:-}" ] && { echo "${WHY["$1|$c"]}"; return; }
	[ -z "$v" ] && { echo "–"; return; }
	printf '%s' "$(fmt "$v" "$4")"
	[ -n "${R["$1|runs|$c"]:-}" ] && case $2 in start_ms|start_busy_ms|rss_kb|pss_kb|shutdown_ms|status_ms|edit_*) printf ' (%s run%s)' "${R["$1|runs|$c"]}" "$([ "${R["$1|runs|$c"]}" = 1 ] || echo s)" ;; esac
	[ "$1" = pmtr ] && return
	p=$(med pmtr "$2" "$3")
	if [ -n "$p" ]; then
		awk "BEGIN {p = $p; v = $v; if (p > 0) printf (v / p < 10 ? \" (%.2f×)\" : \" (%.0f×)\"), v / p; else if (v > 0) printf \" (∞)\"; else printf \" (=)\"}"
	fi
}
ROWS=(
	"start, 1 job|start_ms|1|ms"
	"start, 100 jobs|start_ms|100|ms"
	"start, 1000 jobs|start_ms|1000|ms"
	"start, $BUSY_N jobs, one CPU busy|start_busy_ms|$BUSY_N|ms"
	"start, $BIG_N jobs|start_ms|$BIG_N|ms"
	"RSS, 1 job|rss_kb|1|mb"
	"RSS, 100 jobs|rss_kb|100|mb"
	"RSS, 1000 jobs|rss_kb|1000|mb"
	"RSS, $BIG_N jobs|rss_kb|$BIG_N|mb"
	"PSS, 1 job|pss_kb|1|mb"
	"PSS, 100 jobs|pss_kb|100|mb"
	"PSS, 1000 jobs|pss_kb|1000|mb"
	"PSS, $BIG_N jobs|pss_kb|$BIG_N|mb"
	"supervisor processes, 1000 jobs|procs|1000|n"
	"idle CPU per minute, 100 jobs|idle_cpu_ms_min|100|ms3"
	"idle context switches per minute, 100 jobs|idle_csw_min|100|n"
	"idle context switches per minute, 1000 scheduled jobs|idle_sched_csw_min|1000|n"
	"reload: job added until it runs|reload_ms|100|ms"
	"edit of one job of $BIG_N until it runs again (median of $EDITS)|edit_ms|$BIG_N|ms"
	"RSS before $EDITS one-job edits, $BIG_N jobs|edit_rss_before_kb|$BIG_N|mb"
	"RSS after $EDITS one-job edits, $BIG_N jobs|edit_rss_after_kb|$BIG_N|mb"
	"restart: SIGKILL until the new one runs|restart_ms|100|ms"
	"crash loop: CPU in ${CRASH_SEC} s, 50 × /bin/false|crash_cpu_ms|50|ms"
	"crash loop: restarts in ${CRASH_SEC} s|crash_restarts|50|n"
	"crash loop: CPU per restart|crash_cpu_per_restart_ms|50|ms3"
	"status client, 100 jobs|status_ms|100|ms"
	"status client, 1000 jobs|status_ms|1000|ms"
	"status client, $BIG_N jobs|status_ms|$BIG_N|ms"
	"shutdown, 1 job|shutdown_ms|1|ms"
	"shutdown, 100 jobs|shutdown_ms|100|ms"
	"shutdown, 1000 jobs|shutdown_ms|1000|ms"
	"shutdown, $BIG_N jobs|shutdown_ms|$BIG_N|ms"
	"jobs left behind after shutdown (100 / 1000)|left|100+1000|n"
	"log file, $LOG_MB MB of 100-byte lines: wall time until all on disk|log_wall_ms|$LOG_N|s"
	"log file, $LOG_MB MB: logger's CPU per GB|log_cpu_ms_gb|$LOG_N|s"
	"log file, $LOG_MB MB, one CPU busy: wall time|log_busy_wall_ms|$LOG_N|s"
	"log file, $LOG_MB MB, one CPU busy: logger's CPU per GB|log_busy_cpu_ms_gb|$LOG_N|s"
	"log file: lines lost, doubled or cut (all runs)|log_lost|$LOG_N|n"
)
header_name() { case $1 in floor) echo "floor (C fork+exec / epoll / true)" ;; runit) echo "runit (runsvdir)" ;; s6) echo "s6 (s6-svscan)" ;; *) echo "$1" ;; esac; }
{
	echo "pmtr benchmark, $([ $QUICK = 1 ] && echo "--quick" || echo "full") run: $NPROC CPUs ($CPU), ${MEM_MB} MiB, Linux $KERNEL, load average $LOAD at the start, $DATE; medians of $REPS runs (fewer where marked); took ${TOTAL}s"
	echo
	printf '| figure |'; for p in $ACTIVE; do printf ' %s |' "$(header_name "$p")"; done; echo
	printf '|---|'; for p in $ACTIVE; do printf -- '---|'; done; echo
	for row in "${ROWS[@]}"; do
		IFS='|' read -r label metric n kind <<<"$row"
		[ -n "$n" ] || continue	# no BIG_N in --quick
		printf '| %s |' "$label"
		for p in $ACTIVE; do
			if [ "$n" = "100+1000" ]; then
				a=$(med "$p" left 100) b=$(med "$p" left 1000)
				printf ' %s / %s |' "${a:-–}" "${b:-–}"
			else
				printf ' %s |' "$(cell "$p" "$metric" "$n" "$kind")"
			fi
		done
		echo
	done
	echo
	echo "Ratios in parentheses are to pmtr. floor column: start and shutdown of a C loop that fork+execs N /bin/sleep; memory and idle of a process blocked in epoll_wait; status = /bin/true."
	echo "One CPU busy: a shell loop \`while :; do :; done\` runs from before the start until the last job's exec."
	[ -n "${R["pmtr|log_wall_ms|$LOG_N"]:-}" ] && echo "Log files (bench/logs.sh): $LOG_MB MB$([ "$LOG_MB" != 1000 ] && echo " (not 1 GB: --quick or BENCH_LOG_MB)") of numbered 100-byte lines, medians of $LOG_REPS runs, on ${LOG_FS:-?}; pmtr: \`log file\` with \`log rotate size 100M keep 20\`; runit column: svlogd (s100000000, n20); s6 column: s6-log n20 s100000000. CPU: the logger process alone, scaled to 1 GB."
	[ -n "$BIG_N" ] && echo "$BIG_N jobs: pmtr and the floor only (supervisord, runit and s6 not run: runit and s6 would start $BIG_N supervisor processes). An edit gives one more job an env line in a copy of pmtr's file, renamed over it."
} >"$TMP/table.md"

# ---- targets of issue 7 ----
target() {	# text ok(0/1)
	printf -- '- [%s] %s\n' "$([ "$2" = 1 ] && echo x || echo ' ')" "$1"
}
chk() { awk "BEGIN {exit !($1)}" && echo 1 || echo 0; }
{
	echo
	echo "Targets (issue 7):"
	s=$(med pmtr start_ms 1000) f=$(med floor start_ms 1000)
	[ -n "$s" ] && [ -n "$f" ] && target "start of 1000 jobs ≤ 1.2× the fork+exec floor: $(fmt "$s" ms) vs $(fmt "$f" ms) = $(awk "BEGIN {printf \"%.2f\", $s / $f}")×" "$(chk "$s <= 1.2 * $f")"
	r=$(med pmtr rss_kb 1000) p=$(med pmtr pss_kb 1000)
	[ -n "$r" ] && target "RSS with 1000 jobs ≤ 2.5 MiB: $(fmt "$r" mb) in $(med pmtr procs 1000) process(es)" "$(chk "$r <= 2560")"
	[ -n "$p" ] && target "PSS with 1000 jobs ≤ 1 MiB: $(fmt "$p" mb)" "$(chk "$p <= 1024")"
	r=$(med pmtr reload_ms 100)
	[ -n "$r" ] && target "reload ≤ 20 ms: $(fmt "$r" ms)" "$(chk "$r <= 20")"
	r=$(med pmtr idle_csw_min 100)
	[ -n "$r" ] && target "idle with 100 jobs, 0 context switches per minute: $r" "$(chk "$r == 0")"
	r=$(med pmtr idle_sched_csw_min 1000)
	[ -n "$r" ] && target "idle with 1000 scheduled jobs, none due within a minute, 0 context switches per minute (issue 25): $r" "$(chk "$r == 0")"
	r=$(med pmtr crash_cpu_per_restart_ms 50) best=""
	for peer in $PEER_LIST; do
		[ "$peer" = pmtr ] && continue
		v=$(med "$peer" crash_cpu_per_restart_ms 50)
		[ -n "$v" ] && { [ -z "$best" ] || [ "$(chk "$v < $best")" = 1 ]; } && best=$v
	done
	[ -n "$r" ] && [ -n "$best" ] && target "crash loop CPU per restart below every peer: $(fmt "$r" ms3) vs best peer $(fmt "$best" ms3)" "$(chk "$r < $best")"
	r=$(med pmtr status_ms 1000) f=$(med floor status_ms 1000)
	[ -n "$r" ] && [ -n "$f" ] && target "pmtrctl status with 1000 jobs ≤ 3× /bin/true: $(fmt "$r" ms) vs $(fmt "$f" ms) = $(awk "BEGIN {printf \"%.1f\", $r / $f}")×" "$(chk "$r <= 3 * $f")"
	r=$(med pmtr shutdown_ms 100) l=$(med pmtr left 100)
	[ -n "$r" ] && target "shutdown of 100 jobs ≤ 50 ms, 0 left: $(fmt "$r" ms), ${l:-?} left" "$(chk "$r <= 50 && ${l:-1} == 0")"
	echo
	echo "Targets (issue 17):"
	s=$(med pmtr start_busy_ms "$BUSY_N") f=$(med floor start_busy_ms "$BUSY_N")
	[ -n "$s" ] && [ -n "$f" ] && target "start of $BUSY_N jobs with one CPU busy ≤ 1.3× the floor's: $(fmt "$s" ms) vs $(fmt "$f" ms) = $(awk "BEGIN {printf \"%.2f\", $s / $f}")×" "$(chk "$s <= 1.3 * $f")"
	if [ -n "$BIG_N" ]; then
		s=$(med pmtr start_ms "$BIG_N") f=$(med floor start_ms "$BIG_N")
		[ -n "$s" ] && [ -n "$f" ] && target "start of $BIG_N jobs ≤ 1.2× the fork+exec floor: $(fmt "$s" ms) vs $(fmt "$f" ms) = $(awk "BEGIN {printf \"%.2f\", $s / $f}")×" "$(chk "$s <= 1.2 * $f")"
		r=$(med pmtr rss_kb "$BIG_N")
		[ -n "$r" ] && target "RSS with $BIG_N jobs ≤ 12 MiB: $(fmt "$r" mb)" "$(chk "$r <= 12288")"
		r=$(med pmtr status_ms "$BIG_N")
		[ -n "$r" ] && target "pmtrctl status with $BIG_N jobs ≤ 15 ms: $(fmt "$r" ms)" "$(chk "$r <= 15")"
		r=$(med pmtr edit_ms "$BIG_N")
		[ -n "$r" ] && target "one-job edit of the $BIG_N-job file ≤ 20 ms: $(fmt "$r" ms)" "$(chk "$r <= 20")"
		r=$(med pmtr edit_rss_ratio "$BIG_N")
		[ -n "$r" ] && target "RSS after $EDITS one-job edits within 20% of before: $(fmt "$(med pmtr edit_rss_before_kb "$BIG_N")" mb) → $(fmt "$(med pmtr edit_rss_after_kb "$BIG_N")" mb) = $(awk "BEGIN {printf \"%.2f\", $r}")×" "$(chk "$r >= 0.8 && $r <= 1.2")"
	fi
	if [ -n "${R["pmtr|log_wall_ms|$LOG_N"]:-}" ]; then
		echo
		echo "Targets (issue 26, $LOG_MB MB):"
		for b in "" _busy; do
			c=$(med pmtr "log${b}_cpu_ms_gb" "$LOG_N") w=$(med pmtr "log${b}_wall_ms" "$LOG_N") bc="" bw=""
			for peer in runit s6; do
				v=$(med "$peer" "log${b}_cpu_ms_gb" "$LOG_N")
				[ -n "$v" ] && { [ -z "$bc" ] || [ "$(chk "$v < $bc")" = 1 ]; } && bc=$v
				v=$(med "$peer" "log${b}_wall_ms" "$LOG_N")
				[ -n "$v" ] && { [ -z "$bw" ] || [ "$(chk "$v < $bw")" = 1 ]; } && bw=$v
			done
			[ -n "$c" ] && [ -n "$bc" ] && target "log file${b:+, one CPU busy}: pmtr's CPU per GB and wall time ≤ the better of svlogd's and s6-log's: $(fmt "$c" s) vs $(fmt "$bc" s), $(fmt "$w" s) vs $(fmt "$bw" s)" "$(chk "$c <= $bc && $w <= $bw")"
		done
		l=$(printf '%s\n' ${R["pmtr|log_lost|$LOG_N"]} | awk '{s += $1} END {print s + 0}')
		target "log file: no line lost, doubled or cut by pmtr: $l" "$(chk "$l == 0")"
	fi
} >>"$TMP/table.md"
cat "$TMP/table.md"
say "table: done ($((SECONDS - T_START))s)"

# ---- JSON ----
{
	printf '{\n  "machine": {"nproc": %s, "kernel": "%s", "cpu": "%s", "mem_mb": %s, "loadavg": "%s", "date": "%s"},\n' \
		"$NPROC" "$KERNEL" "${CPU//\"/}" "$MEM_MB" "$LOAD" "$DATE"
	printf '  "mode": "%s", "repeats": %s, "seconds": %s,\n  "results": {\n' \
		"$([ $QUICK = 1 ] && echo quick || echo full)" "$REPS" "$TOTAL"
	first_peer=1
	for p in $ACTIVE; do
		[ $first_peer = 1 ] || printf ',\n'
		first_peer=0
		printf '    "%s": {' "$p"
		first=1
		for key in $(printf '%s\n' "${!R[@]}" | grep "^$p|" | sort); do
			IFS='|' read -r _ metric n <<<"$key"
			[ "$metric" = runs ] && continue
			[ $first = 1 ] || printf ','
			first=0
			printf '\n      "%s.%s": {"median": %s, "runs": [%s]}' "$metric" "$n" \
				"$(med "$p" "$metric" "$n")" "${R[$key]// /, }"
		done
		printf '\n    }'
	done
	printf '\n  }\n}\n'
} >"$JSON"
say "wrote $JSON"
bash "$SRC_DIR/chart.sh" "$JSON" "$SVG" || say "chart: not drawn"
