#!/usr/bin/env bash
# Side-by-side benchmark: Portico vs nginx as reverse proxies (HTTP/1.1, HTTPS, HTTP/2), on loopback.
#
# Method (see /work/shared/design/PERFORMANCE.md and Benchmarks/README.md):
#   - proxy under test pinned to PROXY_CPU (default core 0), one worker;
#   - origin (nginx) and load generator (wrk) pinned to LOAD_CPU (default core 1);
#   - per round, per scenario, every proxy is measured in turn (order reversed on
#     even rounds), each with a warm-up, then a bounded wrk run;
#   - requests/s, p50, p99 from wrk; proxy CPU seconds from /proc/PID/stat
#     (utime+stime, all PIDs of the instance); peak RSS from VmHWM (reset before
#     each measurement through /proc/PID/clear_refs);
#   - medians over rounds, ratios against nginx measured in the same run.
#
# Usage: Benchmarks/run.sh [--quick] [--help]     (run from anywhere; paths are repo-relative)
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: Benchmarks/run.sh [--quick] [--no-docs] [--help]

Environment (all optional):
  DURATION      measured seconds per run, "10" or "10s"        (default 10s; --quick: 2s)
  WARMUP        warm-up seconds before each measurement       (default 2s)
  ROUNDS        rounds; proxies alternate inside each round   (default 3;   --quick: 1)
  CONNECTIONS   wrk connections                               (default 64)
  WRK_THREADS   wrk threads                                   (default 1, see README)
  H2_STREAMS    h2load -m: concurrent streams per connection   (default 10)
  SCENARIOS     space/comma separated subset of: small large newconn post tls tlsnew h2
                cache1k cache100k gzip100k
                small/large: GET 1 KiB / 100 KiB, keep-alive; newconn: a new TCP
                connection per request; post: 1 MiB uploads; tls: GET 1 KiB over
                HTTPS, keep-alive; tlsnew: a new TLS connection (full handshake)
                per request; h2: GET 1 KiB over HTTP/2 (TLS, ALPN h2) with h2load,
                CONNECTIONS connections x H2_STREAMS concurrent streams;
                cache1k/cache100k: cached hits (nginx proxy_cache, Portico
                cache: true); gzip100k: 100 KiB of text compressed with gzip
                level 6 on the fly (nginx gzip on)
                                                              (default: small large newconn post)
  PROXIES       subset of: nginx portico nginx-aa             (default "nginx portico")
                nginx-aa is a second, identical nginx proxy, for A/A noise checks.
  PORTICO_BIN   Portico binary (default .build/release/portico; built if missing)
  PORT_BASE     origin port; nginx, portico, nginx-aa listen on +1, +2, +3  (default 18080)
                and, for the tls/tlsnew/h2 scenarios, with TLS on +101, +102, +103
  PROXY_CPU     core for the proxy under test                 (default 0)
  LOAD_CPU      core for wrk and the origin                   (default 1)
  FOREIGN_MAX_S flag a measurement when other processes used more CPU-s (default 5% of DURATION, >= 0.25)
  WAIT_IDLE     before each measurement, wait up to this many seconds for the machine to be
                idle (other processes and steal < 10% of a core) (default 60; --quick: 0)
  WAIT_IDLE_TOTAL  cap on all such waiting in one run, seconds  (default 600)
  BUSY_RETRIES  redo a measurement flagged "busy machine" up to this many times
                                                              (default 2;   --quick: 0)
  RESTART       1: start a fresh proxy process before each measurement (default), 0: keep them
  NICE          nice level of origin, proxies and wrk           (default -10 as root, else 0)
  WRITE_DOCS    1: write docs/performance.md, 0: don't.  Default 1 for full runs,
                0 for --quick runs (a smoke run is not a measurement).

Outputs: a table on stdout, Benchmarks/.work/results/<run-id>.{tsv,md},
and docs/performance.md (see WRITE_DOCS).
EOF
}

QUICK=0
NO_DOCS=0
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        --no-docs) NO_DOCS=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "run.sh: error: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
BENCH_DIR="$REPO_ROOT/Benchmarks"
WORK="$BENCH_DIR/.work"

# ---------------------------------------------------------------- parameters
secs() { # "10s" | "10" -> 10 ; rejects anything else
    local v="${1%s}"
    [[ "$v" =~ ^[0-9]+$ ]] && (( v > 0 )) || die "bad duration '$1' (use e.g. 10 or 10s)"
    echo "$v"
}
if (( QUICK )); then
    DURATION="${DURATION:-2s}"
    ROUNDS="${ROUNDS:-1}"
    WAIT_IDLE="${WAIT_IDLE:-0}"
    BUSY_RETRIES="${BUSY_RETRIES:-0}"
fi
WAIT_IDLE="${WAIT_IDLE:-60}"
WAIT_IDLE_TOTAL="${WAIT_IDLE_TOTAL:-600}"
[[ "$WAIT_IDLE_TOTAL" =~ ^[0-9]+$ ]] || die "WAIT_IDLE_TOTAL must be a number of seconds"
# Our processes (origin, proxies, wrk) run at this nice level: -10 as root shields measurements
# somewhat from other work on the machine (it changes nothing on an idle machine).
if [[ -z "${NICE:-}" ]]; then
    if (( EUID == 0 )); then NICE=-10; else NICE=0; fi
fi
[[ "$NICE" =~ ^-?[0-9]+$ ]] || die "NICE must be an integer"
BUSY_RETRIES="${BUSY_RETRIES:-2}"
RESTART="${RESTART:-1}"
[[ "$RESTART" == 0 || "$RESTART" == 1 ]] || die "RESTART must be 0 or 1"
[[ "$WAIT_IDLE" =~ ^[0-9]+$ ]] || die "WAIT_IDLE must be a number of seconds"
[[ "$BUSY_RETRIES" =~ ^[0-9]+$ ]] || die "BUSY_RETRIES must be a non-negative integer"
DUR_S="$(secs "${DURATION:-10s}")"
WARM_S="$(secs "${WARMUP:-2s}")"
# A measurement is flagged when other processes (or the hypervisor) took more CPU than this
# during it: default 5% of one core over the measured time, at least 0.25 s.
FOREIGN_MAX_S="${FOREIGN_MAX_S:-$(awk -v d="$DUR_S" 'BEGIN { m = d * 0.05; if (m < 0.25) m = 0.25; print m }')}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-64}"
WRK_THREADS="${WRK_THREADS:-1}"
H2_STREAMS="${H2_STREAMS:-10}"
[[ "$H2_STREAMS" =~ ^[0-9]+$ ]] && (( H2_STREAMS > 0 )) || die "H2_STREAMS must be a positive integer"
SCENARIOS="${SCENARIOS:-small large newconn post}"
SCENARIOS="${SCENARIOS//,/ }"
PROXIES="${PROXIES:-nginx portico}"
PROXIES="${PROXIES//,/ }"
PORTICO_BIN="${PORTICO_BIN:-.build/release/portico}"
PROXY_CPU="${PROXY_CPU:-0}"
LOAD_CPU="${LOAD_CPU:-1}"
if [[ -z "${WRITE_DOCS:-}" ]]; then
    if (( QUICK )); then WRITE_DOCS=0; else WRITE_DOCS=1; fi
