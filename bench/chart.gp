# bench/chart.gp: the layout of bench/chart.sh's chart: five panels of bars, one bar
# per supervisor, and one of notes. SPDX-License-Identifier: MIT
# chart.sh's prelude sets data, out, npeers, n and head. Columns of data: name,
# colour, start idle, start busy (ms), RSS (MiB), reload, status, shutdown (ms).
# A panel whose values span more than 20x is drawn on a log scale.

set terminal svg size 1260,760 dynamic noenhanced font "Helvetica,12" background "#ffffff"
set output out
set datafile missing "-"
set style fill solid 0.85 border lc rgb "#404040"
set grid ytics lc rgb "#d0d0d0"
set xtics scale 0 font ",11"
set ytics nomirror font ",10"
set border 3
set xrange [-0.6:npeers - 0.4]
unset key
v(x) = x >= 100 ? sprintf("%.0f", x) : x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x)

array cols[4] = [5, 6, 7, 8]
array titles[4] = [sprintf("RSS, %d jobs", n), "reload: job added until it runs, 100 jobs", \
	sprintf("status client, %d jobs", n), sprintf("shutdown, %d jobs", n)]
array units[4] = ["MiB", "ms", "ms", "ms"]

set multiplot layout 2,3 title head font ",14"

# The y axis of a panel from the values of columns c1 and c2 (the same for one):
# a log scale from lo where they span more than 20x, linear from lo = 0 otherwise.
# (stats counts only the points inside the y range in force: autoscale it first.)
axis = "unset logscale y; set autoscale y; mn = 1e300; mx = -1; \
	do for [k in c1.' '.c2] { undefine STATS_*; stats data using int(k) nooutput; \
	if (exists('STATS_min')) { mn = STATS_min < mn ? STATS_min : mn; mx = STATS_max > mx ? STATS_max : mx } }; \
	if (mx <= 0) { unset logscale y; lo = 0; set yrange [0:1] } else { if (mn > 0 && mx / mn > 20) \
	{ set logscale y; lo = mn / 2; set yrange [lo:mx * 4] } else { unset logscale y; lo = 0; set yrange [0:mx * 1.25] } }"

# start: idle and one CPU busy side by side
c1 = "3"; c2 = "4"
@axis
set title sprintf("start of %d jobs, until the last exec", n)
set ylabel "ms"
set key top left font ",10" samplen 1.5
plot data using 0:(NaN):xtic(1) with dots notitle, \
	'' using ($0 - 0.19):3:($0 - 0.36):($0 - 0.02):(lo):3:2 with boxxyerror lc rgb variable notitle, \
	'' using ($0 + 0.19):4:($0 + 0.02):($0 + 0.36):(lo):4:2 with boxxyerror fs pattern 4 lc rgb variable notitle, \
	'' using ($0 - 0.19):3:(v($3)) with labels offset 0,0.6 font ",8" notitle, \
	'' using ($0 + 0.19):4:(v($4)) with labels offset 0,0.6 font ",8" notitle, \
	NaN with boxes fs solid 0.85 lc rgb "#808080" title "idle", \
	NaN with boxes fs pattern 4 lc rgb "#808080" title "one CPU busy"
unset key

do for [i = 1:4] {
	c1 = sprintf("%d", cols[i]); c2 = c1
	@axis
	c = cols[i]
	set title titles[i]
	set ylabel units[i]
	plot data using 0:c:($0 - 0.35):($0 + 0.35):(lo):c:2:xtic(1) with boxxyerror lc rgb variable, \
		'' using 0:c:(v(column(c))) with labels offset 0,0.6 font ",9"
}

# notes
unset logscale y
unset border
unset tics
unset grid
unset ylabel
set title ""
set xrange [0:1]
set yrange [0:1]
set label 1 "floor: start and shutdown of a C loop that\nfork+execs N /bin/sleep; RSS of a process\nin epoll_wait; status client: /bin/true\nno bar: not measured (reload has no floor)" at graph 0.02, 0.9 font ",11"
set label 2 "one CPU busy: a shell loop\n(while :; do :; done) runs during the start" at graph 0.02, 0.52 font ",11"
set label 3 "log scale where a panel's values\nspan more than 20x; lower is better" at graph 0.02, 0.25 font ",11"
plot NaN notitle
unset multiplot
