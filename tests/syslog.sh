#!/bin/bash
# syslog.sh (root): in the background pmtr logs to /dev/log (facility daemon, ident pmtr, a job's output under the job's name) and never blocks on a stuck syslog. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
unshare --mount --propagation private true 2>/dev/null ||
	skip "unshare --mount is not permitted here (needed for a private /dev/log)"
RECV=$(helper notify-recv) || skip "no notify-recv helper (not built, and no C compiler to build it)"

# pmtr runs in a private mount namespace whose /dev is a tmpfs holding only null
# (bound from the real one) and log (bound to our receiver's socket).
mkdir "$T/olddev"
PMTR_LAUNCH=(unshare --mount --propagation private
	sh -c 'mount --bind /dev "$1" && mount -t tmpfs tmpfs /dev &&
		touch /dev/null /dev/log && mount --bind "$1/null" /dev/null &&
		mount --bind "$2" /dev/log && shift 2 && exec env --default-signal "$@"'
	sh "$T/olddev" "$T/log.sock")

# start_daemon: pmtr without -F; the launcher exits 0, the daemon's pid is in D.
start_daemon() {
	rm -f "$T/pmtr.pid"
	start_pmtr_raw -c "$CONF" -s none -p "$T/pmtr.pid"
	wait_pmtr_exit 5
	[ "$PMTR_RC" = 0 ] || fail "pmtr (background) parent: exit status $PMTR_RC; output: $(cat "$LOG")"
	wait_until 5 "pidfile $T/pmtr.pid" grep -q '^[0-9][0-9]*$' "$T/pmtr.pid"
	D=$(cat "$T/pmtr.pid")
	EXTRA_PIDS+=("$D")
}

stop_daemon() {
	kill -TERM "$D"
	wait_for_pid_gone "$D" "${1:-5}"
}

# ---- a syslog daemon that reads: every line arrives, facility daemon, ident pmtr
"$RECV" "$T/log.sock" >"$T/syslog.out" 2>"$T/recv.err" &
EXTRA_PIDS+=($!)
wait_until 3 "the receiver on $T/log.sock" grep -q listening "$T/recv.err"

write_conf <<EOF
job {
  name talk
  cmd /bin/sh -c "echo hello-syslog; exec /bin/sleep 300"
}
EOF
start_daemon
SL=$T/syslog.out
wait_until 5 "'started job talk' in syslog" grep -q "pmtr\[$D\]: started job talk \[" "$SL"
wait_until 5 "the job's output in syslog" grep -q " talk\[[0-9]*\]: hello-syslog" "$SL"
TALK=$(sed -n 's/.*started job talk \[\([0-9]*\)\].*/\1/p' "$SL" | head -n 1)
grep -q "^<29>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]\{8\} talk\[$TALK\]: hello-syslog\$" "$SL" ||
	fail "the job's output is not tagged talk[$TALK] (facility daemon, notice): $(grep hello-syslog "$SL")"
grep -q "pmtr\[$D\]: talk" "$SL" && fail "the job's output still carries pmtr's tag: $(grep hello-syslog "$SL")"
ok "background: job events go to syslog as pmtr[$D], the job's output as talk[$TALK]"
if grep -v '^<\(2[4-9]\|3[01]\)>' "$SL" | grep -q .; then
	fail "syslog lines not of facility daemon (<24> to <31>): $(grep -v '^<\(2[4-9]\|3[01]\)>' "$SL" | head -3)"
fi
ok "every syslog line has facility daemon: $(head -n 1 "$SL")"
stop_daemon
wait_until 3 "'pmtr: exiting' in syslog" grep -q "pmtr\[$D\]: pmtr: exiting" "$SL"
assert_no_marked
ok "background: shutdown logged to syslog"

# ---- a syslog daemon that never reads: lines are dropped, pmtr never waits
rm -f "$T/log.sock"
"$RECV" -n "$T/log.sock" 2>"$T/stuck.err" &
EXTRA_PIDS+=($!)
wait_until 3 "the stuck receiver on $T/log.sock" grep -q listening "$T/stuck.err"
script flood.sh <<EOF
#!/bin/sh
seq 1 100000
touch $T/flood.done
EOF
write_conf <<EOF
job {
  name flood
  cmd $T/flood.sh
  once
}
job {
  name after
  cmd /bin/sh -c "touch $T/after.started; exec /bin/sleep 300"
  order 1
}
EOF
start_daemon
wait_for_file "$T/flood.done" 10
ok "a job writing 100000 lines is drained although syslog is stuck"
wait_for_file "$T/after.started" 5
ok "pmtr still starts jobs"
t0=$(now_ms)
stop_daemon 3
assert_no_marked
ok "pmtr stops on SIGTERM with a stuck syslog ($(($(now_ms) - t0)) ms)"
exit 0
