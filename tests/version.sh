#!/bin/bash
# version.sh: configure.ac, NEWS, debian/changelog, rpm/pmtr.spec and every program's -V give one version. SPDX-License-Identifier: MIT
. "${TESTS_SRCDIR:-$(dirname "$0")}/lib.sh"

TOP=$TESTS_SRCDIR/..
[ -n "$SOURCE_VERSION" ] || fail "no version in AC_INIT of $TOP/configure.ac"
ok "configure.ac: $SOURCE_VERSION"

# The first entry of each history is the version being made.
news=$(sed -n 's/^\* pmtr \([0-9][^ ]*\).*/\1/p' "$TOP/NEWS" | head -n 1)
deb=$(sed -n '1s/^pmtr (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
spec=$(sed -n 's/^Version:[[:space:]]*//p' "$TOP/rpm/pmtr.spec")
spec_log=$(sed -n '/^%changelog/,$s/^\*.* - \([^ ]*\)-[^-]*$/\1/p' "$TOP/rpm/pmtr.spec" | head -n 1)
for v in "NEWS's first entry:$news" "debian/changelog's first entry:$deb" \
	"rpm/pmtr.spec's Version:$spec" "rpm/pmtr.spec's first %changelog entry:$spec_log"; do
	[ "${v#*:}" = "$SOURCE_VERSION" ] ||
		fail "${v%%:*} is '${v#*:}', configure.ac's AC_INIT is '$SOURCE_VERSION'"
	ok "${v%%:*}: $SOURCE_VERSION"
done

dir=$(dirname "$PMTR")
for prog in pmtr pmtrctl onconnect; do
	run_cmd 5 "$dir/$prog" -V
	[ "$RC" = 0 ] && [ "$(cat "$T/out")" = "$prog $SOURCE_VERSION" ] ||
		fail "$prog -V: exit status $RC, stdout '$(cat "$T/out")', expected 0 and '$prog $SOURCE_VERSION'"
	ok "$prog -V: $prog $SOURCE_VERSION"
done
