#!/usr/bin/env bash
# demo.sh: set up, build into build/, and run one container through jshim exactly the way
# conman does (spec section 2.2 argv, fd 3 = sync pipe), with a private daemon socket and
# a private runc root under build/demo. Run as root on Debian 12.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash scripts/setup-debian.sh
cmake -S . -B build
cmake --build build -j"$(nproc)"
sh tests/make-rootfs.sh build/test-rootfs

demo=$top/build/demo
runc=/usr/sbin/runc
runc_root=$demo/runc
id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')   # 32 hex characters, like conman
bundle=$demo/containers/$id/bundle
log=$demo/logs/$id.log
exitfile=$demo/exits/$id
attach=$demo/attach/$id
sock=$demo/jshimd.sock

cleanup() {
	set +e
	"$runc" --root "$runc_root" delete -f "$id" >/dev/null 2>&1
	# stop the demo's own daemon: it holds the lock next to its socket
	if [ -e "$sock.lock" ]; then
		for p in /proc/[0-9]*; do
			if ls -l "$p/fd" 2>/dev/null | grep -qF -- "-> $sock.lock"; then
				kill -TERM "${p#/proc/}" 2>/dev/null
			fi
		done
	fi
}
trap cleanup EXIT

rm -rf "$demo"
mkdir -p "$bundle" "$demo/logs" "$demo/exits" "$demo/attach" "$runc_root"
cp -a build/test-rootfs/rootfs "$bundle/rootfs"
jq '.process.args = ["sh", "-c", "echo hello from stdout; echo hello from stderr >&2; echo bye; exit 3"]' \
	build/test-rootfs/config.template.json >"$bundle/config.json"

echo "== jshim (as conman runs it; fd 3 is the sync report)"
set -x
JSHIM_SOCKET=$sock JSHIMD=$top/build/jshimd \
build/native/launcher/jshim \
	--shimmy-pidfile "$bundle/shimmy.pid" \
	--shimmy-log-level TRACE \
	--runtime "$runc" \
	"--runtime-arg='--root=$runc_root'" \
	--bundle "$bundle" \
	--container-id "$id" \
	--container-pidfile "$bundle/container.pid" \
	--container-logfile "$log" \
	--container-exitfile "$exitfile" \
	--container-attachfile "$attach" \
	--stdin-once \
	--syncpipe-fd 3 3>"$demo/report.json" </dev/null
{ set +x; } 2>/dev/null

# (jq 1.6 -e exits 0 on empty input, hence the -s test)
for _ in $(seq 150); do [ -s "$demo/report.json" ] && jq -e .kind "$demo/report.json" >/dev/null 2>&1 && break; sleep 0.1; done
echo "== sync report"
cat "$demo/report.json"; echo
[ -s "$demo/report.json" ] && jq -e '.kind == "container_pid"' "$demo/report.json" >/dev/null || { echo "demo: create failed" >&2; exit 1; }

echo "== runc start"
"$runc" --root "$runc_root" start "$id"
for _ in $(seq 100); do [ -s "$exitfile" ] && break; sleep 0.1; done
[ -s "$exitfile" ] || { echo "demo: no exit file after 10 s" >&2; exit 1; }

echo "== container log ($log)"
cat "$log"
echo "== exit file ($exitfile)"
cat "$exitfile"; echo
echo "== runc delete"
"$runc" --root "$runc_root" delete "$id"
