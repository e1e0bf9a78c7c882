#!/bin/bash
# user_conf.sh (root): pmtr run by a user other than root without -c reads $XDG_CONFIG_HOME/pmtr/pmtr.conf (or ~/.config/pmtr/pmtr.conf), made empty with its directories when missing. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run pmtr as a user"
use_pmtr_copy
AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
mkdir -m 755 "$T/home" "$T/xdg"
chown 65534:65534 "$T/home" "$T/xdg"

# ---- XDG_CONFIG_HOME set: $XDG_CONFIG_HOME/pmtr/pmtr.conf, made when missing
PMTR_LAUNCH=("${AS_USER[@]}" env --default-signal XDG_CONFIG_HOME="$T/home/cfg" HOME=/nonexistent)
start_pmtr_raw -F -s none
wait_for_log "pmtr: starting"
wait_for_log "$T/home/cfg/pmtr/pmtr.conf: 0 jobs"
[ -f "$T/home/cfg/pmtr/pmtr.conf" ] || fail "no $T/home/cfg/pmtr/pmtr.conf made"
[ "$(stat -c %a "$T/home/cfg/pmtr")" = 700 ] || fail "$T/home/cfg/pmtr has mode $(stat -c %a "$T/home/cfg/pmtr"), expected 700"
# it is the file pmtr reads: a job added there runs
printf 'job {\n  name mine\n  cmd /bin/sleep 300\n}\n' >"$T/home/cfg/pmtr/pmtr.conf"
wait_job mine
[ "$(stat -c %u "/proc/$JOB_PID")" = 65534 ] || fail "job mine does not run as the user"
stop_pmtr
ok "not root, XDG_CONFIG_HOME: \$XDG_CONFIG_HOME/pmtr/pmtr.conf made (dir 0700) and read"

# ---- only HOME: ~/.config/pmtr/pmtr.conf; -t reads the same file and says so
mkdir -p "$T/home/.config/pmtr" && chown -R 65534:65534 "$T/home/.config"
printf 'job {\n  name hers\n  cmd /bin/sleep 300\n}\n' >"$T/home/.config/pmtr/pmtr.conf"
chown 65534:65534 "$T/home/.config/pmtr/pmtr.conf"
run_cmd 10 "${AS_USER[@]}" env -u XDG_CONFIG_HOME HOME="$T/home" "$PMTR" -t -v
[ "$RC" = 0 ] && grep -qF "$T/home/.config/pmtr/pmtr.conf: 1 jobs, configuration ok" "$T/out" ||
	fail "pmtr -t -v as a user with HOME only: exit $RC: $(cat "$T/out" "$T/err")"
ok "not root, HOME only: pmtr -t reads ~/.config/pmtr/pmtr.conf"

# ---- neither: a clear error, exit 1
run_cmd 10 "${AS_USER[@]}" env -u XDG_CONFIG_HOME -u HOME "$PMTR" -F -s none
[ "$RC" = 1 ] && grep -q "neither XDG_CONFIG_HOME nor HOME is set: give the configuration file with -c FILE" "$T/err" ||
	fail "no XDG_CONFIG_HOME and no HOME: exit $RC: $(cat "$T/err")"
ok "not root, neither set: exit 1, says to use -c"

