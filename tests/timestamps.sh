#!/bin/bash
# timestamps.sh: pmtr's log lines on stderr start with their local time with -T, or when stderr is a terminal, and not otherwise. SPDX-License-Identifier: MIT
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"

STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}'
write_conf <<EOF2
job {
  name hello
  cmd /bin/echo hi there
  once
}
EOF2

# -T, in a time zone 5:45 ahead of UTC (POSIX TZ: the sign is the other way).
PMTR_LAUNCH=(env --default-signal TZ='<+0545>-5:45')
start_pmtr -T
P=$PMTR_PID
wait_for_log "job hello is once"
stop_pmtr TERM
grep -v "^$STAMP+05:45 pmtr\[$P\]: " "$LOG" | grep -q . &&
	fail "-T: a line without its time (+05:45): $(grep -v "^$STAMP" "$LOG" | head -n 1)"
grep -q "^$STAMP+05:45 pmtr\[[0-9]*\]: hello\[[0-9]*\]: hi there\$" "$LOG" ||
	fail "-T: the job's line is not stamped"
ok "-T: every line starts with the local time, offset +05:45"

# Not a terminal and no -T (journald, docker, a file): no time.
PMTR_LAUNCH=(env --default-signal TZ=UTC0)
start_pmtr
wait_for_log "job hello is once"
stop_pmtr TERM
grep -q "^$STAMP" "$LOG" && fail "without -T, stderr a file: a line carries a time"
grep -q "^pmtr\[[0-9]*\]: started job hello" "$LOG" || fail "without -T: the lines changed"
ok "stderr not a terminal: no time"

# A terminal: script(1) gives pmtr one.
command -v script >/dev/null || { say "no script(1): the terminal case is not checked"; exit 0; }
# The job leaves a file: once it is there, "started job" has been logged; the
# wait for it is bounded (15 s) inside the terminal's shell.
printf 'job {\n  name hello\n  cmd /bin/touch %s/tty-ran\n  once\n}\n' "$T" >"$T/tty.conf"
TZ=UTC0 PMTR_TEST_MARK="$T" timeout 20 script -qec \
	"$PMTR -F -c $T/tty.conf -s none & p=\$!; i=0; while [ ! -e $T/tty-ran ] && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i + 1)); done; kill \$p; wait \$p" \
	"$T/typescript" >"$T/tty.out" 2>&1 </dev/null
[ -e "$T/tty-ran" ] || fail "stderr a terminal: the job did not run within 15 s: $(head -n 3 "$T/tty.out")"
grep -q "^$STAMP+00:00 pmtr\[[0-9]*\]: started job hello" "$T/tty.out" ||
	fail "stderr a terminal: no time on the lines: $(head -n 3 "$T/tty.out")"
ok "stderr a terminal: lines start with the time"
