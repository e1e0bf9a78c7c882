# lib.sh: helpers shared by the integration tests, sourced by each tests/*.sh. SPDX-License-Identifier: MIT
#
# Each test gets its own temporary directory $T with its configuration $CONF and
# the log $LOG of the pmtr it runs in the foreground. Every wait is a bounded poll;
# on a timeout the test fails with what it waited for and the tail of the log.
# Cleanup (on every exit) stops the pmtr the test started and kills any process
# still carrying this test's marker (PMTR_TEST_MARK=$T, set only in the
# environment pmtr is started with, so only pmtr and its jobs carry it).
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 hard error.

# The tests are bash scripts: when make's $(SHELL) is another sh, run them in bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi

set -u

# What the caller's environment must not change (make check runs in that of
# dpkg-buildpackage or rpmbuild, of a CI runner, of a systemd unit): the tests
# and the pmtr they start get a fixed file mode mask and locale, and none of
# the variables that reach pmtr's own interfaces: a caller's NOTIFY_SOCKET
# would get pmtr's READY=1, a PMTR_STATE_FD would be taken for a re-exec's
# state, a COLUMNS would narrow pmtrctl's table. A test that wants one sets it
# itself (PMTR_LAUNCH, or in its own commands). exec_settings.sh sets its own
# umask on purpose.
umask 022
export LC_ALL=C
unset LANGUAGE COLUMNS NOTIFY_SOCKET PMTR_STATE_FD PMTR_SOCKET LISTEN_FDS LISTEN_PID LISTEN_FDNAMES

TEST_NAME=$(basename "$0" .sh)
if [ -z "${PMTR:-}" ]; then
	echo "$TEST_NAME: PMTR is not set (run through make check, or set PMTR=/path/to/pmtr)"
	exit 99
fi
case $PMTR in /*) ;; *) PMTR=$(pwd)/$PMTR ;; esac
if [ ! -x "$PMTR" ]; then
	echo "$TEST_NAME: $PMTR is not an executable"
	exit 99
fi
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
# The version configure.ac gives pmtr (AC_INIT), which every -V must print.
SOURCE_VERSION=$(sed -n 's/^AC_INIT(\[pmtr\], *\[\([^]]*\)\].*/\1/p' "$TESTS_SRCDIR/../configure.ac" 2>/dev/null)

T=$(mktemp -d "${TMPDIR:-/tmp}/pmtr-$TEST_NAME.XXXXXX") || exit 99
chmod 755 "$T"
CONF=$T/pmtr.conf
LOG=$T/log
RUN=0
PMTR_PID=
PMTR_RC=
EXTRA_PIDS=()
WATCHDOG=
# How pmtr is launched: by default with every signal disposition at its default, so
# that the tests do not depend on what bash does to background commands (it
# ignores SIGINT and SIGQUIT for them). A test may change this array.
PMTR_LAUNCH=(env --default-signal)
# A program that runs pmtr (valgrind), placed after the environment is set.
PMTR_WRAP=()
# PMTR_TEST_ENOSYS=clone3 (or close_range, or clone_vm, comma-separated): pmtr runs
# with those system calls failing with ENOSYS (tests/helpers/enosys.c), so that
# a test checks the way pmtr starts jobs without them (spawn_fallback.sh).
PMTR_TEST_ENOSYS=${PMTR_TEST_ENOSYS:-}
# Seconds the whole script may take before the watchdog fails it.
TEST_TIMEOUT=${TEST_TIMEOUT:-60}

say() { echo "$TEST_NAME: $*"; }

# Record and print one passed check, so that a failure shows what was checked.
ok() { echo "ok - $*"; }

log_tail() {
	local f=${1:-$LOG}
	if [ -s "$f" ]; then
		echo "--- last lines of $f:"
		tail -n "${2:-25}" "$f" | cut -c1-300 | sed 's/^/  | /'
		echo "---"
	fi
}

fail() {
	echo "FAIL - $*"
	log_tail
	exit 1
}

skip() {
	echo "SKIP - $*"
	exit 77
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (uid is $(id -u))"
}

# Milliseconds since the epoch, without forking.
now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# ---- processes -------------------------------------------------------------

