#!/bin/sh
# make-rootfs.sh DIR: build the end-to-end tests' busybox rootfs and runc config template.
#
#   DIR/rootfs/               busybox-static and its applet links, minimal /etc
#   DIR/config.template.json  `runc spec` with "terminal": false
#
# Fails (never skips) when /bin/busybox, runc or root privileges are missing.
# Idempotent: does nothing when DIR/.complete matches the current busybox and runc.
set -eu

die() { echo "make-rootfs.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: make-rootfs.sh DIR"
dir=$1
busybox=/bin/busybox
runc=${RUNC:-/usr/sbin/runc}

[ "$(id -u)" = 0 ] || die "root privileges are required (runc needs them); uid is $(id -u)"
[ -x "$busybox" ] || die "$busybox is missing: install Debian's busybox-static"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' \
	|| ldd "$busybox" 2>&1 | grep -q 'not a dynamic executable' \
	|| die "$busybox is not statically linked: install busybox-static, not busybox"
[ -x "$runc" ] || die "runc is missing at $runc (set RUNC=...)"

stamp="$(cksum <"$busybox") $("$runc" --version | head -n 1)"
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ]; then
	echo "make-rootfs.sh: $dir is up to date"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir/rootfs"
root=$dir/rootfs
for d in bin sbin usr/bin usr/sbin etc proc sys dev dev/pts dev/shm dev/mqueue tmp run root; do
	mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
count=0
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] && continue
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	count=$((count + 1))
done
[ "$count" -gt 50 ] || die "busybox --list gave only $count applets"
[ -x "$root/bin/sh" ] || die "busybox has no sh applet"

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

spec=$(mktemp -d)
trap 'rm -rf "$spec"' EXIT
(cd "$spec" && "$runc" spec) || die "runc spec failed"
grep -q '"terminal": true' "$spec/config.json" || die "runc spec output has no \"terminal\": true"
sed 's/"terminal": true/"terminal": false/' "$spec/config.json" >"$dir/config.template.json"
grep -q '"terminal": false' "$dir/config.template.json" || die "could not set terminal false"

printf '%s' "$stamp" >"$dir/.complete"
echo "make-rootfs.sh: built $dir ($count applets)"
