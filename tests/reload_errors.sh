#!/bin/bash
# reload_errors.sh: a file that cannot be used is said where the operator looks: pmtrctl reload exits 4 with its FILE:LINE errors, and status (table and JSON) says since when the jobs run on the configuration read before. SPDX-License-Identifier: MIT
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"
PMTRCTL=${PMTRCTL:-$(dirname "$PMTR")/pmtrctl}
SOCK=$T/ctl.sock
ctl() { run_cmd 10 "$PMTRCTL" -s "$SOCK" "$@"; }

good() { printf 'job {\n  name web\n  cmd /bin/sleep %s\n}\n' "$1"; }
good 300 >"$CONF"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job web
W=$JOB_PID

ctl reload
[ "$RC" = 0 ] && [ ! -s "$T/err" ] || fail "reload of a good file: exit $RC, stderr: $(cat "$T/err")"
ok "pmtrctl reload of a good file: exit 0, silent"

# A broken file, saved as an editor does (rename): two errors.
m=$(log_lines)
printf 'job {\n  name web\n  cmd /bin/sleep 300\n  colour blue\n}\njob {\n  name web\n  cmd /bin/true\n}\n' >"$CONF.new"
mv "$CONF.new" "$CONF"
wait_for_log_since "$m" "$CONF: invalid, keeping the running configuration"
t_bad=$(date +%s)
ctl reload
[ "$RC" = 4 ] || fail "reload of a broken file: exit $RC, expected 4"
grep -qxF "$CONF:4: job \"web\": unknown keyword \"colour\"" "$T/err" &&
	grep -qxF "$CONF:7: duplicate job name \"web\" (first at line 2)" "$T/err" ||
	fail "reload of a broken file: the errors are not on stderr: $(cat "$T/err")"
grep -q "cannot be used" "$T/err" || fail "reload: no word that the file cannot be used: $(cat "$T/err")"
[ "$(job_pid web)" = "$W" ] && pid_running "$W" || fail "the broken file stopped job web"
ok "pmtrctl reload of a broken file: exit 4, each FILE:LINE error, web untouched"

ctl status
[ "$RC" = 0 ] || fail "status with a broken file on disk: exit $RC"
grep -q "^web  *running  *$W " "$T/out" || fail "status table: $(cat "$T/out")"
grep -q "^pmtrctl: the configuration on disk cannot be used since [0-9-]* [0-9:]*; the jobs run on the one read before:\$" "$T/err" &&
	grep -qxF "$CONF:4: job \"web\": unknown keyword \"colour\"" "$T/err" ||
	fail "status says nothing of the broken file: $(cat "$T/err")"
ctl status --json
since=$(sed -n 's/.*"config_invalid_since":\([0-9]*\),.*/\1/p' "$T/out")
[ -n "$since" ] && [ "$since" -le "$t_bad" ] && [ "$since" -ge $((t_bad - 30)) ] ||
	fail "status --json: config_invalid_since '$since' (the file broke at about $t_bad): $(cat "$T/out")"
grep -qF "\"config_errors\":[\"$CONF:4: job \\\"web\\\": unknown keyword \\\"colour\\\"\",\"$CONF:7: duplicate job name \\\"web\\\" (first at line 2)\"]}" "$T/out" ||
	fail "status --json: config_errors: $(cat "$T/out")"
ok "status (table on stdout, note on stderr) and JSON say since when and why"

# Mended: no note, null and [].
m=$(log_lines)
good 301 >"$CONF.new" && mv "$CONF.new" "$CONF"
wait_for_log_since "$m" "stopping job web \[$W\]: its cmd changed"
ctl status
[ "$RC" = 0 ] && [ ! -s "$T/err" ] || fail "status after the mend: exit $RC, stderr: $(cat "$T/err")"
ctl status --json
grep -qF '"config_invalid_since":null,"config_errors":[]}' "$T/out" || fail "status --json after the mend: $(cat "$T/out")"
ctl reload
[ "$RC" = 0 ] || fail "reload after the mend: exit $RC"
ok "mended: status says nothing more, JSON null and [], reload exit 0"
stop_pmtr