# Process state letter of PID (R, S, Z, ...), empty when there is no such process.
pid_state() {
	local line
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	line=${line##*) }
	echo "${line%% *}"
}

# True when PID exists and is not a zombie.
pid_running() {
	local s
	s=$(pid_state "$1") || return 1
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

ppid_of() { local l; read -r l </proc/"$1"/stat || return 1; l=${l##*) }; set -- $l; echo "$2"; }
pgid_of() { local l; read -r l </proc/"$1"/stat || return 1; l=${l##*) }; set -- $l; echo "$3"; }
sid_of() { local l; read -r l </proc/"$1"/stat || return 1; l=${l##*) }; set -- $l; echo "$4"; }
nice_of() { local l; read -r l </proc/"$1"/stat || return 1; l=${l##*) }; set -- $l; echo "${17}"; }

# Value of a line of /proc/PID/status ("Uid", "SigBlk", ...), blanks squeezed.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" /proc/"$1"/status 2>/dev/null | tr -s ' \t' '  '
}

# Open descriptors of PID, sorted, on one line: "0 1 2".
fds_of() {
	ls /proc/"$1"/fd 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# True when the environment of PID holds exactly the entry VAR=VALUE.
has_env() {
	grep -qzxF -- "$2" /proc/"$1"/environ 2>/dev/null
}

# True when the environment of PID has the variable VAR at all.
has_env_var() {
	tr '\0' '\n' </proc/"$1"/environ 2>/dev/null | grep -q "^$2="
}

# Pids of the live processes started by this test (they carry the marker).
marked_pids() {
	grep -lzxF -- "PMTR_TEST_MARK=$T" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/environ$|\1|'
}

# Children of PID (by scanning /proc: no procps needed).
children_of() {
	local f l pid want=$1
	for f in /proc/[0-9]*/stat; do
		read -r l 2>/dev/null <"$f" || continue
		pid=${l%% *}
		l=${l##*) }
		set -- $l
		[ "$2" = "$want" ] && echo "$pid"
	done
	return 0
}

# ---- polling ---------------------------------------------------------------

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: poll COMMAND every 0.05 s.
wait_until() {
	local timeout=$1 desc=$2
	shift 2
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after ${timeout} s waiting for: $desc"
		sleep 0.05
	done
}

# Milliseconds part of a decimal number of seconds ("1.5" -> 500).
frac_ms() {
	case $1 in
	*.*) local f=${1#*.}000; echo "${f:0:3}" ;;
	*) echo 0 ;;
	esac
}

_log_has() { grep -q -- "$1" "$LOG" 2>/dev/null; }
_log_has_since() { tail -n +"$(($1 + 1))" "$LOG" 2>/dev/null | grep -q -- "$2"; }
_log_count_ge() { [ "$(grep -c -- "$1" "$LOG" 2>/dev/null)" -ge "$2" ]; }

# Fail early when pmtr died while we waited for it to do something.
_check_pmtr_alive() {
	if [ -n "$PMTR_PID" ] && ! pid_running "$PMTR_PID"; then
		fail "pmtr (pid $PMTR_PID) is no longer running while waiting for: $1"
	fi
}

# wait_for_log PATTERN [TIMEOUT_S]: a line of the log matches the grep BRE PATTERN.
wait_for_log() {
	local pat=$1 timeout=${2:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while ! _log_has "$pat"; do
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for log line /$pat/"
		_check_pmtr_alive "log line /$pat/"
		sleep 0.05
	done
}

# wait_for_log_since MARK PATTERN [TIMEOUT_S]: a line after line MARK matches.
wait_for_log_since() {
	local mark=$1 pat=$2 timeout=${3:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while ! _log_has_since "$mark" "$pat"; do
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for log line /$pat/ after line $mark"
		_check_pmtr_alive "log line /$pat/"
		sleep 0.05
	done
}

# wait_for_log_count PATTERN N [TIMEOUT_S]: at least N lines match.
wait_for_log_count() {
	local pat=$1 n=$2 timeout=${3:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while ! _log_count_ge "$pat" "$n"; do
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for $n log lines /$pat/ (have $(log_count "$pat"))"
		_check_pmtr_alive "$n log lines /$pat/"
		sleep 0.05
	done
}

# Number of lines in the log (a mark for wait_for_log_since).
log_lines() { if [ -f "$LOG" ]; then wc -l <"$LOG"; else echo 0; fi; }

log_count() { grep -c -- "$1" "$LOG" 2>/dev/null; }

assert_log() {
	_log_has "$1" || fail "${2:-log has /$1/}: no such line"
	ok "${2:-log has /$1/}"
}

assert_no_log() {
	if _log_has "$1"; then
		fail "${2:-log has no /$1/}: found $(grep -m1 -- "$1" "$LOG")"
	fi
	ok "${2:-log has no /$1/}"
}

assert_no_log_since() {
	if _log_has_since "$1" "$2"; then
		fail "${3:-log has no /$2/ after line $1}: found $(tail -n +"$(($1 + 1))" "$LOG" | grep -m1 -- "$2")"
	fi
	ok "${3:-log has no /$2/ after line $1}"
}

# barrier [TIMEOUT_S]: return once pmtr has done what it was given before the
# call (a child's exit, a file written, a datagram or request sent to it) and
# what that set in motion in its loop (a stop or start decided), so that a test
# can then assert that something did NOT happen, without a sleep. pmtr runs one
# event loop: a SIGHUP (a forced reading of the configuration, which changes no
# job when the file did not change) is handled in the same turn as what was
# ready before it, or later; pending signals are read lowest number first, so
# SIGHUP before a SIGCHLD. The second SIGHUP, sent once the first is logged, is
# handled after the work on jobs that begins the next turn, where due timers
# fire: after a timer's time has passed, the barrier shows what it did (ctl.sh).
# Not for a test whose file on disk pmtr must not read yet (reload.sh).
barrier() {
	local round mark
	for round in 1 2; do
		mark=$(log_lines)
		kill -HUP "$PMTR_PID" 2>/dev/null || fail "barrier: pmtr [$PMTR_PID] cannot be signalled"
		wait_for_log_since "$mark" "pmtr: SIGHUP: reading " "${1:-5}"
	done
}

# Pid of the last "started job NAME [PID]" line (empty when none).
job_pid() {
	sed -n "s/.*started job $1 \[\([0-9][0-9]*\)\]\$/\1/p" "$LOG" 2>/dev/null | tail -n 1
}

# Number of times job NAME was started.
job_starts() { log_count "started job $1 \["; }

# wait_job NAME [TIMEOUT_S]: wait for job NAME to be started and running; sets JOB_PID.
wait_job() {
	wait_for_log "started job $1 \[" "${2:-5}"
	JOB_PID=$(job_pid "$1")
	[ -n "$JOB_PID" ] || fail "no pid for job $1"
}

# wait_new_pid NAME OLDPID [TIMEOUT_S]: job NAME started again under a new pid; sets JOB_PID.
wait_new_pid() {
	local name=$1 old=$2 timeout=${3:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while :; do
		JOB_PID=$(job_pid "$name")
		[ -n "$JOB_PID" ] && [ "$JOB_PID" != "$old" ] && return 0
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for job $name to start again (old pid $old)"
		_check_pmtr_alive "job $name to start again"
		sleep 0.05
	done
}

# wait_for_pid_gone PID [TIMEOUT_S]: PID has exited (a zombie counts as exited).
wait_for_pid_gone() {
	local pid=$1 timeout=${2:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while pid_running "$pid"; do
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for pid $pid to exit"
		sleep 0.05
	done
}

wait_for_file() {
	wait_until "${2:-5}" "file $1 to exist" test -e "$1"
}

# ---- pmtr ------------------------------------------------------------------

# Write $CONF from standard input (in place).
write_conf() { cat >"$CONF"; }

# use_pmtr_copy: run a copy of pmtr from $T, for tests that start it as another
# user, who may not be able to reach the build tree (a mktemp -d directory is 0700).
use_pmtr_copy() {
	cp "$PMTR" "$T/pmtr.bin" && chmod 755 "$T/pmtr.bin" || fail "cannot copy $PMTR"
	PMTR=$T/pmtr.bin
}

# Write an executable script $T/NAME from standard input.
script() {
	cat >"$T/$1"
	chmod 755 "$T/$1"
}

# start_pmtr_raw ARGS...: run "$PMTR ARGS" in the background, stdout and stderr
# to a fresh $LOG; sets PMTR_PID.
start_pmtr_raw() {
	RUN=$((RUN + 1))
	LOG=$T/log.$RUN
	: >"$LOG"
	local enosys=()
	if [ -n "$PMTR_TEST_ENOSYS" ]; then
		enosys=("$(helper enosys)" "$PMTR_TEST_ENOSYS") || fail "cannot build tests/helpers/enosys"
	fi
	"${PMTR_LAUNCH[@]}" PMTR_TEST_MARK="$T" "${enosys[@]}" "${PMTR_WRAP[@]}" "$PMTR" "$@" >"$LOG" 2>&1 </dev/null &
	PMTR_PID=$!
	say "started pmtr [$PMTR_PID]: pmtr $*"
}

# start_pmtr [ARGS...]: start_pmtr_raw -F -c $CONF -s none ARGS.
start_pmtr() {
	start_pmtr_raw -F -c "$CONF" -s none "$@"
}

# run_cmd TIMEOUT_S COMMAND...: run to completion with stdin /dev/null; sets RC,
# stdout in $T/out, stderr in $T/err. Fails on a hang or a crash.
run_cmd() {
	local t=$1
	shift
	timeout -k 2 "$t" "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	case $RC in
	124 | 137) fail "'$*' did not finish within $t s" ;;
	12[6-9] | 1[3-9][0-9] | 2[0-9][0-9])
		head -c 2000 "$T/err"
		fail "'$*' ended with status $RC (a crash or signal)" ;;
	esac
	return 0
}

# wait_pmtr_exit [TIMEOUT_S]: wait for pmtr to exit; sets PMTR_RC.
wait_pmtr_exit() {
	local timeout=${1:-5}
	local deadline=$(($(now_ms) + ${timeout%.*} * 1000 + 10#$(frac_ms "$timeout")))
	while pid_running "$PMTR_PID"; do
		[ "$(now_ms)" -ge "$deadline" ] && fail "timed out after $timeout s waiting for pmtr [$PMTR_PID] to exit"
		sleep 0.05
	done
	wait "$PMTR_PID"
	PMTR_RC=$?
	PMTR_PID=
}

# stop_pmtr [SIGNAL] [TIMEOUT_S]: signal pmtr (TERM) and wait for it; sets PMTR_RC.
stop_pmtr() {
	[ -n "$PMTR_PID" ] || fail "stop_pmtr: pmtr is not running"
	kill -"${1:-TERM}" "$PMTR_PID" 2>/dev/null
	wait_pmtr_exit "${2:-5}"
}

# Fail unless no process started by this test is left.
assert_no_marked() {
	local left
	left=$(marked_pids | tr '\n' ' ')
	if [ -n "$left" ]; then
		local p
		for p in $left; do
			echo "  left: $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null)"
		done
		fail "${1:-no process left behind}: still running: $left"
	fi
	ok "${1:-no process left behind}"
}

# A helper program from tests/helpers: the built one, else compiled here.
helper() {
	local name=$1 dir
	dir=$(cd "$(dirname "$PMTR")/.." && pwd)/tests/helpers
	if [ -x "$dir/$name" ]; then
		echo "$dir/$name"
		return 0
	fi
	if [ -f "$TESTS_SRCDIR/helpers/$name.c" ] &&
		${CC:-cc} -O2 -Wall -o "$T/$name" "$TESTS_SRCDIR/helpers/$name.c" 2>"$T/$name.cc.log"; then
		echo "$T/$name"
		return 0
	fi
	return 1
}

# ---- cleanup ---------------------------------------------------------------

cleanup() {
	local rc=$? p i
	trap - EXIT TERM INT
	if [ -n "$WATCHDOG" ]; then
		kill -TERM "$WATCHDOG" 2>/dev/null
		wait "$WATCHDOG" 2>/dev/null
	fi
	if [ -n "$PMTR_PID" ] && pid_running "$PMTR_PID"; then
		kill -TERM "$PMTR_PID" 2>/dev/null
		for i in $(seq 60); do
			pid_running "$PMTR_PID" || break
			sleep 0.05
		done
		pid_running "$PMTR_PID" && kill -KILL "$PMTR_PID" 2>/dev/null
	fi
	for p in "${EXTRA_PIDS[@]}"; do
		pid_running "$p" && kill -KILL "$p" 2>/dev/null
	done
	for p in $(marked_pids); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${PMTR_TEST_KEEP:-}" ]; then
		echo "$TEST_NAME: kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

_on_signal() {
	fail "interrupted (or timed out after $TEST_TIMEOUT s)"
}

trap cleanup EXIT
trap _on_signal TERM INT

# The watchdog: a hung test fails instead of hanging make check.
(
	sleep "$TEST_TIMEOUT" &
	spid=$!
	trap 'kill $spid 2>/dev/null; exit 0' TERM
	wait $spid && echo "$TEST_NAME: watchdog: test ran over $TEST_TIMEOUT s" && kill -TERM $$
) </dev/null &
WATCHDOG=$!
