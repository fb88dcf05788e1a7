#!/bin/bash
# 160-nginx.sh - nginx as Debian packages it (nginx-light): a root master
# with two workers that drop to www-data, run from a config of the test's
# own (its prefix, pid file and logs in the temp dir, loopback on a free
# port, daemon off so the master is the test's child, accept_mutex on,
# stub_status counting in memory the master shares with its workers;
# else Debian's nginx.conf: its dynamic echo module, sendfile, gzip). A
# python3 http.client connection is kept open (HTTP/1.1 keep-alive). The
# dump runs without CAP_SYS_RESOURCE (capsh --drop): the workers' limits
# are asked of the workers themselves, prlimit(2) on another uid would
# need it. Restore: the kept connection serves more requests (the same
# local port, nginx logs them; the echo module answers from a worker of
# before; stub_status counts on from where it was),
# a new connection works, the workers still run as www-data with no
# capability, and SIGHUP (what nginx -s reload sends) to the restored
# master starts two new workers, as www-data too, that serve. Skipped
# only if nginx is not installed.
# shellcheck source=test/e2e/lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=test/e2e/net.sh
. "$(dirname "$0")/../net.sh"
e2e_init
need_python

command -v nginx >/dev/null || skip "nginx is not installed (apt-get install nginx-light)"
command -v capsh >/dev/null || skip "capsh is not installed (apt-get install libcap2-bin)"
id www-data >/dev/null 2>&1 || skip "no www-data user"
wwwuid=$(id -u www-data)
w=$T/w
mkdir -p "$w" "$T/html" "$T/logs" "$T/tmp"
chmod 755 "$T" "$T/html" # the workers (www-data) read the page
printf 'hello from nginx %s\n' "$RANDOM$RANDOM" >"$T/html/index.html"
chmod 644 "$T/html/index.html"
page=$(cat "$T/html/index.html")
port=$(free_port)
# Debian's /etc/nginx/nginx.conf, but for the paths, the port and the
# logs: its dynamic module (the echo module of nginx-light), sendfile,
# tcp_nopush, gzip, mime types.
echo_mod=/usr/lib/nginx/modules/ngx_http_echo_module.so
load_echo='' echo_loc=''
if [[ -e $echo_mod ]]; then
	load_echo="load_module $echo_mod;"
	# shellcheck disable=SC2016 # nginx's $pid, the worker's
	echo_loc='location = /echo { echo "worker $pid"; }'
fi
cat >"$T/nginx.conf" <<CONF
user www-data;
worker_processes 2;
daemon off;
master_process on;
pid $T/nginx.pid;
error_log $T/logs/error.log notice;
$load_echo
events { worker_connections 768; accept_mutex on; }
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	gzip on;
	access_log $T/logs/access.log;
	client_body_temp_path $T/tmp/body;
	proxy_temp_path $T/tmp/proxy;
	fastcgi_temp_path $T/tmp/fastcgi;
	uwsgi_temp_path $T/tmp/uwsgi;
	scgi_temp_path $T/tmp/scgi;
	keepalive_timeout 600;
	keepalive_requests 1000;
	server {
		listen 127.0.0.1:$port;
		root $T/html;
		location = /status { stub_status; }
		$echo_loc
	}
}
CONF
spawn "$w" nginx -p "$T" -c "$T/nginx.conf"
pid=$TARGET_PID

# workers PID: the master's children, one a line.
workers() { tr ' ' '\n' <"/proc/$1/task/$1/children" | grep -E '^[0-9]+$' | sort -n; }
nr_workers() { (($(workers "$1" | wc -l) == $2)); }
# as_www PID: every uid and gid of PID is www-data's and it has no capability.
as_www() {
	local u g c
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$1/status")
	g=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' "/proc/$1/status")
	c=$(awk '/^CapEff:/ { print $2 }' "/proc/$1/status")
	[[ $u == "$wwwuid $wwwuid $wwwuid $wwwuid" && $c == 0000000000000000 ]] ||
		fail "worker $1 runs as uids $u gids $g with capabilities $c, want www-data ($wwwuid) and none"
	[[ $g == "$(id -g www-data) $(id -g www-data) $(id -g www-data) $(id -g www-data)" ]] ||
		fail "worker $1 runs with gids $g, want www-data's"
}
wait_for 20 "nginx to listen on port $port" listening "$port" ||
	fail "nginx does not listen: $(tail -n 3 "$T/logs/error.log" "$w/err" 2>/dev/null)"
wait_for 20 "two workers" nr_workers "$pid" 2 || fail "nginx has not two workers: $(workers "$pid")"
mapfile -t old < <(workers "$pid")
for p in "${old[@]}"; do as_www "$p"; done

