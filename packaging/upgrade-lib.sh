# upgrade-lib.sh: helpers of packaging/test-upgrade.sh (sourced; uses its variables: tmp,
# sock, runc, runc_root, rootfs_dir, syncpipe, probe, podman, proot).

# the daemons of the default socket: holders of <socket>.lock
daemons() {
	find /proc/[0-9]*/fd -maxdepth 1 -lname "$sock.lock" 2>/dev/null | cut -d / -f 3 | sort -un \
		| tr '\n' ' ' | sed 's/ $//'
}

# the installed launchers (also of a replaced binary): "<pid>" per line; with an argument
# "current", only those of the binary installed now
launchers() {
	local deleted=/usr/bin/jshim
	[ "${1:-}" = current ] || deleted='/usr/bin/jshim (deleted)'
	for exe in $(find /proc -mindepth 2 -maxdepth 2 -name exe \( -lname /usr/bin/jshim \
		-o -lname "$deleted" \) 2>/dev/null); do
		p=${exe#/proc/}
		p=${p%/exe}
		[ "$(cut -d ' ' -f 3 "/proc/$p/stat" 2>/dev/null)" = Z ] || echo "$p"
	done
}

# launchers_of VERSION: the installed launchers (also of a replaced binary) of VERSION, asked
# from each binary through /proc/<pid>/exe
launchers_of() {
	for p in $(launchers); do
		[ "$("/proc/$p/exe" --version 2>/dev/null | head -n 1)" = "jshim $1" ] && echo "$p"
	done
	return 0
}

# known_to_dpkg: jshim is installed, half-installed, or removed with its configuration kept
known_to_dpkg() {
	local st
	st=$(dpkg-query -W -f '${db:Status-Status}' jshim 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != not-installed ]
}

installed_version() {
	dpkg-query -W -f '${Status} ${Version}' jshim 2>/dev/null | sed -n 's/^install ok installed //p'
}

install_deb() {
	dpkg -i "$1" >"$2" 2>&1 9>&-
}

# gone PID SECONDS: PID ended (a zombie counts: PID 1 here does not reap)
gone() {
	for _ in $(seq $(($2 * 10))); do
		st=$(cut -d ' ' -f 3 "/proc/$1/stat" 2>/dev/null || echo gone)
		[ "$st" = gone ] || [ "$st" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

# same_daemon PID WHAT: PID is still the one daemon of the default socket after WHAT; if not,
# says what became of it (gone without a log line means a signal from outside: SIGKILL)
same_daemon() {
	[ "$(daemons)" = "$1" ] && return 0
	local st
	st=$(grep -h '^State:' "/proc/$1/status" 2>/dev/null || echo "gone")
	fail "$2 changed the daemon: now '$(daemons)', was $1 ($st); jshimd.log ends: $(tail -n 5 /run/jshim/jshimd.log)"
}

# await_daemon OLD_PID VERSION: the one daemon of the default socket, not OLD_PID, which
# logged "jshimd VERSION listening on <socket> (pid P)"; prints P
await_daemon() {
	for _ in $(seq 300); do
		d=$(daemons)
		if [ -n "$d" ] && [ "$d" != "$1" ] && [ "${d#* }" = "$d" ] &&
			grep -qF "jshimd $2 listening on $sock (pid $d)" /run/jshim/jshimd.log 2>/dev/null; then
			echo "$d"
			return 0
		fi
		sleep 0.1
	done
	fail "no jshimd $2 serves $sock 30 s after pid ${1:-none} (daemons now: $(daemons)); jshimd.log: $(tail -n 5 /run/jshim/jshimd.log 2>&1)"
}

# start_shimmy NAME LAUNCHER SCRIPT [FLAG...]: a container the way conman starts one (its
# argv order, sync pipe fd 3, empty environment but the array shim_env, the default daemon
# socket), then runc start
shim_env=()
start_shimmy() {
	local name=$1 launcher=$2 script=$3
	shift 3
	local dir=$tmp/$name
	mkdir -p "$dir"
	jq --arg root "$rootfs_dir/rootfs" --arg s "$script" '.root.path = $root | .process.args = ["sh", "-c", $s]' \
		"$rootfs_dir/config.template.json" >"$dir/config.json"
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${shim_env[@]}" "$syncpipe" --report "$dir/report.json" -- \
		"$launcher" --shimmy-pidfile "$dir/shimmy.pid" --shimmy-log-level INFO \
		--runtime "$runc" "--runtime-arg='--root=$runc_root'" \
		--bundle "$dir" --container-id "$name" \
		--container-pidfile "$dir/container.pid" --container-logfile "$dir/log" \
		--container-exitfile "$dir/exit" --container-attachfile "$dir/attach" \
		"$@" --syncpipe-fd 3 </dev/null >"$dir/jshim.out" 2>&1 9>&- \
		|| fail "$name: $launcher exited $?: $(cat "$dir/jshim.out")"
	jq -e '.kind == "container_pid" and .pid > 0' "$dir/report.json" >/dev/null 2>&1 \
		|| fail "$name: sync report is not container_pid: $(cat "$dir/report.json")"
	"$runc" --root "$runc_root" start "$name" || fail "$name: runc start"
}

# attach NAME LINE [EXPECT]: one attach session sends LINE and sees EXPECT (default got:LINE)
# in the container's output; EXPECT "" only sends
attach() {
	"$probe" "$tmp/$1/attach" "$2" "${3-got:$2}" 20000 >"$tmp/$1/attach.out" 2>&1 9>&- \
		|| fail "$1: attach (sent $2): $(cat "$tmp/$1/attach.out")"
}

lines() {
	wc -l <"$tmp/$1/log"
}

# await_lines NAME N: the log of NAME has N lines within 30 s
await_lines() {
	for _ in $(seq 300); do
		[ "$(lines "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1: $(lines "$1") log lines 30 s on, waiting for $2"
}

# await_exit NAME CODE: the shimmy exit file says "exited" with CODE within 30 s
await_exit() {
	local f=$tmp/$1/exit
	for _ in $(seq 300); do [ -s "$f" ] && break; sleep 0.1; done
	[ -s "$f" ] || fail "$1: no exit file 30 s after its end"
	jq -e --argjson c "$2" '.reason == "exited" and .exitCode == $c' "$f" >/dev/null \
		|| fail "$1: exit file $(cat "$f"), expected exit code $2"
}

# verify_stream NAME: the stdout records of NAME, joined, are "s0 <pad>", "s1 <pad>", ... each
# exactly once, in order, nothing else. The shimmy log format has a record per chunk read
# (<= 32767 bytes, no partial-line marker): a daemon that resumes a full pipe reads a chunk
# that ends inside a line, and that line then spans two records, as with shimmy. Prints
# "<lines> <records that end inside a line>".
verify_stream() {
	awk -v name="$1" -v pad="________________________________________________________" '
		!/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[^ ]+ stdout / {
			printf "%s: log line %d is not a stdout record: %s\n", name, NR, $0 > "/dev/stderr"; bad = 1; exit 1 }
		{ t = $0; sub(/^[^ ]+ [^ ]+ /, "", t)
		  if (length(t) == 0 || length(t) > 32767) {
			printf "%s: record %d has %d bytes\n", name, NR, length(t) > "/dev/stderr"; bad = 1; exit 1 }
		  acc = acc t
		  for (;;) {
			want = "s" (n + 0) " " pad
			if (substr(acc, 1, length(want)) != want) break
			acc = substr(acc, length(want) + 1); n++
		  }
		  if (acc != "") {
			split_records++
			if (length(acc) >= length(want) || substr(want, 1, length(acc)) != acc) {
				printf "%s: log record %d: stream goes on with \"%s\", expected \"%s\"\n", name, NR, acc, want > "/dev/stderr"; bad = 1; exit 1 }
		  } }
		END { if (bad) exit 1
		      if (acc != "") { printf "%s: the log ends inside line %d: \"%s\"\n", name, n, acc > "/dev/stderr"; exit 1 }
		      print n + 0, split_records + 0 }' "$tmp/$1/log" || fail "$1: the log is not exact"
}

# verify_texts NAME "T1 T2 ...": the stdout records of NAME are exactly these texts
verify_texts() {
	got=$(awk '{ t = $0; sub(/^[^ ]+ [^ ]+ /, "", t); printf "%s%s", sep, t; sep = " " }' "$tmp/$1/log")
	[ "$got" = "$2" ] || fail "$1: log texts \"$got\", expected \"$2\""
}

# teardown DIR: after the test run in DIR (also one that was killed): delete its containers
# (runc root DIR/runc, podman root DIR/podman), let their launchers end, purge jshim, stop a
# daemon left running (the previous release's scripts leave theirs). Fails if the purge fails.
teardown() {
	local dir=$1 rc=0
	for c in $("$runc" --root "$dir/runc" list -q 2>/dev/null); do
		"$runc" --root "$dir/runc" delete -f "$c" >/dev/null 2>&1
	done
	if [ -x "$podman" ] && [ -d "$dir/podman/root" ]; then
		proot=$dir/podman podman_cmd rm -f -a -t 0 >/dev/null 2>&1
	fi
	# the launchers see their containers die and end within the fallback (10 s) at most
	for _ in $(seq 150); do [ -z "$(launchers)" ] && break; sleep 0.1; done
	cp /run/jshim/jshimd.log /run/jshim/launcher.log "$dir/" 2>/dev/null
	if known_to_dpkg; then
		# a killed run's dpkg may still be finishing: wait for its lock (60 s at most)
		for _ in $(seq 60); do
			dpkg --purge jshim >"$dir/purge.log" 2>&1 9>&- && break
			grep -q 'lock' "$dir/purge.log" || break
			sleep 1
		done
		known_to_dpkg && { cat "$dir/purge.log"; rc=1; }
	fi
	for p in $(daemons); do kill -TERM "$p" 2>/dev/null; gone "$p" 10; done
	for p in $(daemons) $(launchers); do kill -KILL "$p" 2>/dev/null; done
	return $rc
}

# graceful PID: daemon PID ran its SIGTERM shutdown ("shutting down: N connections, ..."; it
# exits 143 then) and did not time out in it ("shutdown did not finish"). Not "stopped": the
# JVM may halt before the main thread logs that line once the shutdown hook is done.
graceful() {
	awk -v me="(pid $1)" '
		index($0, " listening on ") && index($0, me) { mine = 1; next }
		mine && index($0, " listening on ") { exit }
		mine && / INFO shutting down: [0-9]+ connections/ { down = 1 }
		mine && /shutdown did not finish/ { late = 1 }
		END { exit !(down && !late) }' /run/jshim/jshimd.log \
		|| fail "jshimd $1 did not log a graceful stop: $(sed -n "/(pid $1)/,\$p" /run/jshim/jshimd.log | head -n 40)"
}

# ---- podman: a private storage root, jshim's conmon name, the default daemon socket ----
podman_cmd() {
	CONTAINERS_CONF=$proot/containers.conf "$podman" --root "$proot/root" --runroot "$proot/runroot" \
		--tmpdir "$proot/tmp" --storage-driver vfs --cgroup-manager=cgroupfs --events-backend=file \
		--conmon /usr/libexec/jshim/conmon "$@" 9>&-
}

start_podman() {
	printf '[engine]\n' >"$proot/containers.conf"
	[ -d "$proot/rootfs" ] || cp -a "$rootfs_dir/rootfs" "$proot/rootfs"
	podman_cmd run -d --name "$1" --network none --log-driver k8s-file \
		--ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --rootfs "$proot/rootfs" \
		sh -c "$2" >"$proot/$1.run" 2>&1 || fail "podman run $1: $(cat "$proot/$1.run")"
	for _ in $(seq 300); do
		[ "$(podman_cmd logs "$1" 2>/dev/null | wc -l)" -ge 100 ] && return 0
		sleep 0.1
	done
	fail "podman $1: fewer than 100 lines in podman logs after 30 s"
}

stop_podman() {
	podman_cmd stop -t 10 "$1" >/dev/null 2>&1 || fail "podman stop $1"
	code=$(podman_cmd inspect -f '{{.State.ExitCode}}' "$1") || fail "podman inspect $1"
	[ "$code" = 7 ] || fail "podman $1: exit code $code, expected 7"
}

verify_podman() {
	podman_cmd logs "$1" >"$proot/$1.logs" 2>&1 || fail "podman logs $1"
	awk -v pad="________________________________________________________" '
		$0 != "s" (n + 0) " " pad { printf "podman logs line %d is \"%s\", expected s%d\n", NR, $0, n > "/dev/stderr"; bad = 1; exit 1 }
		{ n++ } END { if (!bad) print n + 0 }' "$proot/$1.logs" >"$proot/$1.count" \
		|| fail "podman $1: podman logs is not exact"
}