fi
(( NO_DOCS )) && WRITE_DOCS=0

[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS must be a positive integer"
[[ "$WRK_THREADS" =~ ^[1-9][0-9]*$ ]] || die "WRK_THREADS must be a positive integer"
(( CONNECTIONS >= WRK_THREADS )) || die "CONNECTIONS must be >= WRK_THREADS"
for s in $SCENARIOS; do
    case "$s" in small|large|newconn|post|tls|tlsnew|h2|cache1k|cache100k|gzip100k) ;; *) die "unknown scenario '$s' (small large newconn post tls tlsnew h2 cache1k cache100k gzip100k)";; esac
done
for p in $PROXIES; do
    case "$p" in nginx|portico|nginx-aa) ;; *) die "unknown proxy '$p' (nginx portico nginx-aa)";; esac
done
[[ $(tr ' ' '\n' <<< "$PROXIES" | sed '/^$/d' | sort | uniq -d) == "" ]] || die "PROXIES lists a proxy twice"
[[ $(tr ' ' '\n' <<< "$SCENARIOS" | sed '/^$/d' | sort | uniq -d) == "" ]] || die "SCENARIOS lists a scenario twice"
[[ " $PROXIES " == *" nginx "* ]] || die "PROXIES must include nginx (ratios are against nginx in the same run)"

PORT_BASE="${PORT_BASE:-18080}"
[[ "$PORT_BASE" =~ ^[0-9]+$ ]] && (( PORT_BASE >= 1024 && PORT_BASE <= 65000 )) || die "PORT_BASE must be in 1024..65000"
ORIGIN_PORT=$PORT_BASE
declare -A PORT=([nginx]=$(( PORT_BASE + 1 )) [portico]=$(( PORT_BASE + 2 )) [nginx-aa]=$(( PORT_BASE + 3 )))
# TLS listeners (tls, tlsnew, h2 scenarios) of each proxy: its plain port + 100.
TLS_OFFSET=100
NEEDS_TLS=0
for s in $SCENARIOS; do case "$s" in tls|tlsnew|h2) NEEDS_TLS=1 ;; esac; done