# The kept connection: python3 http.client in a coprocess of this shell.
coproc KEEP { exec "$PYTHON" -I -S "$E2E_DIR/py/http-keep.py" 127.0.0.1 "$port" 2>&1; }
track_pid "$KEEP_PID"
keep_get() { # PATH: one request on the kept connection; sets KEEP_STATUS, KEEP_BODY
	printf 'GET %s\n' "$1" >&"${KEEP[1]}"
	read -r -t 20 -u "${KEEP[0]}" KEEP_STATUS || fail "no answer from the kept connection"
	[[ $KEEP_STATUS == STATUS* ]] || fail "the kept connection: $KEEP_STATUS"
	read -r -t 20 -u "${KEEP[0]}" KEEP_BODY || fail "no body on the kept connection"
}
read -r -t 20 -u "${KEEP[0]}" line || fail "the python client did not connect"
[[ $line == PORT* ]] || fail "the python client: $line"
cport=${line#PORT }
keep_get /
[[ $KEEP_STATUS == "STATUS 200 "* && $KEEP_BODY == "$page" ]] ||
	fail "before the dump: $KEEP_STATUS $KEEP_BODY"
(($(established_to "$port") == 1)) || fail "the kept connection is not established"
# stub_status counts in memory the master shares with its workers.
requests() { # the request count in a stub_status body
	local -a f
	read -ra f <<<"${1#*server accepts handled requests | }"
	printf '%s\n' "${f[2]}"
}
keep_get /status
[[ $KEEP_STATUS == "STATUS 200 "* ]] || fail "no stub_status: $KEEP_STATUS $KEEP_BODY"
req0=$(requests "$KEEP_BODY")
[[ $req0 =~ ^[0-9]+$ ]] || fail "stub_status says '$KEEP_BODY'"

# The dump, without CAP_SYS_RESOURCE.
mapfile -t TREE_PIDS < <(tree_pids "$pid")
track_pids "${TREE_PIDS[@]}"
# shellcheck disable=SC2016 # expanded by the shell capsh runs
ck_cmd capsh --drop=cap_sys_resource -- -c \
	'eff=$(awk "/^CapEff:/ { print \$2 }" /proc/self/status)
	(((0x$eff >> 24) & 1)) && { echo "ckpt: CAP_SYS_RESOURCE not dropped" >&2; exit 99; }
	exec "$0" dump --pid "$1" --images "$2"' \
	"$CKPT" "$pid" "$T/images"
((CK_RC == 0)) || fail "ckpt dump without CAP_SYS_RESOURCE failed (exit $CK_RC): $(ck_err_line)"
reap "$pid"
((REAP_STATUS == 137)) || fail "after the dump nginx ended with status $REAP_STATUS, want 137"
wait_tree_gone "${TREE_PIDS[@]}"
(($(established_to "$port") == 1)) || fail "the kept connection did not survive the kill"

restore_tree "$T/images" "$pid"
mapfile -t now < <(workers "$pid")
[[ ${now[*]} == "${old[*]}" ]] || fail "the restored workers are ${now[*]}, want ${old[*]}"
for p in "${now[@]}"; do as_www "$p"; done

if [[ -n $echo_loc ]]; then
	keep_get /echo # the dynamic module answers, from one of the same workers
	[[ $KEEP_STATUS == "STATUS 200 "* && " ${old[*]} " == *" ${KEEP_BODY#worker } "* ]] ||
		fail "the echo module after the restore: $KEEP_STATUS $KEEP_BODY (workers ${old[*]})"
	req0=$((req0 + 1))
fi
keep_get /status
[[ $(requests "$KEEP_BODY") == $((req0 + 1)) ]] ||
	fail "after the restore nginx counts $(requests "$KEEP_BODY") requests, want $((req0 + 1)) (shared memory lost?)"
keep_get /
[[ $KEEP_STATUS == "STATUS 200 "* && $KEEP_BODY == "$page" ]] ||
	fail "the kept connection after the restore: $KEEP_STATUS $KEEP_BODY"
[[ ${KEEP_STATUS##* } == "$cport" ]] || fail "the python client reconnected (port ${KEEP_STATUS##* }, was $cport)"
n=$(grep -c '"GET / HTTP/1.1" 200' "$T/logs/access.log")
((n == 2)) || fail "nginx logged $n requests on the kept connection, want 2"
# served PATH: a new connection gets 200 and the page.
served() {
	http_get 127.0.0.1 "$port" / "$1"
	[[ $(head -n 1 "$1" | tr -d '\r') == "HTTP/1.1 200 OK" ]] ||
		fail "a new connection got '$(head -n 1 "$1")'"
	sed '1,/^\r$/d' "$1" | cmp -s - "$T/html/index.html" || fail "a new connection did not get the page"
}
served "$T/new"

# SIGHUP (nginx -s reload): new workers, as www-data, that serve.
kill -HUP "$pid"
reloaded() {
	local p
	mapfile -t now < <(workers "$pid")
	((${#now[@]} == 2)) || return 1
	for p in "${now[@]}"; do
		[[ " ${old[*]} " == *" $p "* ]] && return 1
	done
	return 0
}
wait_for 20 "two new workers after SIGHUP" reloaded || fail "after SIGHUP the workers are ${now[*]}, were ${old[*]}"
track_pids "${now[@]}"
dropped() {
	local p
	for p in "${now[@]}"; do
		[[ $(awk '/^Uid:/ { print $5 }' "/proc/$p/status" 2>/dev/null) == "$wwwuid" ]] || return 1
	done
}
wait_for 20 "the new workers to drop to www-data" dropped || true
for p in "${now[@]}"; do as_www "$p"; done
served "$T/reloaded"
grep -q 'signal 1 (SIGHUP) received' "$T/logs/error.log" ||
	fail "nginx did not log the SIGHUP: $(tail -n 3 "$T/logs/error.log")"

kill -QUIT "$pid" # graceful stop; kill_tree makes sure
kf=${KEEP[1]}
exec {kf}>&- # the python client ends
kill_tree "$pid" "${TREE_PIDS[@]}" "${now[@]}"
assert_no_strays
