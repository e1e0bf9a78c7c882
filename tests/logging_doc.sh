#!/bin/bash
# logging_doc.sh: every line pmtr logs has its entry in the LOGGING section of pmtr(8). SPDX-License-Identifier: MIT
#
# The formats are the first string of each log_info, log_warn and log_warnx call
# in src/*.c, of udp.c's rate-limited complain(), and of each fprintf(stderr, ...)
# of src/pmtr.c, src/options.c and src/daemon.c (start-up). Each must appear in the LOGGING
# section, its literal text word for word, each conversion (%s, %d, ...) standing
# for any text up to 80 characters (the page's capitals, such as NAME or PID). The
# section is read as text: joined into one line, mdoc macro names and quotes taken
# out, and the escapes \- \(dq \e \& turned into what they print. log_debug and
# log_trace (-v and -vv only) are not checked.
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

SRC=$TESTS_SRCDIR/../src
MAN=$TESTS_SRCDIR/../man/pmtr.8
[ -f "$MAN" ] || { say "no $MAN"; exit 99; }
[ -f "$SRC/pmtr.c" ] || { say "no $SRC/pmtr.c"; exit 99; }

# The formats, as written between the quotes in C, that the page covers as one
# class: "a line that names a system call or an internal step and ends with the
# system's error" (a failure in an unlikely case that pmtr logs and survives).
# Keep this list short: a line an operator meets in normal life or in a common
# failure gets an entry of its own in the page instead.
ALLOWED=(
	# event loop, signals, timers, children
	'epoll_wait'
	'epoll_ctl del fd %d'
	'timerfd read'
	'timerfd_settime'
	'signalfd read'
	'cannot defer a free'
	'waitpid'
	'jobs by pid'
	'kill %d'
	'kill %ld'
	'job %s [%d]: kill'
	# watching files
	'inotify read'
	'inotify read on %s'
	'watch list'
	'clock timer'
	# starting jobs
	'spawn: child stacks'
	'spawn: guard page'
	'spawn: descriptor %d'
	'spawn: descriptors of a start slot'
	'spawn: giving back child stacks'
	'spawn: /dev/null'
	'spawn: output pipe'
	'job %s [%d]: watching its start'
	'job %s: dependency hashes'
	'job %s: its schedule and dependency hashes'
	'job %s: probe'
	# job output
	'job %s [%d]: output read'
	'job %s [%d]: output dropped'
	'job %s [%d]: its output will be lost'
	# control socket
	'control: epoll_ctl'
	'control: accept'
	'control: SO_PEERCRED'
	'control: client'
	'control: out of memory for a reply'
	'control: out of memory for a reader of job output'
	# notify socket
	'notify socket: recvmsg'
	# UDP
	'udp: report'
	'udp control: recvfrom: %s'
	# re-exec
	're-exec: descriptor %d'
	're-exec: job %s: output pipe'
	're-exec: answering pmtrctl'
)

# The string of a call, from its first quote: adjacent literals ("a " "b") joined.
joined() {
	sed -E 's/^[^"]*"//; s/" *$//; s/" *"//g'
}

# One format a line: "file<TAB>format" (the format still escaped as in C).
formats() {
	local f
	for f in "$SRC"/*.c; do
		case ${f##*/} in
		pmtrctl*.c | onconnect.c | log.c) continue ;;	# other programs; the logger itself
		esac
		# whole file on one line: a call may span several
		tr '\n\t' '  ' <"$f" |
			grep -oE '\b(log_(info|warn|warnx)|complain) *\([^";()]*("([^"\\]|\\.)*" *)+' |
			joined | sed "s|^|${f##*/}	|"
		case ${f##*/} in
		pmtr.c | options.c | daemon.c)
			tr '\n\t' '  ' <"$f" |
				grep -oE 'fprintf *\( *stderr *, *("([^"\\]|\\.)*" *)+' |
				joined | sed -E 's/\\n$//' | sed "s|^|${f##*/}	|"
			;;
		esac
	done
}

# The LOGGING section as plain text, on one line.
logging_text() {
	awk '/^\.Sh LOGGING/ { on = 1; next } on && /^\.Sh / { exit } on' "$MAN" |
		grep -v '^\.\\"' |
		sed -E 's/^\.[A-Z][a-z]+ ?//; s/"//g' |
		sed -e 's/\\(dq/"/g' -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/\\&//g' -e 's/\\ / /g' |
		sed -E 's/ (Li|Ns|Ic|Cm|Ar|Dq|Ql|Pq|Po|Pc|Dv|Ev|Fl|Sx|Xr|Nm|No) / /g' |
		tr '\n' ' ' | tr -s ' '
}

# A format as an extended regular expression: its literal text as it is, each
# conversion (%s, %d, %zu, %.*s, ...) any text of up to 80 characters, as the
# capitals of the page stand for the values. Empty when the format has no word
# of its own ("%s": the text comes from elsewhere and is listed there).
regex_of() {
	local lit
	lit=$(printf '%s\n' "$1" | sed -E 's/\\"/"/g; s/\\\\/\\/g')
	case $lit in *[[:alpha:]][[:alpha:]]*) ;; *) return ;; esac
	printf '%s\n' "$lit" |
		sed -E 's/%[-+ #0]*[0-9*]*(\.[0-9*]+)?(hh|h|ll|l|z|j|t|L)?[diouxXscpfeEgG]/\x01/g' |
		sed -E 's/[][\\.^$*+?(){}|]/\\&/g; s/\x01/.{0,80}/g'
}

TEXT=$(logging_text)
[ ${#TEXT} -gt 1000 ] || fail "no LOGGING section in $MAN"

n=0
missing=()
while IFS=$'\t' read -r file fmt; do
	allowed=false
	for a in "${ALLOWED[@]}"; do
		[ "$fmt" = "$a" ] && allowed=true && break
	done
	$allowed && continue
	re=$(regex_of "$fmt")
	[ -n "$re" ] || continue
	n=$((n + 1))
	[[ $TEXT =~ $re ]] || missing+=("$file: \"$fmt\"")
done < <(formats)

[ "$n" -gt 50 ] || fail "only $n log formats found in $SRC: the extraction is broken"
if [ ${#missing[@]} -gt 0 ]; then
	echo "Lines that pmtr logs without an entry in the LOGGING section of man/pmtr.8:"
	printf '  %s\n' "${missing[@]}"
	echo "(document them there, or add a system-call failure to ALLOWED in $0)"
	fail "${#missing[@]} of $n log formats are not documented"
fi
ok "each of the $n log formats of src/*.c has an entry in pmtr(8) LOGGING"

# An allow-list entry that no longer matches a format is only noted.
all=$(formats | cut -f2)
for a in "${ALLOWED[@]}"; do
	grep -qxF -- "$a" <<<"$all" || say "note: ALLOWED entry \"$a\" matches no format any more"
done
exit 0
