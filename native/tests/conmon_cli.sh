#!/bin/sh
# conmon_cli.sh JSHIM VERSION: the built launcher as "conmon": the exact --version bytes podman
# and CRI-O probe, conmon's errors on conmon's streams, and a shimmy command line still shimmy's.
set -eu
jshim=$(readlink -f "$1") version=$2
dir=$(mktemp -d /tmp/jshim-test-conmon-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
ln -s "$jshim" "$dir/conmon"
fail() { echo "conmon_cli: $*" >&2; exit 1; }

# run NAME EXPECTED_RC ARGS...: stdout in $dir/out, stderr in $dir/err
run() {
	name=$1 want=$2
	shift 2
	rc=0
	"$@" >"$dir/out" 2>"$dir/err" </dev/null || rc=$?
	[ "$rc" = "$want" ] || fail "$name: exit $rc, want $want (stderr: $(cat "$dir/err"))"
}
same() { # same NAME FILE EXPECTED_BYTES (printf format)
	printf "$3" >"$dir/want"
	cmp -s "$1" "$dir/want" || fail "$2: got '$(cat "$1")', want '$(cat "$dir/want")'"
}

run version 0 "$dir/conmon" --version
same "$dir/out" "conmon --version stdout" "conmon version 2.1.6\ncommit: jshim $version\n"
[ ! -s "$dir/err" ] || fail "conmon --version wrote to stderr"
# CRI-O: the third whitespace field of stdout+stderr is strict semver
[ "$(cat "$dir/out" "$dir/err" | tr -s ' \n' '\n\n' | sed -n 3p)" = 2.1.6 ] || fail "third field"

run unknown 1 "$dir/conmon" --frob -c x
same "$dir/out" "unknown option stdout" "conmon: option parsing failed: Unknown option --frob\n"
[ ! -s "$dir/err" ] || fail "unknown option wrote to stderr"

run no-cid 1 "$dir/conmon" -u x -r /bin/sh
same "$dir/err" "no --cid stderr" "conmon: Container ID not provided. Use --cid\n"
[ ! -s "$dir/out" ] || fail "no --cid wrote to stdout"

# conmon's arguments under the name jshim are conmon's too
run no-cuuid 1 "$jshim" --api-version 1 -c x -r /bin/sh
same "$dir/err" "no --cuuid stderr" "[conmon:e] Container UUID not provided. Use --cuuid\n"
run help 0 "$dir/conmon" --help
grep -q -- '--exit-command-arg' "$dir/out" || fail "conmon --help does not list the options"

# nothing is created on an error
run tag 1 "$dir/conmon" -c x -u x -r /bin/sh -l "k8s-file:$dir/ctr.log" --log-tag t --exit-dir "$dir" \
	--conmon-pidfile "$dir/conmon.pid" -b "$dir"
same "$dir/err" "--log-tag stderr" "[conmon:e] k8s-file doesn't support --log-tag\n"
[ "$(ls "$dir")" = "$(printf 'conmon\nerr\nout\nwant')" ] || fail "files created: $(ls "$dir")"

# shimmy: unchanged
run shimmy-version 0 "$jshim" --version
same "$dir/out" "jshim --version" "jshim $version\n"
run shimmy 1 "$jshim" --shimmy-pidfile "$dir/p" --syncpipe-fd 1 --runtime /nonexistent/runc \
	--bundle "$dir" --container-id x --container-pidfile "$dir/c" --container-logfile "$dir/l" \
	--container-exitfile "$dir/e" --container-attachfile "$dir/a"
grep -q '^jshim: --runtime /nonexistent/runc' "$dir/err" || fail "shimmy error: $(cat "$dir/err")"
echo "conmon_cli: ok"