# ---------------------------------------------------------------- process ownership and cleanup
# Every process the script starts is started with `setsid` (without forking: the PID stays the
# one `$!` gives), so it leads a session whose id is its PID; nginx workers, wrk and the like
# inherit that session. OUR_SID holds those session ids: a process is ours if and only if its
# session is in it, which also protects against killing a stranger that reused a PID.
declare -A OUR_SID=()
declare -A USED=()     # proxies measured at least once (restarts are logged quietly)
WRK_PID=""
sid_of() { { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null || true; } | awk '{print $4}'; }
session_pids() { # session ids... -> PIDs of live processes in those sessions (leaders first)
    local want=" $* "
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v want="$want" '{
        line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
        if (index(want, " " f[4] " ") && f[1] != "Z") { if ($1 == f[4]) print $1; else rest = rest " " $1 }
    } END { n = split(rest, r, " "); for (i = 1; i <= n; i++) print r[i] }'
}
stop_sessions() { # session ids... : SIGTERM the leaders, wait up to 5 s, SIGKILL what is left
    (( $# )) || return 0
    local pid i left
    for pid in "$@"; do
        [[ "$(sid_of "$pid")" == "$pid" ]] && kill -TERM "$pid" 2>/dev/null   # nginx master: fast shutdown
    done
    for i in $(seq 1 50); do
        left=$(session_pids "$@")
        [[ -z "$left" ]] && break
        sleep 0.1
    done
    for pid in $(session_pids "$@"); do
        log "PID $pid did not exit on SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do wait "$pid" 2>/dev/null || true; unset "OUR_SID[$pid]"; done
    return 0
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_sessions "${!OUR_SID[@]}"
    wait 2>/dev/null || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- dependencies
ensure_deps() {
    local missing=()
    command -v nginx   >/dev/null 2>&1 || missing+=(nginx)
    command -v wrk     >/dev/null 2>&1 || missing+=(wrk)
    command -v pgrep   >/dev/null 2>&1 || missing+=(procps)
    command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
    command -v curl    >/dev/null 2>&1 || missing+=(curl)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    if [[ " $SCENARIOS " == *" h2 "* ]]; then
        command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
    fi
    if (( ${#missing[@]} )); then
        (( EUID == 0 )) || die "missing packages (${missing[*]}); install them or run as root"
        log "installing: ${missing[*]}"
        # policy-rc.d 101: keep the package's own nginx service from starting on port 80.
        local policy=/usr/sbin/policy-rc.d created_policy=0
        if [[ ! -e "$policy" ]]; then
            printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
        fi
        local ok=1
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
            > "$WORK/apt.log" 2>&1 || ok=0
        (( created_policy )) && rm -f "$policy"
        (( ok )) || { tail -20 "$WORK/apt.log" >&2; die "apt-get install failed (log: $WORK/apt.log)"; }
    fi
}

# ---------------------------------------------------------------- helpers
port_open() { # 0 if something accepts connections on 127.0.0.1:$1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
wait_port() { # port pid name
    local i
    for i in $(seq 1 100); do
        kill -0 "$2" 2>/dev/null || die "$3 (PID $2) exited during startup; see its log in $WORK/logs/"
        port_open "$1" && return 0
        sleep 0.1
    done
    die "$3 did not listen on 127.0.0.1:$1 within 10 s"
}
instance_pids() { # master/main pid -> it and its children
    local p=$1
    echo "$p"
    pgrep -P "$p" 2>/dev/null || true
}
cpu_ticks() { # "utime stime" summed over the given pids (threads included), in ticks
    local pid
    for pid in "$@"; do sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || true; done \
        | awk '{ u += $12; s += $13 } END { print u + 0, s + 0 }'
}
reset_hwm() { local pid; for pid in "$@"; do { echo 5 > "/proc/$pid/clear_refs"; } 2>/dev/null || true; done; }
hwm_kib() {  # sum of VmHWM (KiB) over pids; for nginx this counts shared pages once per process
    local total=0 pid v
    for pid in "$@"; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || v=0
        total=$(( total + ${v:-0} ))
    done
    echo "$total"
}
CLK_TCK="$(getconf CLK_TCK)"
# Every process we start runs in its own session (setsid), hence its own scheduler autogroup;
# giving that autogroup nice $NICE shields it from other sessions' work (with autogroups, a
# plain `nice` only counts inside one's own session). Touches only our own processes.
# Only once the process leads its own session, and only if its autogroup is not this script's.
boost() {
    local pid=$1 i sid mine theirs
    (( NICE != 0 )) || return 0
    [[ -w "/proc/$pid/autogroup" ]] || return 0
    for i in $(seq 1 200); do
        sid=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $4}') || return 0
        [[ "$sid" == "$pid" ]] && break
        sleep 0.005
    done
    [[ "$sid" == "$pid" ]] || { log "warning: PID $pid did not start its own session; not boosting it"; return 0; }
    mine=$(awk '{print $1}' "/proc/$$/autogroup" 2>/dev/null) || return 0
    theirs=$(awk '{print $1}' "/proc/$pid/autogroup" 2>/dev/null) || return 0
    [[ -n "$theirs" && "$theirs" != "$mine" ]] || return 0
    { echo "$NICE" > "/proc/$pid/autogroup"; } 2>/dev/null || true
}

# ---------------------------------------------------------------- generate files
generate() {
    mkdir -p "$WORK"/{www,logs,results,lua,conf} "$WORK"/tmp/{origin,nginx,nginx-aa}
    # Payloads: deterministic bytes (the .bin files are never compressed: wrk sends no Accept-Encoding).
    [[ -s "$WORK/www/1k.bin"   ]] || head -c 1024   /dev/zero | tr '\0' 'a' > "$WORK/www/1k.bin"
    [[ -s "$WORK/www/100k.bin" ]] || head -c 102400 /dev/zero | tr '\0' 'b' > "$WORK/www/100k.bin"
    [[ -s "$WORK/www/1m.bin"   ]] || head -c 1048576 /dev/zero | tr '\0' 'c' > "$WORK/www/1m.bin"
    printf 'ok\n' > "$WORK/www/ok.txt"
    # Compressible text (HTML-like lines) for the gzip scenario.
    if [[ ! -s "$WORK/www/100k.txt" ]]; then   # (no `| head`: under pipefail its early exit is an error)
        seq 1 4000 | awk '{ printf "<li class=\"item\">Item %d of the Portico benchmark list, with some repeated words</li>\n", $1 }' \
            > "$WORK/www/100k.txt.full"
        head -c 102400 "$WORK/www/100k.txt.full" > "$WORK/www/100k.txt"
        rm -f "$WORK/www/100k.txt.full"
    fi
    printf 'x' > "$WORK/www/upload"      # must exist for the POST sink (see origin.conf)
    # One ECDSA P-256 certificate for every proxy's TLS listener (same key type and chain
    # length for all, so handshake costs compare like with like).
    if (( NEEDS_TLS )) && [[ ! -s "$WORK/tls/cert.pem" ]]; then
        mkdir -p "$WORK/tls"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$WORK/logs/openssl.log" 2>&1 \
            || { cat "$WORK/logs/openssl.log" >&2; die "openssl could not make the benchmark certificate"; }
    fi

    local user_line=""
    (( EUID == 0 )) && user_line="user root;"   # workers must read $WORK/www whatever its parents' modes

    # Origin: static files + a POST sink that answers only after reading the whole body.
    # `return 200` alone would answer before the body has arrived (nginx then discards the rest),
    # which makes a streaming proxy see an early response mid-upload; a real upload endpoint
    # reads the body first. So: `mirror` (precontent phase) reads the whole body into memory,
    # its subrequest to /_sink is a no-op, then the static handler answers POST /upload with
    # 405, which `error_page 405 =200 /ok.txt` turns into "200 ok\n". Verified by hand with a
    # client that pauses mid-body: no response until the body is complete; keep-alive kept.
    cat > "$WORK/conf/origin.conf" <<EOF
# generated by Benchmarks/run.sh — origin, pinned to core $LOAD_CPU
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $WORK/tmp/origin/nginx.pid;
error_log $WORK/logs/origin-error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    open_file_cache max=16 inactive=3600s;
    open_file_cache_valid 3600s;
    client_body_temp_path $WORK/tmp/origin/body;
    proxy_temp_path       $WORK/tmp/origin/proxy;
    fastcgi_temp_path     $WORK/tmp/origin/fastcgi;
    uwsgi_temp_path       $WORK/tmp/origin/uwsgi;
    scgi_temp_path        $WORK/tmp/origin/scgi;
    server {
        listen 127.0.0.1:$ORIGIN_PORT backlog=4096;   # no reuseport: a second instance must fail to bind, not share the port
        root $WORK/www;
        location / { }
        # Cacheable copies of the payloads (cache1k, cache100k): Cache-Control: max-age=3600.
        location /cached/ { alias $WORK/www/; expires 1h; }
        location /text/ { alias $WORK/www/; default_type text/plain; }
        location = /upload {
            client_max_body_size 2m;
            client_body_buffer_size 2m;
            mirror /_sink;
            error_page 405 =200 /ok.txt;
        }
        location = /_sink { internal; return 204; }
    }
}
EOF

    local name
    for name in nginx nginx-aa; do
        local tls_server=""
        if (( NEEDS_TLS )); then
            # Session cache and tickets on, TLS 1.2 and 1.3, HTTP/2 by ALPN: what a production
            # nginx TLS front end runs. (`listen ... ssl http2`: nginx < 1.25 has no `http2 on`.)
            tls_server="
    server {
        listen 127.0.0.1:$(( PORT[$name] + TLS_OFFSET )) ssl http2 backlog=4096;
        ssl_certificate     $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_session_tickets on;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
        fi
        cat > "$WORK/conf/$name.conf" <<EOF
# generated by Benchmarks/run.sh — nginx as the proxy under test, pinned to core $PROXY_CPU
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $WORK/tmp/$name/nginx.pid;
error_log $WORK/logs/$name-error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    client_max_body_size 2m;
    client_body_buffer_size 2m;      # keep 1 MiB uploads in memory (no temp files)
    client_body_temp_path $WORK/tmp/$name/body;
    proxy_temp_path       $WORK/tmp/$name/proxy;
    fastcgi_temp_path     $WORK/tmp/$name/fastcgi;
    uwsgi_temp_path       $WORK/tmp/$name/uwsgi;
    scgi_temp_path        $WORK/tmp/$name/scgi;
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    # cache1k/cache100k: nginx's shared cache (files under the page cache, as deployed).
    proxy_cache_path $WORK/tmp/$name/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=1h use_temp_path=off;
    server {
        listen 127.0.0.1:${PORT[$name]} backlog=4096;   # no reuseport: a second instance must fail to bind, not share the port
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /cached/ {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache bench;
            proxy_cache_lock on;
        }
        # gzip100k: the same level as Portico's gzip default (6).
        location /text/ {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            gzip on;
            gzip_types text/plain;
            gzip_comp_level 6;
            gzip_min_length 1024;
            gzip_proxied any;
            gzip_vary on;
        }
    }$tls_server
}
EOF
    done

    cat > "$WORK/conf/portico.yaml" <<EOF
# generated by Benchmarks/run.sh — Portico, pinned to core $PROXY_CPU
workers: 1
access_log: off
listeners:
  - address: "127.0.0.1:${PORT[portico]}"
$(if (( NEEDS_TLS )); then cat <<TLS
  - address: "127.0.0.1:$(( PORT[portico] + TLS_OFFSET ))"
    tls:
      certificates:
        - cert: $WORK/tls/cert.pem
          key: $WORK/tls/key.pem
TLS
fi)
upstreams:
  - name: origin
    servers: ["127.0.0.1:$ORIGIN_PORT"]
routes:
  - match: { path_prefix: /cached }
    upstream: origin
    cache: true
  - match: { path_prefix: /text }
    upstream: origin
    compression: { algorithms: [gzip] }
  - upstream: origin
EOF

    cat > "$WORK/lua/post.lua" <<'EOF'
-- generated by Benchmarks/run.sh: POST a 1 MiB body (wrk adds Content-Length)
wrk.method = "POST"
wrk.body = string.rep("p", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
EOF
}

# ---------------------------------------------------------------- processes
declare -A MAIN_PID=()
start_nginx() { # name conf port cpu
    local name=$1 conf=$2 port=$3 cpu=$4
    nginx -t -q -e "$WORK/logs/$name-error.log" -c "$conf" > "$WORK/logs/$name-configtest.log" 2>&1 \
        || { cat "$WORK/logs/$name-configtest.log" >&2; die "nginx config test failed for $name ($conf)"; }
    setsid nice -n "$NICE" taskset -c "$cpu" nginx -e "$WORK/logs/$name-error.log" -c "$conf" > "$WORK/logs/$name-stdout.log" 2>&1 &
    local pid=$!
    OUR_SID[$pid]=1
    boost "$pid"
    MAIN_PID[$name]=$pid
    wait_port "$port" "$pid" "$name"
    [[ -n "${USED[$name]:-}" ]] || log "$name started: master PID $pid, workers $(pgrep -P "$pid" | tr '\n' ' ')(core $cpu, port $port)"
}
start_portico() {
    [[ -x "$PORTICO_BIN" ]] || die "PORTICO_BIN '$PORTICO_BIN' is not executable"
    if [[ -z "${USED[portico]:-}" ]] && "$PORTICO_BIN" --help 2>&1 | grep -qw validate; then
        "$PORTICO_BIN" validate --config "$WORK/conf/portico.yaml" > "$WORK/logs/portico-validate.log" 2>&1 \
            || { cat "$WORK/logs/portico-validate.log" >&2; die "portico rejected $WORK/conf/portico.yaml"; }
    fi
    setsid nice -n "$NICE" taskset -c "$PROXY_CPU" "$PORTICO_BIN" run --config "$WORK/conf/portico.yaml" \
        > "$WORK/logs/portico.log" 2>&1 &
    local pid=$!
    OUR_SID[$pid]=1
    boost "$pid"
    MAIN_PID[portico]=$pid
    wait_port "${PORT[portico]}" "$pid" "portico"
    [[ -n "${USED[portico]:-}" ]] || log "portico started: PID $pid (core $PROXY_CPU, port ${PORT[portico]})"
}
start_proxy() {
    case "$1" in
        nginx|nginx-aa) start_nginx "$1" "$WORK/conf/$1.conf" "${PORT[$1]}" "$PROXY_CPU" ;;
        portico) start_portico ;;
    esac
}
restart_proxy() {
    stop_sessions "${MAIN_PID[$1]}"
    start_proxy "$1"
}
check_alive() {
    local p
    for p in origin $PROXIES; do
        kill -0 "${MAIN_PID[$p]}" 2>/dev/null || die "$p (PID ${MAIN_PID[$p]}) has died; logs in $WORK/logs/"
    done
}

# ---------------------------------------------------------------- sanity checks
verify_endpoint() { # name port
    local name=$1 port=$2 out
    out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$port/1k.bin") \
        || die "$name: GET /1k.bin failed"
    [[ "$out" == "200 1024" ]] || die "$name: GET /1k.bin gave '$out', want '200 1024'"
    out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$port/100k.bin") \
        || die "$name: GET /100k.bin failed"
    [[ "$out" == "200 102400" ]] || die "$name: GET /100k.bin gave '$out', want '200 102400'"
    out=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Connection: close' "http://127.0.0.1:$port/1k.bin") \
        || die "$name: GET with Connection: close failed"
    [[ "$out" == "200" ]] || die "$name: GET with Connection: close gave '$out'"
    out=$(curl -sS -w ' %{http_code}' -H 'Content-Type: application/octet-stream' -H 'Expect:' \
            --data-binary "@$WORK/www/1m.bin" "http://127.0.0.1:$port/upload") \
        || die "$name: POST 1 MiB to /upload failed"
    [[ "$out" == $'ok\n 200' ]] || die "$name: POST 1 MiB to /upload gave '$out', want 'ok' and 200"
    if [[ "$name" != origin ]]; then
        out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$port/cached/100k.bin") \
            || die "$name: GET /cached/100k.bin failed"
        [[ "$out" == "200 102400" ]] || die "$name: GET /cached/100k.bin gave '$out', want '200 102400'"
        out=$(curl -sS -D - -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/text/100k.txt" | tr -d '\r') \
            || die "$name: GET /text/100k.txt failed"
        grep -qi '^content-encoding: gzip' <<< "$out" || die "$name: GET /text/100k.txt with Accept-Encoding: gzip was not compressed"
    fi
    (( NEEDS_TLS )) && [[ "$name" != origin ]] || return 0   # the origin speaks plain HTTP only
    local tls_port=$(( port + TLS_OFFSET ))
    out=$(curl -sS --cacert "$WORK/tls/cert.pem" -o /dev/null -w '%{http_code} %{size_download}' \
            "https://127.0.0.1:$tls_port/1k.bin") || die "$name: HTTPS GET /1k.bin failed"
    [[ "$out" == "200 1024" ]] || die "$name: HTTPS GET /1k.bin gave '$out', want '200 1024'"
    out=$(curl -sS --http2 --cacert "$WORK/tls/cert.pem" -o /dev/null -w '%{http_version} %{http_code} %{size_download}' \
            "https://127.0.0.1:$tls_port/1k.bin") || die "$name: HTTP/2 GET /1k.bin failed"
    [[ "$out" == "2 200 1024" ]] || die "$name: HTTP/2 GET /1k.bin gave '$out', want '2 200 1024' (HTTP/2 by ALPN)"
}

# ---------------------------------------------------------------- wrk
wrk_args() { # scenario port -> args (one per line)
    local s=$1 port=$2
    case "$s" in
        small)   printf '%s\n' "http://127.0.0.1:$port/1k.bin" ;;
        large)   printf '%s\n' "http://127.0.0.1:$port/100k.bin" ;;
        newconn) printf '%s\n' -H "Connection: close" "http://127.0.0.1:$port/1k.bin" ;;
        post)    printf '%s\n' -s "$WORK/lua/post.lua" "http://127.0.0.1:$port/upload" ;;
        tls)     printf '%s\n' "https://127.0.0.1:$(( port + TLS_OFFSET ))/1k.bin" ;;
        cache1k)   printf '%s\n' "http://127.0.0.1:$port/cached/1k.bin" ;;
        cache100k) printf '%s\n' "http://127.0.0.1:$port/cached/100k.bin" ;;
        gzip100k)  printf '%s\n' -H "Accept-Encoding: gzip" "http://127.0.0.1:$port/text/100k.txt" ;;
        # wrk never resumes TLS sessions, so each request here pays a full handshake.
        tlsnew)  printf '%s\n' -H "Connection: close" "https://127.0.0.1:$(( port + TLS_OFFSET ))/1k.bin" ;;
    esac
}
# Runs wrk in a subshell that reports the CPU wrk used (bash `times`: children's user+sys)
# into $out.cpu. WRK_PID is the `timeout` process (a session leader): SIGTERM to it is forwarded
# to wrk.
run_wrk() { # seconds outfile scenario port
    local d=$1 out=$2 s=$3 port=$4 args=()
    local tool=(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${d}s" --timeout 5s --latency)
    if [[ "$s" == h2 ]]; then
        # h2load: HTTP/2 over TLS (ALPN h2), CONNECTIONS connections with H2_STREAMS streams each.
        tool=(h2load -t"$WRK_THREADS" -c"$CONNECTIONS" -m"$H2_STREAMS" -D"$d")
        args=("https://127.0.0.1:$(( port + TLS_OFFSET ))/1k.bin")
    else
        mapfile -t args < <(wrk_args "$s" "$port")
    fi
    rm -f "$out.pid" "$out.cpu"
    (
        setsid timeout -k 5 $(( d + 30 )) nice -n "$NICE" taskset -c "$LOAD_CPU" \
            "${tool[@]}" "${args[@]}" > "$out" 2>&1 &
        echo $! > "$out.pid"
        boost $!
        rc=0; wait $! || rc=$?
        times | awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t[i] = a[1] * 60 + a[2] }; printf "%.2f %.2f\n", t[1], t[2] }' > "$out.cpu"
        exit "$rc"
    ) &
    local sub=$! rc=0 i
    for i in $(seq 1 50); do [[ -s "$out.pid" ]] && break; sleep 0.01; done
    WRK_PID=$(cat "$out.pid" 2>/dev/null || true)
    [[ -n "$WRK_PID" ]] && OUR_SID[$WRK_PID]=1     # so that cleanup stops it (and wrk) if we are interrupted
    wait "$sub" || rc=$?
    [[ -n "$WRK_PID" ]] && stop_sessions "$WRK_PID"  # normally nothing is left: just forget it
    WRK_PID=""
    if (( rc != 0 )); then
        cat "$out" >&2
        check_alive
        die "${tool[0]} failed (exit $rc) for $s on port $port"
    fi
}
# Whole-machine CPU ticks from /proc/stat: "busy steal user" (busy = user+nice+system+irq+softirq,
# user = user+nice).
sys_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $9, $2 + $3; exit }' /proc/stat; }
# CPU ticks of every user-space process that is not ours: "pid starttime utime+stime" per line.
# Excluded: kernel threads, our sessions (OUR_SID), and this script's own session.
SCRIPT_SID="$(sid_of $$)"
snap_foreign() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v ours=" ${!OUR_SID[*]} $SCRIPT_SID " '{
        line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
        if (int(f[7] / 2097152) % 2) next                 # PF_KTHREAD
        if (index(ours, " " f[4] " ")) next
        print $1, f[20], f[12] + f[13]
    }'
}
foreign_cpu_s() { # before-file after-file -> CPU-s used by other processes between the two
    awk -v h="$CLK_TCK" 'NR == FNR { b[$1 " " $2] = $3; next }
        { k = $1 " " $2; t += (k in b) ? $3 - b[k] : $3 }
        END { if (t < 0) t = 0; printf "%.2f\n", t / h }' "$1" "$2"
}
# Parse wrk (or h2load) output -> "rps requests p50ms p99ms non2xx sockerrs"
parse_wrk() {
    if grep -q '^finished in ' "$1"; then parse_h2load "$1"; return; fi
    awk '
    function ms(v,   n, u) {
        n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") return n / 1000
        if (u == "ms") return n
        if (u == "s")  return n * 1000
        if (u == "m")  return n * 60000
        if (u == "h")  return n * 3600000
        return -1
    }
    /^ *50% / { p50 = ms($2) }
    /^ *99% / { p99 = ms($2) }
    /requests in / { req = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ {
        # Socket errors: connect 0, read 0, write 0, timeout 0
        line = $0; gsub(/,/, "", line); n = split(line, f, " ")
        for (i = 3; i < n; i += 2) serr += f[i + 1]
    }
    END {
        if (rps == "" || req == "") { print "PARSE_ERROR"; exit 1 }
        printf "%s %s %.3f %.3f %d %d\n", rps, req, p50, p99, non2xx + 0, serr + 0
    }' "$1"
}

# h2load prints no percentiles: the p50 column gets its mean and p99 its max ("time for
# request" line); failed + errored + timed-out requests count as socket errors.
parse_h2load() {
    awk '
    function ms(v,   n, u) {
        n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") return n / 1000
        if (u == "ms") return n
        if (u == "s")  return n * 1000
        return -1
    }
    /^finished in / { rps = $4 }
    # requests: T total, S started, D done, OK succeeded, F failed, E errored, X timeout
    /^requests: / { req = $8 + 0; failed = $10 + $12 + $14 }
    # status codes: N 2xx, N 3xx, N 4xx, N 5xx (3xx counts as success, as in wrk)
    /^status codes: / { non = $7 + $9 }
    /^time for request: / { mean = ms($6); max = ms($5) }
    END {
        if (rps == "" || req == "") { print "PARSE_ERROR"; exit 1 }
        printf "%s %s %.3f %.3f %d %d\n", rps, req, mean, max, non + 0, failed + 0
    }' "$1"
}

# ---------------------------------------------------------------- machine info
machine_info() {
    local swiftv="n/a"
    if command -v swift >/dev/null 2>&1; then
        swiftv=$(timeout 20 swift --version 2>/dev/null | grep -m1 -o 'Swift version [^ ]*' || echo "n/a")
    fi
    INFO_DATE="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    INFO_NPROC="$(nproc)"
    INFO_CPU="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
    INFO_KERNEL="$(uname -sr)"
    INFO_NGINX="$(nginx -v 2>&1 | sed 's/^nginx version: //')"
    INFO_WRK="$( (wrk -v 2>&1 || true) | head -1 | awk '{print $1, $2}')"
    INFO_SWIFT="$swiftv"
    INFO_PORTICO="not measured"
    if [[ " $PROXIES " == *" portico "* ]]; then
        INFO_PORTICO="$PORTICO_BIN"
        local ver
        ver=$( ("$PORTICO_BIN" --version 2>/dev/null || true) | head -1)
        if [[ -n "$ver" ]]; then INFO_PORTICO+=" $ver"; fi
        # Read-only git queries (--no-optional-locks: never rewrites the index).
        local rev
        rev=$(git --no-optional-locks -C "$REPO_ROOT" rev-parse --short --verify -q HEAD 2>/dev/null || true)
        if [[ -n "$rev" ]]; then
            INFO_PORTICO+=" (working tree at run time: HEAD $rev"
            git --no-optional-locks -C "$REPO_ROOT" diff --quiet HEAD -- 2>/dev/null \
                || INFO_PORTICO+=", with uncommitted changes"
            INFO_PORTICO+=")"
        fi
    fi
    return 0
}

# ================================================================ main
mkdir -p "$WORK"
ensure_deps

# Ports must be free: we never reuse or kill a process we did not start.
for p in "$ORIGIN_PORT" $(for x in $PROXIES; do echo "${PORT[$x]}"; (( NEEDS_TLS )) && echo $(( PORT[$x] + TLS_OFFSET )); done); do
    if port_open "$p"; then
        die "port 127.0.0.1:$p is already in use (a leftover benchmark process?). Find it with: ss -ltnp 'sport = :$p', or move all ports with PORT_BASE=28080"
    fi
done

if [[ " $PROXIES " == *" portico "* && ! -e "$PORTICO_BIN" ]]; then
    [[ "$PORTICO_BIN" == ".build/release/portico" ]] || die "PORTICO_BIN '$PORTICO_BIN' does not exist"
    command -v swift >/dev/null 2>&1 || die "swift not found; cannot build Portico (or use PROXIES=nginx)"
    log "building Portico (swift build -c release --product portico)"
    swift build -c release --product portico >&2 || die "swift build failed"
fi

(( $(nproc) >= 2 )) || log "warning: fewer than 2 CPUs; pinning to cores $PROXY_CPU/$LOAD_CPU will fail or be meaningless"

# Is something else using the CPUs? (A build running beside the benchmark ruins it.)
read -r b0 _ < <(sys_ticks); sleep 1; read -r b1 _ < <(sys_ticks)
idle_busy=$(awk -v t=$(( b1 - b0 )) -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }')
if awk -v b="$idle_busy" 'BEGIN { exit !(b > 0.1) }'; then
    log "WARNING: before starting, the machine was busy (${idle_busy} CPU-s used in 1 s by other processes);" \
        "disturbed measurements are waited for (WAIT_IDLE=$WAIT_IDLE), retried (BUSY_RETRIES=$BUSY_RETRIES) and flagged." \
        "Check with: top -bn1 -o %CPU | head -15"
fi

generate
machine_info

RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)"
TSV="$WORK/results/$RUN_ID.tsv"
printf 'round\tscenario\tproxy\trps\trequests\tp50_ms\tp99_ms\tcpu_s\treq_per_cpu_s\tpeak_rss_kib\tnon2xx\tsocket_errors\tother_processes_cpu_s\tsteal_s\tunattributed_kernel_s\tuser_time_not_ours_s\n' > "$TSV"

