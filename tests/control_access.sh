#!/bin/bash
# control_access.sh (root): "control socket group" and "control socket mode" give a group of operators status without root, applied at start and on an edit; mutating commands stay refused to them; errors are FILE:LINE. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run pmtrctl as a user"
getent group daemon >/dev/null || skip "no group daemon here"
GID=$(getent group daemon | cut -d: -f3)
PMTRCTL=$(dirname "$PMTR")/pmtrctl
cp "$PMTRCTL" "$T/pmtrctl.bin" && chmod 755 "$T/pmtrctl.bin" || fail "cannot copy pmtrctl"
SOCK=$T/ctl.sock
OPERATOR=(setpriv --reuid=65534 --regid=65534 --groups="$GID")
STRANGER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
gen() {
	cat <<EOF2
control socket group $1
control socket mode $2
job {
  name web
  cmd /bin/sleep 300
}
EOF2
}

gen daemon 0660 >"$CONF"
run_cmd 10 "$PMTR" -t -c "$CONF"
[ "$RC" = 0 ] && [ ! -s "$T/err" ] || fail "pmtr -t: exit $RC: $(cat "$T/err")"
start_pmtr_raw -F -c "$CONF" -s "$SOCK"
wait_job web
wait_for_log "control socket $SOCK: group $GID, mode 0660"
[ "$(stat -c '%g %a' "$SOCK")" = "$GID 660" ] || fail "socket: $(stat -c '%g %a' "$SOCK"), expected $GID 660"
run_cmd 10 "${OPERATOR[@]}" "$T/pmtrctl.bin" -s "$SOCK" status
[ "$RC" = 0 ] && grep -q '^web  *running ' "$T/out" || fail "status by a member of daemon: exit $RC: $(cat "$T/out" "$T/err")"
run_cmd 10 "${OPERATOR[@]}" "$T/pmtrctl.bin" -s "$SOCK" stop web
[ "$RC" = 4 ] || fail "stop by a member of daemon: exit $RC, expected 4 (refused)"
run_cmd 10 "${STRANGER[@]}" "$T/pmtrctl.bin" -s "$SOCK" status
[ "$RC" = 2 ] || fail "status by a user outside daemon: exit $RC, expected 2"
ok "group daemon, mode 0660: a member reads status, may not stop; others cannot connect"

# An edit to 0600: the group loses access at once, nothing restarts.
m=$(log_lines)
W=$(job_pid web)
gen daemon 0600 >"$CONF.new" && mv "$CONF.new" "$CONF"
wait_for_log_since "$m" "control socket $SOCK: group $GID, mode 0600"
run_cmd 10 "${OPERATOR[@]}" "$T/pmtrctl.bin" -s "$SOCK" status
[ "$RC" = 2 ] || fail "status by a member after mode 0600: exit $RC, expected 2"
[ "$(job_pid web)" = "$W" ] || fail "the edit restarted web"
ok "mode 0600 on an edit: applied at once, no job restarted"

# Bad values: FILE:LINE errors, and the socket keeps what it had.
m=$(log_lines)
gen daemon 0066 >"$CONF.new" && mv "$CONF.new" "$CONF"
wait_for_log_since "$m" "$CONF:2: bad mode \"0066\" for control socket mode"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "a bad mode changed the socket to $(stat -c %a "$SOCK")"
gen pmtr-no-such-group 0660 >"$T/bad.conf"
run_cmd 10 "$PMTR" -t -c "$T/bad.conf"
[ "$RC" = 0 ] && grep -qxF "$T/bad.conf:1: warning: control socket group pmtr-no-such-group: no such group" "$T/err" ||
	fail "pmtr -t with an unknown group: exit $RC: $(cat "$T/err")"
ok "a bad mode is a FILE:LINE error; an unknown group a -t warning"
stop_pmtr
