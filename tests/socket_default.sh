#!/bin/bash
# socket_default.sh (root): without -s, pmtr run by a user listens on $XDG_RUNTIME_DIR/pmtr.sock and that user's pmtrctl finds it; without XDG_RUNTIME_DIR it runs without a socket and says so; as root it makes a missing socket directory. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

require_root
command -v setpriv >/dev/null || skip "needs setpriv (util-linux) to run pmtr as a user"
PMTRCTL=$(dirname "$PMTR")/pmtrctl
[ -x "$PMTRCTL" ] || fail "no pmtrctl at $PMTRCTL"
# The default socket, as pmtr -h names it.
DEFAULT_SOCKET=$("$PMTR" -h | sed -n 's/.*control socket (default \([^,]*\),.*/\1/p')
[ -n "$DEFAULT_SOCKET" ] || fail "pmtr -h names no default socket"
use_pmtr_copy
cp "$PMTRCTL" "$T/pmtrctl.bin" && chmod 755 "$T/pmtrctl.bin" || fail "cannot copy pmtrctl"
PMTRCTL=$T/pmtrctl.bin
write_conf <<'EOF2'
job {
  name s
  cmd /bin/sleep 300
}
EOF2
chmod 644 "$CONF"
AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# ---- a user's pmtr and pmtrctl meet at $XDG_RUNTIME_DIR/pmtr.sock
mkdir -m 700 "$T/xdg"
chown 65534:65534 "$T/xdg"
PMTR_LAUNCH=("${AS_USER[@]}" env --default-signal XDG_RUNTIME_DIR="$T/xdg")
start_pmtr_raw -F -c "$CONF"
wait_job s
wait_until 5 "a socket at $T/xdg/pmtr.sock" test -S "$T/xdg/pmtr.sock"
run_cmd 10 "${AS_USER[@]}" env XDG_RUNTIME_DIR="$T/xdg" "$PMTRCTL" status
[ "$RC" = 0 ] || fail "pmtrctl status as the user: exit $RC: $(cat "$T/err")"
grep -q '^s  *running ' "$T/out" || fail "pmtrctl status as the user: no running job s: $(cat "$T/out")"
ok "not root: pmtr listens on \$XDG_RUNTIME_DIR/pmtr.sock, and pmtrctl without -s finds it"
# PMTR_SOCKET names a socket, without -s; without it and XDG_RUNTIME_DIR the
# message says which socket was tried and how to choose one.
run_cmd 10 "${AS_USER[@]}" env -u XDG_RUNTIME_DIR PMTR_SOCKET="$T/xdg/pmtr.sock" "$PMTRCTL" status
[ "$RC" = 0 ] && grep -q '^s  *running ' "$T/out" || fail "PMTR_SOCKET: exit $RC: $(cat "$T/out" "$T/err")"
run_cmd 10 "${AS_USER[@]}" env -u XDG_RUNTIME_DIR -u PMTR_SOCKET "$PMTRCTL" status
[ "$RC" = 2 ] && grep -qF "cannot connect to $DEFAULT_SOCKET: " "$T/err" &&
	grep -qF "(no pmtr of your own was looked for: XDG_RUNTIME_DIR is not set; choose a socket with -s PATH or PMTR_SOCKET)" "$T/err" ||
	fail "pmtrctl without XDG_RUNTIME_DIR: exit $RC: $(cat "$T/err")"
ok "pmtrctl: PMTR_SOCKET chooses the socket; without XDG_RUNTIME_DIR it says what it tried and how to choose"
stop_pmtr
[ -e "$T/xdg/pmtr.sock" ] && fail "the socket is left behind after pmtr exited"

# ---- no XDG_RUNTIME_DIR: no socket, said once
PMTR_LAUNCH=("${AS_USER[@]}" env -u XDG_RUNTIME_DIR --default-signal)
start_pmtr_raw -F -c "$CONF"
wait_job s
wait_for_log "control socket disabled: XDG_RUNTIME_DIR is not set (use -s PATH)"
[ "$(log_count "control socket disabled")" = 1 ] || fail "the missing socket was reported more than once"
stop_pmtr
ok "not root, no XDG_RUNTIME_DIR: pmtr runs without a socket and says why"

# ---- root: the default socket's directory is made when missing. In a private
# mount namespace an empty tmpfs hides the directory (or the nearest existing
# directory above it), so nothing of the machine's is touched.
command -v unshare >/dev/null && unshare --mount --propagation private true 2>/dev/null ||
	skip "unshare --mount is not permitted here"
SOCK_DIR=$(dirname "$DEFAULT_SOCKET")
HIDE=$SOCK_DIR
[ -d "$HIDE" ] && HIDE=$(dirname "$HIDE")
while [ ! -d "$HIDE" ]; do HIDE=$(dirname "$HIDE"); done
case $HIDE in
/ | /proc | /sys | /dev) ok "SKIP: the socket directory $SOCK_DIR cannot be hidden here"; exit 0 ;;
esac
case $T/ in "$HIDE"/*) ok "SKIP: hiding $HIDE would hide the test directory"; exit 0 ;; esac
# umask 077: the directory is 0755 all the same (pmtr sets the mode it means).
PMTR_LAUNCH=(unshare --mount --propagation private
	sh -c 'umask 077 && mount -t tmpfs -o mode=755 tmpfs "$1" && shift && exec env --default-signal "$@"' sh "$HIDE")
start_pmtr_raw -F -c "$CONF"
wait_job s
wait_for_log "made .* for the control socket"
wait_until 5 "a socket at $DEFAULT_SOCKET in pmtr's mount namespace" \
	nsenter --mount --target "$PMTR_PID" test -S "$DEFAULT_SOCKET"
run_cmd 10 nsenter --mount --target "$PMTR_PID" "$PMTRCTL" status
[ "$RC" = 0 ] || fail "pmtrctl status as root: exit $RC: $(cat "$T/err")"
grep -q '^s  *running ' "$T/out" || fail "pmtrctl status as root: no running job s: $(cat "$T/out")"
mode=$(nsenter --mount --target "$PMTR_PID" stat -c %a "$SOCK_DIR")
[ "$mode" = 755 ] || fail "$SOCK_DIR was made with mode $mode, not 755"
stop_pmtr
ok "root: the missing socket directory $SOCK_DIR is made (0755) and pmtrctl reaches the daemon"
