# Shared part of the maintainer scripts (deb postinst/prerm/postrm, rpm %post/%preun/%postun),
# pasted into each of them by CMake (where packaging/maint/*.in name them).
# The upgrade rule is docs/DESIGN.md's "Upgrades" section:
#   - after an install or upgrade the running daemon (the one on the default socket) is sent
#     SIGTERM: a graceful hand-over, the launchers reconnect and start the installed jshimd;
#   - except while launchers newer than this package run (a daemon older than them might not
#     speak their protocol): then the running daemon, which serves them, is left alone;
#   - a downgrade to a release whose daemon cannot serve this release's launchers is refused
#     (deb prerm) while such launchers run; rpm cannot refuse, so it leaves the daemon running.
jshim_version='@PROJECT_VERSION@'
# the first release whose daemon serves the protocol this release's launchers speak
jshim_proto_since='@JSHIM_PROTO_SINCE@'
jshim_launcher='@CMAKE_INSTALL_FULL_BINDIR@/jshim'
jshim_socket='/run/jshim/jshimd.sock'
jshim_jshimd='@JSHIM_INSTALLED_JSHIMD@'
# jshimd's class-data-sharing archive and its id, made here, not shipped (docs/packaging.md)
jshim_cds_files='@JSHIM_LIBDIR@/jshimd.jsa @JSHIM_LIBDIR@/jshimd.jsa.id'

jshim_say() {
	echo "jshim: $*" >&2
}

# jshim_ver_lt A B: true if version A sorts before version B.
jshim_ver_lt() {
	[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

# jshim_daemons: the pids of the daemons of the default socket (holders of <socket>.lock).
jshim_daemons() {
	find /proc/[0-9]*/fd -maxdepth 1 -lname "$jshim_socket.lock" 2>/dev/null | cut -d / -f 3 | sort -un
}

# jshim_launchers: "<pid> <version>" for every running launcher of the installed path (also
# of a replaced or removed binary: "<path> (deleted)"). The version is asked from the binary
# itself, through /proc/<pid>/exe, once per binary.
jshim_launchers() {
	seen=
	for exe in $(find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname "$jshim_launcher" \
		-o -lname "$jshim_launcher (deleted)" \) 2>/dev/null); do
		pid=${exe#/proc/}
		pid=${pid%/exe}
		ino=$(stat -L -c %i "$exe" 2>/dev/null) || continue
		ver=
		case "$seen " in
		*" $ino="*)
			ver=${seen#* $ino=}
			ver=${ver%% *}
			;;
		esac
		if [ -z "$ver" ]; then
			ver=$(timeout 5 "$exe" --version 2>/dev/null | sed -n 's/^jshim \([0-9][0-9.]*\).*/\1/p' | head -n 1)
			[ -n "$ver" ] || ver=unknown
			seen="$seen $ino=$ver"
		fi
		echo "$pid $ver"
	done
}

# jshim_launchers_from VERSION: the launchers of VERSION or later (an unknown version counts).
jshim_launchers_from() {
	jshim_launchers | while read -r pid ver; do
		if [ "$ver" = unknown ] || ! jshim_ver_lt "$ver" "$1"; then
			echo "$pid $ver"
		fi
	done
}

# jshim_launchers_newer_than VERSION: the launchers of a version after VERSION (or unknown).
jshim_launchers_newer_than() {
	jshim_launchers | while read -r pid ver; do
		if [ "$ver" = unknown ] || jshim_ver_lt "$1" "$ver"; then
			echo "$pid $ver"
		fi
	done
}

# jshim_stop_daemon WHY [AFTER]: SIGTERM to the default socket's daemon, then wait (10 s at most)
# until it is gone. The daemon keeps nothing the launchers cannot hand over again: they
# reconnect and start the installed jshimd, which resumes every log where it stopped.
# policy-rc.d is not asked: this is no service start but a hand-over that correctness needs
# (an older daemon refuses the new launchers), and Docker images ship a policy-rc.d that
# forbids everything (exit 101), also on hosts that run containers.
jshim_stop_daemon() {
	pids=$(jshim_daemons)
	[ -n "$pids" ] || return 0
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	i=0
	while [ $i -lt 100 ]; do
		left=
		for pid in $pids; do
			[ -d "/proc/$pid" ] && [ "$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null)" != Z ] && left="$left $pid"
		done
		[ -n "$left" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$left" ]; then
		jshim_say "jshimd (pid$left) still runs 10 s after SIGTERM; its launchers go on with it"
	else
		jshim_say "stopped jshimd (pid $(echo $pids)) $1${2:-; its launchers start the installed one}"
	fi
}

# jshim_hand_over WHY: the install/upgrade rule (see the top of this file). Under systemd the
# units may have changed: reload them first (jshimd.service has Restart=always, so systemd
# starts the installed jshimd after the SIGTERM; with jshimd.socket the socket stays).
jshim_hand_over() {
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null 2>&1 || true
	fi
	newer=$(jshim_launchers_newer_than "$jshim_version" | awk '{print $1 " (" $2 ")"}' | tr '\n' ' ' | sed 's/ $//')
	if [ -n "$newer" ]; then
		jshim_say "WARNING: launchers newer than $jshim_version run: $newer; the running jshimd"
		jshim_say "serves them and is left running; it is replaced when it next stops"
		return 0
	fi
	jshim_stop_daemon "$1"
}

# jshim_downgraded_to VERSION WHY: after the files of an older VERSION replaced ours.
jshim_downgraded_to() {
	mine=$(jshim_launchers_from "$jshim_proto_since" | awk '{print $1 " (" $2 ")"}' | tr '\n' ' ' | sed 's/ $//')
	if [ -n "$mine" ] && jshim_ver_lt "$1" "$jshim_proto_since"; then
		jshim_say "WARNING: launchers of $jshim_proto_since or later run: $mine; jshimd $1 cannot serve"
		jshim_say "them, so the running jshimd $jshim_version is LEFT RUNNING for them. Do not stop"
		jshim_say "it until they have exited: a jshimd $1 started for them refuses them, and"
		jshim_say "their containers' output after that point would be lost."
		return 0
	fi
	jshim_stop_daemon "$2"
}

# jshim_removed: the package is gone. A daemon nobody uses is stopped; one that launchers
# still use keeps serving them until it stops.
jshim_removed() {
	left=$(jshim_launchers | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')
	if [ -n "$left" ]; then
		jshim_say "launchers still run ($left); their jshimd keeps running until it stops"
		return 0
	fi
	jshim_stop_daemon "(package removed)" "; no launcher runs"
}

# jshim_cds_dump: dumps jshimd's class-data-sharing archive for the java it runs now (after
# an install or upgrade, and when a JDK under /usr/lib/jvm changes: the old archive no longer
# matches, and jshimd would ignore it). A failure only warns: jshimd then starts without it,
# slower (docs/packaging.md, "Class data sharing").
jshim_cds_dump() {
	if [ -x "$jshim_jshimd" ] && ! "$jshim_jshimd" --cds-dump; then
		jshim_say "warning: no class data sharing archive for jshimd; it works, but starts slower"
	fi
}

# jshim_cds_remove: the archive is not a file of the package: removed with it.
jshim_cds_remove() {
	for f in $jshim_cds_files; do
		rm -f -- "$f" "$f.tmp" "$f.log"
	done
}
