#!/bin/bash
# preflight.sh: pmtr -t warns, without failing, of a cmd that is no executable file and of a dir, user or group that does not exist; a start that fails on one says why at once. SPDX-License-Identifier: MIT
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"

mkdir -m 755 "$T/d" && : >"$T/plain" && chmod 644 "$T/plain"
write_conf <<EOF2
include $T/d/*.conf
job {
  name missing
  cmd $T/nowhere/server --port 1
  dir $T/nodir
  user pmtr-no-such-user
  group pmtr-no-such-group
}
job {
  name plain
  cmd $T/plain
  dir $T/plain
}
job {
  name fine
  cmd /bin/sleep 300
  dir /
  user 0
  group 0
}
EOF2
printf 'job {\n  name inc\n  cmd %s/gone\n}\n' "$T" >"$T/d/inc.conf"

run_cmd 10 "$PMTR" -t -c "$CONF"
[ "$RC" = 0 ] || fail "pmtr -t exited $RC on a valid file with warnings: $(cat "$T/err")"
expect() {
	grep -qxF -- "$1" "$T/err" || fail "pmtr -t did not say: $1; it said: $(cat "$T/err")"
}
expect "$CONF:2: warning: job missing: cmd $T/nowhere/server: No such file or directory"
expect "$CONF:2: warning: job missing: dir $T/nodir: No such file or directory"
expect "$CONF:2: warning: job missing: user pmtr-no-such-user: no such user"
expect "$CONF:2: warning: job missing: group pmtr-no-such-group: no such group"
expect "$CONF:9: warning: job plain: cmd $T/plain: not executable"
expect "$CONF:9: warning: job plain: dir $T/plain: not a directory"
expect "$T/d/inc.conf:1: warning: job inc: cmd $T/gone: No such file or directory"
grep -q "job fine" "$T/err" && fail "pmtr -t warned of job fine: $(grep 'job fine' "$T/err")"
[ "$(grep -c ': warning: job ' "$T/err")" = 7 ] || fail "pmtr -t said more than the 7 warnings: $(cat "$T/err")"
ok "pmtr -t: FILE:LINE warnings for cmd, dir, user and group, exit 0"

# Started anyway, each failing start says which step and why, at once.
start_pmtr
wait_for_log "job missing failed to start: unknown user pmtr-no-such-user"
wait_for_log "job inc \[[0-9]*\] failed to start: exec $T/gone: No such file or directory"
wait_for_log "job plain \[[0-9]*\] failed to start: "
stop_pmtr
ok "the starts fail with the step and the reason"