start_nginx origin "$WORK/conf/origin.conf" "$ORIGIN_PORT" "$LOAD_CPU"
for p in $PROXIES; do start_proxy "$p"; done

verify_endpoint origin "$ORIGIN_PORT"
for p in $PROXIES; do verify_endpoint "$p" "${PORT[$p]}"; done
log "all endpoints answer correctly (GET 1 KiB, GET 100 KiB, Connection: close, POST 1 MiB)"

read -r -a PROXY_LIST <<< "$PROXIES"
n_runs=$(( ROUNDS * $(wc -w <<< "$SCENARIOS") * ${#PROXY_LIST[@]} ))
log "run $RUN_ID: $n_runs measurements of ${WARM_S}s warm-up + ${DUR_S}s (≈ $(( n_runs * (WARM_S + DUR_S + 1) )) s);" \
    "wrk -t$WRK_THREADS -c$CONNECTIONS; proxy on core $PROXY_CPU, wrk+origin on core $LOAD_CPU"

# Wait (up to WAIT_IDLE s) until, over 1 s, other processes use less than 10% of a core and the
# hypervisor steals less than 10% of one (our own processes are idle between measurements).
WAITED_S=0   # total waited so far; capped by WAIT_IDLE_TOTAL
wait_idle() {
    local limit=$(( WAIT_IDLE_TOTAL - WAITED_S ))
    (( limit > WAIT_IDLE )) && limit=$WAIT_IDLE
    (( limit > 0 )) || return 0
    local start=$SECONDS b0 b1 s0 s1 busy steal warned=0
    while :; do
        read -r b0 s0 _ < <(sys_ticks); sleep 1; read -r b1 s1 _ < <(sys_ticks)
        busy=$(( b1 - b0 )); steal=$(( s1 - s0 ))
        if (( busy * 10 <= CLK_TCK && steal * 10 <= CLK_TCK )); then
            WAITED_S=$(( WAITED_S + SECONDS - start ))
            return 0
        fi
        if (( SECONDS - start >= limit )); then
            WAITED_S=$(( WAITED_S + SECONDS - start ))
            log "machine still busy after ${limit}s of waiting (${WAITED_S}s of WAIT_IDLE_TOTAL=${WAIT_IDLE_TOTAL}s used);" \
                "measuring anyway (will be flagged)"
            return 0
        fi
        if (( ! warned )); then
            log "machine busy (other processes $(awk -v t=$busy -v h="$CLK_TCK" 'BEGIN{printf "%.2f", t/h}') CPU-s/s," \
                "hypervisor steal $(awk -v t=$steal -v h="$CLK_TCK" 'BEGIN{printf "%.2f", t/h}') s/s); waiting up to ${limit}s"
            warned=1
        fi
    done
}

# One warm-up + measurement of proxy $2 on scenario $1 in round $3. Sets M_* variables.
measure() {
    local s=$1 p=$2 r=$3 port out pids opids parsed wu ws
    local sb0 st0 su0 sb1 st1 su1 ou0 os0 ou1 os1 pu0 ps0 pu1 ps1
    port=${PORT[$p]}
    out="$WORK/results/$RUN_ID.r$r.$s.$p"
    run_wrk "$WARM_S" "$out.warmup.txt" "$s" "$port"
    mapfile -t pids < <(instance_pids "${MAIN_PID[$p]}")
    mapfile -t opids < <(instance_pids "${MAIN_PID[origin]}")
    reset_hwm "${pids[@]}"
    snap_foreign > "$out.foreign0"
    read -r sb0 st0 su0 < <(sys_ticks)
    read -r ou0 os0 < <(cpu_ticks "${opids[@]}")
    read -r pu0 ps0 < <(cpu_ticks "${pids[@]}")
    run_wrk "$DUR_S" "$out.txt" "$s" "$port"
    read -r pu1 ps1 < <(cpu_ticks "${pids[@]}")
    read -r ou1 os1 < <(cpu_ticks "${opids[@]}")
    read -r sb1 st1 su1 < <(sys_ticks)
    snap_foreign > "$out.foreign1"
    M_FOREIGN=$(foreign_cpu_s "$out.foreign0" "$out.foreign1")
    M_RSS=$(hwm_kib "${pids[@]}")
    parsed=$(parse_wrk "$out.txt") || { cat "$out.txt" >&2; die "could not parse wrk output ($out.txt)"; }
    read -r M_RPS M_REQ M_P50 M_P99 M_NON2XX M_SERR <<< "$parsed"
    M_CPU=$(awk -v t=$(( pu1 - pu0 + ps1 - ps0 )) -v h="$CLK_TCK" 'BEGIN { printf "%.2f", t / h }')
    M_PER_CPU=$(awk -v q="$M_REQ" -v c="$M_CPU" 'BEGIN { if (c > 0) printf "%.0f", q / c; else print "inf" }')
    # Interference, measured two ways:
    # M_FOREIGN: CPU of the other user-space processes, from their /proc/PID/stat (exact per
    #   process, but misses processes that started and ended within the measurement).
    # M_OTHER: the machine's user-mode time (/proc/stat) minus the user time of the proxy, the
    #   origin and wrk: catches short-lived processes too, but per-process user/system splits are
    #   estimates, so it carries some noise (a few tenths of a second per 10 s).
    # M_KERNEL: the rest of the machine's busy time not charged to those three (mostly network
    #   softirq work done while a core was otherwise idle; nonzero on an idle machine, not flagged).
    # M_STEAL: time the hypervisor gave to other guests.
    { read -r wu ws < "$out.txt.cpu"; } 2>/dev/null || { wu=0; ws=0; }
    read -r M_OTHER M_KERNEL M_STEAL < <(awk -v su=$(( su1 - su0 )) -v sb=$(( sb1 - sb0 )) -v st=$(( st1 - st0 )) \
        -v pu=$(( pu1 - pu0 )) -v pt=$(( pu1 - pu0 + ps1 - ps0 )) -v ou=$(( ou1 - ou0 )) -v ot=$(( ou1 - ou0 + os1 - os0 )) \
        -v wu="$wu" -v ws="$ws" -v h="$CLK_TCK" \
        'BEGIN { u = (su - pu - ou) / h - wu; if (u < 0) u = 0
                 k = (sb - pt - ot) / h - wu - ws - u; if (k < 0) k = 0
                 printf "%.2f %.2f %.2f\n", u, k, st / h }')
    M_BUSY=0
    awk -v f="$M_FOREIGN" -v o="$M_OTHER" -v m="$FOREIGN_MAX_S" 'BEGIN { exit !(f > m || o > 3 * m) }' && M_BUSY=1
    M_STOLEN=0
    awk -v f="$M_STEAL" -v m="$FOREIGN_MAX_S" 'BEGIN { exit !(f > m) }' && M_STOLEN=1
    return 0
}

for (( r = 1; r <= ROUNDS; r++ )); do
    # Alternate order so that neither proxy always runs first (thermal/cache/TIME_WAIT effects).
    if (( r % 2 == 0 )); then
        order=(); for (( i = ${#PROXY_LIST[@]} - 1; i >= 0; i-- )); do order+=("${PROXY_LIST[$i]}"); done
    else
        order=("${PROXY_LIST[@]}")
    fi
    for s in $SCENARIOS; do
        for p in "${order[@]}"; do
            attempt=0
            while :; do
                check_alive
                # A fresh proxy process for each measurement: peak RSS is then this scenario's
                # alone (allocators rarely give memory back), and no state carries over.
                if (( RESTART )) && [[ -n "${USED[$p]:-}" ]]; then restart_proxy "$p"; fi
                USED[$p]=1
                wait_idle
                measure "$s" "$p" "$r"
                (( (M_BUSY || M_STOLEN) && attempt < BUSY_RETRIES )) || break
                attempt=$(( attempt + 1 ))
                log "round $r $s $p: disturbed (other processes ${M_FOREIGN} CPU-s, user time not ours ${M_OTHER} s," \
                    "hypervisor steal ${M_STEAL} s); retry $attempt/$BUSY_RETRIES"
            done
            printf '%d\t%s\t%s\t%.0f\t%d\t%.3f\t%.3f\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n' \
                "$r" "$s" "$p" "$M_RPS" "$M_REQ" "$M_P50" "$M_P99" "$M_CPU" "$M_PER_CPU" "$M_RSS" \
                "$M_NON2XX" "$M_SERR" "$M_FOREIGN" "$M_STEAL" "$M_KERNEL" "$M_OTHER" >> "$TSV"
            flag=""
            (( M_NON2XX > 0 )) && flag+="  !! $M_NON2XX non-2xx/3xx"
            (( M_SERR > 0 )) && flag+="  !! $M_SERR socket errors"
            (( M_BUSY )) && flag+="  !! busy machine (other processes ${M_FOREIGN} CPU-s, user time not ours ${M_OTHER} s)"
            (( M_STOLEN )) && flag+="  !! hypervisor steal ${M_STEAL} s"
            log "$(printf 'round %d %-8s %-9s %9.0f req/s  p50 %7.3f ms  p99 %8.3f ms  cpu %6.2f s  %7s req/cpu-s  rss %6d KiB  other %5.2f s%s' \
                "$r" "$s" "$p" "$M_RPS" "$M_P50" "$M_P99" "$M_CPU" "$M_PER_CPU" "$M_RSS" "$M_FOREIGN" "$flag")"
        done
    done
done
check_alive

# ---------------------------------------------------------------- report
# Medians per scenario/proxy (each metric independently); ratios = median(proxy) / median(nginx).
REPORT="$WORK/results/$RUN_ID.md"
awk -F'\t' -v scen="$SCENARIOS" -v prox="$PROXIES" -v fmax="$FOREIGN_MAX_S" '
function median(key, col,   n, i, j, a, t) {
    n = cnt[key]
    for (i = 1; i <= n; i++) a[i] = val[key, i, col]
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    if (n % 2) return a[(n + 1) / 2]
    return (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return (b > 0) ? sprintf("%.2f×", a / b) : "n/a" }
NR == 1 { next }
{
    key = $2 SUBSEP $3; k = ++cnt[key]
    for (c = 4; c <= NF; c++) val[key, k, c] = $c
    bad[key] += $11 + $12
    if ($13 > fmax || $16 > 3 * fmax) busy[key]++
    if ($14 > fmax) stolen[key]++
}
END {
    ns = split(scen, S, " "); np = split(prox, P, " ")
    desc["small"] = "GET 1 KiB, keep-alive"
    desc["large"] = "GET 100 KiB, keep-alive"
    desc["newconn"] = "GET 1 KiB, new connection per request (Connection: close)"
    desc["post"] = "POST 1 MiB, keep-alive"
    desc["tls"] = "GET 1 KiB over HTTPS (TLS 1.3, ECDSA P-256), keep-alive"
    desc["tlsnew"] = "GET 1 KiB over HTTPS, new TLS connection (full handshake) per request"
    desc["h2"] = "GET 1 KiB over HTTP/2 (TLS, ALPN h2), h2load; p50 column = mean, p99 column = max"
    for (i = 1; i <= ns; i++) {
        s = S[i]
        printf "### %s — %s\n\n", s, desc[s]
        print "| proxy | req/s | p50 ms | p99 ms | proxy CPU-s | req per CPU-s | peak RSS MiB | ×nginx req/s | ×nginx req per CPU-s | errors |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
        nk = s SUBSEP "nginx"
        nr = median(nk, 4); nc = median(nk, 9)
        for (j = 1; j <= np; j++) {
            p = P[j]; key = s SUBSEP p
            if (!(key in cnt)) continue
            rps = median(key, 4); pc = median(key, 9)
            err = (bad[key] > 0) ? sprintf("**%d non-2xx, %d socket errors (all rounds)**", sumcol(key, 11), sumcol(key, 12)) : ""
            if (busy[key] > 0) err = err (err == "" ? "" : "; ") sprintf("**busy machine in %d of %d rounds**", busy[key], cnt[key])
            if (stolen[key] > 0) err = err (err == "" ? "" : "; ") sprintf("hypervisor steal in %d of %d rounds", stolen[key], cnt[key])
            if (err == "") err = "none"
            printf "| %s | %.0f | %.3f | %.3f | %.2f | %.0f | %.1f | %s | %s | %s |\n", p, rps, median(key, 6), median(key, 7), \
                median(key, 8), pc, median(key, 10) / 1024, (p == "nginx") ? "1.00×" : ratio(rps, nr), \
                (p == "nginx") ? "1.00×" : ratio(pc, nc), err
        }
        print ""
    }
}
function sumcol(key, col,   i, t) { t = 0; for (i = 1; i <= cnt[key]; i++) t += val[key, i, col]; return t }
' "$TSV" > "$REPORT.tables"

awk -F'\t' -v fmax="$FOREIGN_MAX_S" '
NR == 1 {
    print "| round | scenario | proxy | req/s | p50 ms | p99 ms | proxy CPU-s | req per CPU-s | peak RSS MiB | non-2xx | socket errors | other processes CPU-s | user time not ours s | steal s | unattributed kernel CPU-s |"
    print "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    next
}
{
    o = ($13 > fmax) ? "**" $13 "**" : $13; st = ($14 > fmax) ? "**" $14 "**" : $14; u = ($16 > 3 * fmax) ? "**" $16 "**" : $16
    n2 = ($11 > 0) ? "**" $11 "**" : $11; se = ($12 > 0) ? "**" $12 "**" : $12
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $6, $7, $8, $9, $10 / 1024, n2, se, o, u, st, $15
}' "$TSV" > "$REPORT.rounds"

{
    echo "Run $RUN_ID — $INFO_DATE"
    echo
    echo "Machine: $INFO_NPROC CPUs ($INFO_CPU), $INFO_KERNEL; $INFO_NGINX; $INFO_WRK; $INFO_SWIFT"
    echo "Method: proxy on core $PROXY_CPU, wrk (-t$WRK_THREADS -c$CONNECTIONS) + origin on core $LOAD_CPU;" \
         "$ROUNDS round(s) × ${WARM_S}s warm-up + ${DUR_S}s measured; medians over rounds."
    echo
    cat "$REPORT.tables"
} > "$REPORT"

echo
cat "$REPORT"
if grep -q '\*\*' "$REPORT.tables"; then
    echo "WARNING: some measurements had non-2xx responses, socket errors, or ran on a busy machine (see 'errors' column)." >&2
fi
if (( QUICK )); then
    echo "NOTE: --quick is a smoke run (${DUR_S}s × $ROUNDS round); its numbers are not measurements." >&2
fi

# ---------------------------------------------------------------- docs/performance.md
if (( WRITE_DOCS )); then
    DOC="$REPO_ROOT/docs/performance.md"
    NOTES=""
    if [[ -f "$DOC" ]]; then
        # Keep a hand-written "## Notes" section (up to the next "## " heading) across runs.
        NOTES=$(awk '/^## Notes[[:space:]]*$/ {on = 1; print; next} on && /^## / {on = 0} on {print}' "$DOC")
    fi
    mkdir -p "$REPO_ROOT/docs"
    {
        echo "# Portico performance"
        echo
        echo "Generated by \`Benchmarks/run.sh\` — do not edit by hand except the **Notes** section,"
        echo "which the script keeps across runs. Everything else is overwritten by the next run."
        echo "Raw per-round data: \`Benchmarks/.work/results/$RUN_ID.tsv\` (not committed)."
        if (( QUICK )); then
            echo
            echo "> **Smoke run (\`--quick\`): ${DUR_S}s × $ROUNDS round. These numbers are not a measurement.**"
        fi
        echo
        echo "## Run"
        echo
        echo "| | |"
        echo "|---|---|"
        echo "| date | $INFO_DATE |"
        echo "| run id | $RUN_ID |"
        echo "| machine | $INFO_NPROC CPUs, $INFO_CPU |"
        echo "| kernel | $INFO_KERNEL |"
        echo "| nginx | $INFO_NGINX |"
        echo "| wrk | $INFO_WRK |"
        echo "| Swift | $INFO_SWIFT |"
        echo "| Portico | $INFO_PORTICO |"
        echo "| proxies | $PROXIES |"
        echo
        echo "## Method"
        echo
        echo "- Everything on loopback. The proxy under test is pinned to core $PROXY_CPU with \`taskset\`;"
        echo "  the origin (nginx, 1 worker, static files, keep-alive) and the load generator"
        echo "  (wrk, $WRK_THREADS thread(s), $CONNECTIONS connections) are pinned to core $LOAD_CPU."
        echo "- Each proxy runs one worker: nginx \`worker_processes 1\` with an upstream \`keepalive 64\`"
        echo "  pool, HTTP/1.1 to the origin, access log off; Portico \`workers: 1\`, \`access_log: off\`."
        echo "- $ROUNDS round(s). In each round every scenario is run against every proxy in turn (the order"
        echo "  of proxies is reversed on even rounds). Each run: ${WARM_S} s warm-up, then ${DUR_S} s measured."
        if (( RESTART )); then
            echo "  Each proxy is restarted (a fresh process) before each of its runs; the origin is not."
        else
            echo "  Each proxy ran as one process for the whole run (RESTART=0)."
        fi
        echo "- req/s, p50 and p99 come from wrk (\`--latency\`). Proxy CPU-s is utime+stime from"
        echo "  \`/proc/PID/stat\` of all processes of the proxy instance (nginx master + worker), read"
        echo "  just before and after the measured run. req per CPU-s = completed requests / proxy CPU-s."
        echo "  Peak RSS is the sum of VmHWM of those processes, reset (\`clear_refs\`) after the warm-up."
        echo "- Each figure is the median over rounds. ×nginx = median(proxy) / median(nginx), same run."
        echo "  Absolute numbers drift between runs and machines; compare ratios."
        echo "- Interference: \"other processes CPU-s\" is the CPU used during the measurement by user-space"
        echo "  processes the script did not start (from their \`/proc/PID/stat\`); \"user time not ours\" is the"
        echo "  machine's user time (\`/proc/stat\`) minus the proxy's, origin's and wrk's, which also catches"
        echo "  short-lived processes but carries a few tenths of a second of accounting noise. Before each"
        echo "  measurement the script waited up to ${WAIT_IDLE} s for the machine to be idle; a measurement with"
        echo "  other processes above ${FOREIGN_MAX_S} s (or user time not ours above 3 × that) was redone up to"
        echo "  ${BUSY_RETRIES} time(s), and is flagged \"busy machine\" if it still was. Hypervisor steal above"
        echo "  ${FOREIGN_MAX_S} s is waited for, retried and flagged the same way. \"Unattributed kernel CPU-s\" is busy time charged"
        echo "  to no process (mostly network softirq work on an otherwise idle core); not flagged."
        echo "  The processes started by the script ran in their own autogroups at nice ${NICE}."
        echo
        echo "## Results"
        echo
        cat "$REPORT.tables"
        echo "### Per-round measurements"
        echo
        cat "$REPORT.rounds"
        echo
        if [[ -n "$NOTES" ]]; then
            echo "$NOTES"
        else
            echo "## Notes"
            echo
            echo "(Hand-written observations go here; this section is kept when the script rewrites the file.)"
        fi
    } > "$DOC"
    log "wrote $DOC"
fi
log "results: $TSV, $REPORT"
