#!/bin/sh
# stdio_closed.sh JSHIM SYNCPIPE_RUN: a launcher started with fd 0 closed still gives the
# runtime an fd 0 (/dev/null), not a closed one.
set -eu
jshim=$1 syncpipe_run=$2
dir=$(mktemp -d /tmp/jshim-test-stdio-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/rt" <<SCRIPT
#!/bin/sh
readlink /proc/\$\$/fd/0 > "$dir/fd0" || echo closed > "$dir/fd0"
exit 3
SCRIPT
chmod +x "$dir/rt"
"$syncpipe_run" --report "$dir/report" -- /bin/sh -c "exec 0<&- '$jshim' \
  --shimmy-pidfile '$dir/pid' --syncpipe-fd 3 --runtime '$dir/rt' --bundle '$dir' \
  --container-id x --container-pidfile '$dir/cpid' --container-logfile '$dir/log' \
  --container-exitfile '$dir/exit' --container-attachfile '$dir/att' \
  --jshimd-socket '$dir/sock/s' --jshimd /bin/false"
grep -q '"status":"Runtime Exited with code 3."' "$dir/report"
got=$(cat "$dir/fd0")
if [ "$got" != /dev/null ]; then
	echo "runtime fd 0: $got, want /dev/null" >&2
	exit 1
fi
echo "stdio_closed: ok"
