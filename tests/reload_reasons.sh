#!/bin/bash
# reload_reasons.sh: a reload says what it did and why: the file that changed (a drop-in by its own name), the settings that restart a job, "nothing changed". SPDX-License-Identifier: MIT
TESTS_SRCDIR=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}
. "$TESTS_SRCDIR/lib.sh"

D=$T/conf.d
mkdir -m 755 "$D"
gen() {
	cat <<EOF2
include $D/*.conf
job {
  name talker
  cmd /bin/sleep $1
  env COLOR=$2
}
EOF2
}
printf 'job {\n  name extra\n  cmd /bin/sleep 300\n}\n' >"$D/extra.conf"
gen 300 red >"$CONF"
start_pmtr
wait_job talker
P=$JOB_PID
wait_job extra

# SIGHUP with nothing changed: said so, nothing stopped.
m=$(log_lines)
kill -HUP "$PMTR_PID"
wait_for_log_since "$m" "$CONF: 2 jobs; nothing changed\$"
assert_no_log_since "$m" "stopping job" "no job stopped by a reload that changed nothing"
ok "SIGHUP, nothing changed: \"2 jobs; nothing changed\""

# env and cmd changed: the restart names both.
m=$(log_lines)
gen 301 blue >"$CONF.new" && mv "$CONF.new" "$CONF"
wait_for_log_since "$m" "^pmtr\[[0-9]*\]: $CONF changed: reloading\$"
wait_for_log_since "$m" "stopping job talker \[$P\]: its cmd, env changed\$"
wait_for_log_since "$m" "$CONF: 2 jobs; 1 restarted or stopped\$"
ok "an edit of cmd and env: \"stopping job talker [$P]: its cmd, env changed\""

# A drop-in edited: the line names it; its job says why it stops.
wait_job talker
m=$(log_lines)
printf 'job {\n  name extra\n  cmd /bin/sleep 300\n  disable\n}\n' >"$D/extra.conf"
wait_for_log_since "$m" "^pmtr\[[0-9]*\]: $D/extra.conf changed: reloading\$"
wait_for_log_since "$m" "stopping job extra \[[0-9]*\]: disabled in the configuration\$"
assert_no_log_since "$m" "$CONF changed" "the drop-in edit does not name the main file"
ok "a drop-in edit names $D/extra.conf; disable says so"

# A drop-in removed, a job added: both counted.
m=$(log_lines)
rm "$D/extra.conf"
wait_for_log_since "$m" "$D/extra.conf changed: reloading\$"
wait_for_log_since "$m" "$CONF: 1 job; 1 removed\$"
ok "a drop-in removed: named, and \"1 removed\""
stop_pmtr
