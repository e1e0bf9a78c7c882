#!/bin/bash
# follow_interrupt.sh: pmtrctl logs -f ends with status 0 on every Ctrl-C, also one that comes while it prints a burst of lines and none follows. SPDX-License-Identifier: MIT
TEST_TIMEOUT=${TEST_TIMEOUT:-150}
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
[ -x "$PMTRCTL" ] || { say "$PMTRCTL is not an executable"; exit 99; }
SOCK=$T/ctl.sock
RUNS=${FOLLOW_INTERRUPT_RUNS:-30}
# Lines of each burst: about one read of the follower, a millisecond to print.
BURST=600

# The job writes what the test writes into a FIFO, so that the test says when
# lines come and makes sure that none comes after the burst: a SIGINT taken
# while the burst is printed must end the follower by itself, not because a
# later line wakes it up.
mkfifo "$T/feed" || fail "mkfifo"
exec 9<>"$T/feed"
write_conf <<EOF
job {
  name feed
  cmd /bin/cat $T/feed
}
EOF
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job feed

printf -v burst 'burst line %s padded to a more usual length of a log line\n' $(seq "$BURST")
# ready_shown FILE RUN: say "ready RUN" again, true once the follower showed it.
ready_shown() {
	grep -q "ready $2\$" "$1" 2>/dev/null && return 0
	echo "ready $2" >&9
	return 1
}
hung=0 bad=0
for run in $(seq "$RUNS"); do
	out=$T/follow.$run.out
	"$PMTRCTL" -s "$SOCK" logs -f -n 0 feed >"$out" 2>"$T/follow.err" &
	F=$!
	EXTRA_PIDS+=("$F")
	# The follower is there once it shows a line written after it started.
	wait_until 10 "follower $run to show a line" ready_shown "$out" "$run"
	printf '%s' "$burst" >&9
	# A random moment within the burst's few milliseconds: a busy loop, since
	# sleep(1) takes longer than that to start.
	for ((i = RANDOM % 500; i > 0; i--)); do :; done
	kill -INT "$F"
	deadline=$(($(now_ms) + 3000))
	while pid_running "$F" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.02; done
	if pid_running "$F"; then
		hung=$((hung + 1))
		say "run $run: still following 3 s after SIGINT ($(wc -l <"$out") lines shown): $(tr -s ' ' <"/proc/$F/wchan" 2>/dev/null)"
		kill -KILL "$F"
		wait "$F" 2>/dev/null
		continue
	fi
	wait "$F"
	rc=$?
	if [ "$rc" != 0 ]; then
		bad=$((bad + 1))
		say "run $run: exit status $rc after SIGINT, expected 0: $(head -c 300 "$T/follow.err")"
	fi
	rm -f "$out"
done
[ "$hung" = 0 ] && [ "$bad" = 0 ] ||
	fail "logs -f and SIGINT: $hung of $RUNS runs still following 3 s after it, $bad with another exit status than 0"
ok "logs -f: SIGINT at a random moment of a burst of $BURST lines ended it with status 0 within 3 s, $RUNS runs of $RUNS"

stop_pmtr TERM
[ "$PMTR_RC" = 0 ] || fail "pmtr exit status $PMTR_RC after SIGTERM, expected 0"
exit 0
