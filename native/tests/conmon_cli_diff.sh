#!/bin/sh
# conmon_cli_diff.sh JSHIM CONMON: jshim as "conmon" and a real conmon 2.1.6 give the same exit
# code, stdout and stderr bytes for command lines conmon rejects before it forks. Only lines
# conmon refuses are run here: it must never start anything.
set -eu
jshim=$(readlink -f "$1") conmon=$2
dir=$(mktemp -d /tmp/jshim-test-conmon-diff-XXXXXX)
trap 'rm -rf "$dir"' EXIT
ln -s "$jshim" "$dir/conmon"
"$conmon" --version | head -1 | grep -qx 'conmon version 2.1.6' ||
	{ echo "conmon_cli_diff: $conmon is not conmon 2.1.6" >&2; exit 1; }
if "$conmon" --version | grep -q jshim; then
	echo "conmon_cli_diff: $conmon is jshim itself, not a reference conmon" >&2
	exit 1
fi
cd "$dir"
failures=0
id=7436588aff3cd4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9
same() {
	ra=0 rb=0
	env -u _OCI_SYNCPIPE -u _OCI_STARTPIPE -u _OCI_ATTACHPIPE "$conmon" "$@" >a.out 2>a.err </dev/null || ra=$?
	env -u _OCI_SYNCPIPE -u _OCI_STARTPIPE -u _OCI_ATTACHPIPE ./conmon "$@" >b.out 2>b.err </dev/null || rb=$?
	if [ "$ra" != "$rb" ] || ! cmp -s a.out b.out || ! cmp -s a.err b.err; then
		echo "differs: $*" >&2
		echo "  conmon: exit $ra, stdout '$(cat a.out)', stderr '$(cat a.err)'" >&2
		echo "  jshim:  exit $rb, stdout '$(cat b.out)', stderr '$(cat b.err)'" >&2
		failures=$((failures + 1))
	fi
	rm -f a.* b.* ./none ./a ./ctr.log
}
ok="-c $id -u $id -r /bin/sh"
same $ok -l ctr.log --frob
same $ok -l ctr.log --frob=3
same $ok -l ctr.log -ix
same $ok -l ctr.log --cid
same $ok -l ctr.log -c
same $ok -l ctr.log -ci
same $ok -l ctr.log --exit-delay x
same $ok -l ctr.log --exit-delay ''
same $ok -l ctr.log -T 99999999999
same $ok -l ctr.log --log-size-max=1k
same $ok -l ctr.log --log-size-max 9223372036854775808
same $ok -l ctr.log -- -c
same --version --frob
same --frob --help
same -u x -r /bin/sh
same -c "$id" -r /bin/sh -l x
same --api-version -c "$id" -r /bin/sh -l none -e --exec-process-spec /x
same -c "$id" -u "$id" -l x
same -c "$id" -u "$id" -r /nonexistent/runc
same -c "$id" -u "$id" -r /etc/passwd
same $ok -l ctr.log -e
same $ok -l ctr.log --exec-attach
same $ok -l ctr.log -e --exec-attach --exec-process-spec /x
same $ok -l ctr.log --restore /x -e
same $ok -l ctr.log --exit-delay=-1
same $ok -l ctr.log --log-tag t
same $ok -l k8s-file:ctr.log --log-tag t
same $ok -l :none --log-tag t
same $ok -l k8s-file:a:b --log-tag t
same -c short -u x -r /bin/sh -l journald
same -c short -u x -r /bin/sh -l none -l journald:x
same $ok
same $ok -l k8s-file
same $ok -l k8s-file:
same $ok -l foo:bar
same $ok -l foo:
same $ok -l :a:b
same $ok -l ''
same $ok -l ::
same $ok -l ctr.log -l ''
same $ok -l ctr.log --log-level verbose
same $ok -l ctr.log --log-level off
[ "$failures" = 0 ] || { echo "conmon_cli_diff: $failures difference(s)" >&2; exit 1; }
echo "conmon_cli_diff: ok"
