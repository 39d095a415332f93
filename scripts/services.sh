#!/usr/bin/env bash
# The project's services without Docker: RabbitMQ (Debian's rabbitmq-server) and Elasticsearch 8.19.7
# (the minimal distribution from Maven Central), installed and run from .services/ at the repo root.
#
#   scripts/services.sh install            install what is missing, start nothing
#   scripts/services.sh start              install what is missing, start both, wait until ready
#   scripts/services.sh stop               stop what this script started (never anything else)
#   scripts/services.sh status             each service: answering or not, pid, started by us (exit 3 if one is down)
#   scripts/services.sh env                `export RABBITMQ_SERVER=...` / `export ES_SERVER=...` lines
#   scripts/services.sh start-es | stop-es | es-pid                    Elasticsearch alone (es-pid: for SIGSTOP/SIGCONT)
#   scripts/services.sh start-rabbitmq | stop-rabbitmq | restart-rabbitmq   RabbitMQ alone (restart: stop_app/start_app)
#   scripts/services.sh rabbitmqctl ARGS...   rabbitmqctl against the broker this script started
#   scripts/services.sh roles PASSWORD     broker users per role: osd-data, osd-api (see README, "Broker roles")
#
# When RABBITMQ_SERVER / ES_SERVER (or the defaults, amqp://guest:guest@127.0.0.1:5672/ and 127.0.0.1:9200)
# already answer, nothing is started for that service. Elasticsearch refuses to run as root, so as root it
# runs as the system user $ES_USER (created here); RabbitMQ runs as the package's `rabbitmq` user.
# Knobs: SERVICES_DIR, ES_JAVA_HOME, ES_HEAP (512m), ES_USER (osdev-es), RABBITMQ_START_TIMEOUT (60),
# ES_START_TIMEOUT (90).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVICES_DIR=${SERVICES_DIR:-$REPO_ROOT/.services}

DEFAULT_RABBITMQ_SERVER=amqp://guest:guest@127.0.0.1:5672/
DEFAULT_ES_SERVER=127.0.0.1:9200
RABBITMQ_START_TIMEOUT=${RABBITMQ_START_TIMEOUT:-60}
ES_START_TIMEOUT=${ES_START_TIMEOUT:-90}

ES_VERSION=8.19.7
ES_ARTIFACT=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip
ES_USER=${ES_USER:-osdev-es}
ES_HEAP=${ES_HEAP:-512m}
ES_HOME=$SERVICES_DIR/elasticsearch-$ES_VERSION
ES_CONF_DIR=$SERVICES_DIR/es-config
ES_DATA_DIR=$SERVICES_DIR/es-data
ES_LOG_DIR=$SERVICES_DIR/es-logs
ES_TMP_DIR=$SERVICES_DIR/es-tmp
ES_RUN_DIR=$SERVICES_DIR/es-run
ES_PID_FILE=$ES_RUN_DIR/elasticsearch.pid
ES_MARKER=$SERVICES_DIR/elasticsearch.started   # holds the URL of the Elasticsearch we started

RMQ_DIR=$SERVICES_DIR/rabbitmq
RMQ_PID_FILE=$RMQ_DIR/rabbitmq.pid
RMQ_MARKER=$SERVICES_DIR/rabbitmq.started       # holds the URL of the broker we started
RMQ_NODENAME=rabbit@localhost                   # @localhost: does not depend on the hostname resolving
RMQ_USER=rabbitmq                               # created by the Debian package
RMQ_HOME=/var/lib/rabbitmq                      # its Erlang cookie lives here

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }
is_root() { [[ $EUID -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
is_loopback() { [[ $1 == localhost || $1 == 127.* || $1 == ::1 ]]; }

# ---------------------------------------------------------------- addresses

# Sets RMQ_SCHEME RMQ_HOST RMQ_PORT from an AMQP URL.
parse_amqp_url() {
    local url=$1 hostport
    [[ $url =~ ^(amqps?)://([^/?#]*) ]] || die "RABBITMQ_SERVER=$url is not an amqp:// URL"
    RMQ_SCHEME=${BASH_REMATCH[1]}
    hostport=${BASH_REMATCH[2]##*@}
    if [[ $hostport =~ ^\[([^]]+)\](:([0-9]+))?$ || $hostport =~ ^([^:]*)(:([0-9]+))?$ ]]; then
        RMQ_HOST=${BASH_REMATCH[1]:-localhost}
        RMQ_PORT=${BASH_REMATCH[3]}
    else
        die "cannot read host:port in RABBITMQ_SERVER=$url"
    fi
    [[ -n $RMQ_PORT ]] || { [[ $RMQ_SCHEME == amqps ]] && RMQ_PORT=5671 || RMQ_PORT=5672; }
}

# Sets ES_URL (no trailing slash) ES_HOST ES_PORT from `host:port` (the book's form) or an http(s) URL.
parse_es_server() {
    local value=$1 hostport
    [[ $value == http://* || $value == https://* ]] || value=http://$value
    ES_URL=${value%/}
    [[ $ES_URL =~ ^https?://([^/?#]*) ]] || die "cannot read ES_SERVER=$1"
    hostport=${BASH_REMATCH[1]##*@}
    if [[ $hostport =~ ^\[([^]]+)\](:([0-9]+))?$ || $hostport =~ ^([^:]+)(:([0-9]+))?$ ]]; then
        ES_HOST=${BASH_REMATCH[1]}
        ES_PORT=${BASH_REMATCH[3]:-9200}
    else
        die "cannot read host:port in ES_SERVER=$1"
    fi
    [[ $hostport == *:* ]] || ES_URL=${ES_URL/$hostport/$hostport:$ES_PORT}
}

# True when an AMQP 0-9-1 server answers the protocol header with a frame (amqps: the port accepts).
amqp_answers() {
    local host=$1 port=$2 scheme=${3:-amqp}
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        [[ $2 == amqps ]] && exit 0
        printf "AMQP\x00\x00\x09\x01" >&3
        IFS= read -r -N 1 -t 4 b <&3 || exit 1
        [[ $b == $'"'"'\x01'"'"' ]]' "$host" "$port" "$scheme" 2>/dev/null
}

# True when GET /_cluster/health answers 200 (the minimal distribution answers GET / with 405).
es_answers() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1/_cluster/health" 2>/dev/null) || true
    [[ $code == 200 ]]
}

# ---------------------------------------------------------------- installing

# A root-only `apt-get install` that refreshes the package lists when they do not know the package.
apt_install() {
    is_root || die "installing $* needs root: run 'sudo apt-get install -y $*' or this script as root"
    have apt-get || die "no apt-get on this machine: install $* yourself"
    if ! apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'; then
        log "apt-get update (the package lists do not know $1)"
        apt-get update -qq >&2 || die "apt-get update failed"
    fi
    log "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 </dev/null \
        || die "apt-get install $* failed"
}

ensure_tool() {  # command package
    have "$1" || apt_install "$2"
    have "$1" || die "$1 is still missing after installing $2"
}

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_BACKUP=
restore_policy_rc() {
    [[ -n $POLICY_RC_BACKUP ]] || return 0
    if [[ $POLICY_RC_BACKUP == none ]]; then rm -f "$POLICY_RC"; else mv -f "$POLICY_RC_BACKUP" "$POLICY_RC"; fi
    POLICY_RC_BACKUP=
}
trap restore_policy_rc EXIT

install_rabbitmq() {
    if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || have rabbitmq-server; then return 0; fi
    local t0; t0=$(now)
    is_root || die "rabbitmq-server is not installed: run 'sudo apt-get install -y rabbitmq-server' or this script as root"
    # The package's postinst starts a system broker through invoke-rc.d with the default settings;
    # a policy-rc.d that answers 101 ("action forbidden") keeps it from starting, with or without systemd.
    if [[ -e $POLICY_RC ]]; then POLICY_RC_BACKUP=$(mktemp); cp -p "$POLICY_RC" "$POLICY_RC_BACKUP"
    else POLICY_RC_BACKUP=none; fi
    printf '#!/bin/sh\n# written by scripts/services.sh while it installs rabbitmq-server\nexit 101\n' >"$POLICY_RC"
    chmod 755 "$POLICY_RC"
    apt_install rabbitmq-server
    restore_policy_rc
    if amqp_answers 127.0.0.1 5672 && [[ ! -e $RMQ_MARKER ]]; then
        log "the package started a system broker anyway; stopping it"
        /usr/sbin/rabbitmqctl stop >&2 || log "could not stop it: it will be used as an existing broker"
    fi
    log "rabbitmq-server installed in $(since "$t0") s"
}

# Sets JAVA_FOR_ES to a Java home of version 17 or later (17 and 21 preferred), installing 17 if none.
find_es_java() {
    local c major
    local candidates=("${ES_JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-* "${JAVA_HOME:-}")
    if have java; then candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"); fi
    for c in "${candidates[@]}"; do
        [[ -n $c && -x $c/bin/java ]] || continue
        major=$("$c/bin/java" -version 2>&1 | sed -n '1s/.*version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p')
        if [[ $major =~ ^[0-9]+$ ]] && ((major >= 17)); then JAVA_FOR_ES=$c; return 0; fi
    done
    [[ -z ${ES_JAVA_HOME:-} ]] || die "ES_JAVA_HOME=$ES_JAVA_HOME is not a Java 17+ home"
    apt_install openjdk-17-jre-headless
    local jdks=(/usr/lib/jvm/java-17-openjdk-*)
    [[ -x ${jdks[0]}/bin/java ]] || die "openjdk-17-jre-headless installed no /usr/lib/jvm/java-17-openjdk-*"
    JAVA_FOR_ES=${jdks[0]}
}

# The Maven local repository holding the downloaded zip (the default, or what settings.xml says).
es_zip_path() {
    local rel=org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip
    local repo=$HOME/.m2/repository
    if [[ ! -f $repo/$rel ]]; then
        repo=$(mvn -B -q help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null </dev/null) || true
    fi
    printf '%s/%s\n' "$repo" "$rel"
}

install_es() {
    local t0 zip staging installed=""; t0=$(now)
    find_es_java
    if [[ ! -x $ES_HOME/bin/elasticsearch ]]; then
        installed=yes
        ensure_tool unzip unzip
        zip=$(es_zip_path)
        if [[ ! -f $zip ]]; then
            ensure_tool mvn maven
            log "downloading Elasticsearch $ES_VERSION from Maven Central (about 95 MB)"
            # mvn -q prints its errors (and stray colour codes) on stdout: keep them for a failure.
            if ! mvn -B -q dependency:get -Dartifact="$ES_ARTIFACT" -Dtransitive=false \
                >"$SERVICES_DIR/mvn.log" 2>&1 </dev/null; then
                tail -n 30 "$SERVICES_DIR/mvn.log" >&2
                die "mvn dependency:get $ES_ARTIFACT failed (whole output: $SERVICES_DIR/mvn.log)"
            fi
            zip=$(es_zip_path)
            [[ -f $zip ]] || die "mvn reported success but $zip is missing"
        fi
        staging=$SERVICES_DIR/.unzip.$$
        rm -rf "$staging"; mkdir -p "$staging"
        unzip -q "$zip" -d "$staging" || die "cannot unzip $zip"
        mv "$staging/elasticsearch-$ES_VERSION" "$ES_HOME"; rm -rf "$staging"
        chmod -R go+rX "$ES_HOME"
    fi
    mkdir -p "$ES_DATA_DIR" "$ES_LOG_DIR" "$ES_TMP_DIR" "$ES_RUN_DIR"
    # A private copy of config/: Elasticsearch writes its keystore there; the distribution stays read-only.
    [[ -d $ES_CONF_DIR ]] || cp -r "$ES_HOME/config" "$ES_CONF_DIR"
    if is_root; then
        if ! getent passwd "$ES_USER" >/dev/null; then
            installed=yes
            log "creating system user $ES_USER (Elasticsearch refuses to run as root)"
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$ES_USER" || die "useradd $ES_USER failed"
        fi
        chown -R "$ES_USER:" "$ES_CONF_DIR" "$ES_DATA_DIR" "$ES_LOG_DIR" "$ES_TMP_DIR" "$ES_RUN_DIR"
        runuser -u "$ES_USER" -- test -r "$ES_HOME/lib/elasticsearch-$ES_VERSION.jar" \
            || die "user $ES_USER cannot read $ES_HOME: make the folders above it traversable (chmod o+x) or set SERVICES_DIR elsewhere"
    fi
    [[ -z $installed ]] || log "elasticsearch $ES_VERSION installed in $ES_HOME (Java: $JAVA_FOR_ES) in $(since "$t0") s"
}

prepare_services_dir() {
    mkdir -p "$SERVICES_DIR"
    chmod 755 "$SERVICES_DIR"
}

# ---------------------------------------------------------------- RabbitMQ

RMQ_LIB=/usr/lib/rabbitmq/bin
RMQ_LOCAL_PORT=5672

# Our broker's port and node name: rabbit@localhost on 5672, rabbit-PORT@localhost on another port.
use_rmq_port() {
    RMQ_LOCAL_PORT=$1
    if [[ $1 == 5672 ]]; then RMQ_NODENAME=rabbit@localhost; else RMQ_NODENAME=rabbit-$1@localhost; fi
}

# The port of the broker this script started (from its marker), for stop and restart.
use_marker_port() {
    [[ -f $RMQ_MARKER ]] || return 0
    parse_amqp_url "$(head -n 1 "$RMQ_MARKER")"
    use_rmq_port "$RMQ_PORT"
}

ours_rmq() {  # true when the broker we started runs and serves RMQ_PORT
    local marker_url
    [[ -f $RMQ_MARKER ]] && rmq_pid >/dev/null || return 1
    marker_url=$(head -n 1 "$RMQ_MARKER")
    [[ $marker_url =~ :${RMQ_PORT}(/|$) || ( $RMQ_PORT == 5672 && ! $marker_url =~ ://[^/]*:[0-9]+ ) ]]
}
rmq_env() {
    unset RABBITMQ_SERVER   # ours, not RabbitMQ's
    export RABBITMQ_NODENAME=$RMQ_NODENAME
    export RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf
    export RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf
    export RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config
    export RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins
    export RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia
    export RABBITMQ_LOG_BASE=$RMQ_DIR/log
    export RABBITMQ_PID_FILE=$RMQ_PID_FILE
    export RABBITMQ_DIST_PORT=$((RMQ_LOCAL_PORT + 20000))   # 25672 for 5672, as RabbitMQ's default
    export ERL_EPMD_ADDRESS=127.0.0.1
    # Keep Erlang distribution (port 25672) on loopback too.
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
}

# Runs a RabbitMQ tool (rabbitmq-server, rabbitmqctl) with the project's settings, as the rabbitmq user
# when root (the Debian wrappers in /usr/sbin do the same through su), killed after SECS (0: never).
rmq_timeout() {
    local secs=$1; shift
    (rmq_env; cd "$RMQ_DIR"; rmq_argv "$@"; exec timeout "$secs" "${RMQ_ARGV[@]}")
}

rmq_argv() {  # sets RMQ_ARGV to run TOOL ARGS... as the right user
    local bin=$RMQ_LIB/$1; shift
    [[ -x $bin ]] || bin=$(command -v "$(basename "$bin")") || die "$(basename "$bin") not found"
    RMQ_ARGV=("$bin" "$@")
    if is_root; then RMQ_ARGV=(runuser -u "$RMQ_USER" -- env HOME="$RMQ_HOME" "${RMQ_ARGV[@]}"); fi
}
rmq() { rmq_timeout 0 "$@"; }

rmq_pid() {  # prints the pid of the broker we started, if it is alive
    local pid
    [[ -f $RMQ_PID_FILE ]] || return 1
    pid=$(tr -dc 0-9 <"$RMQ_PID_FILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -qa beam "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

write_rmq_config() {
    local port=$1
    mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
    printf '# written by scripts/services.sh: the settings come from the environment it sets\n' \
        >"$RMQ_DIR/rabbitmq-env.conf"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# written by scripts/services.sh
listeners.tcp.default = 127.0.0.1:$port
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
    printf '[].\n' >"$RMQ_DIR/enabled_plugins"
    if is_root; then
        getent passwd "$RMQ_USER" >/dev/null || die "user $RMQ_USER missing: reinstall rabbitmq-server"
        chown -R "$RMQ_USER:" "$RMQ_DIR"
        runuser -u "$RMQ_USER" -- test -w "$RMQ_DIR" \
            || die "user $RMQ_USER cannot write $RMQ_DIR: make the folders above it traversable (chmod o+x) or set SERVICES_DIR elsewhere"
    fi
}

start_rabbitmq() {
    local url=${RABBITMQ_SERVER:-$DEFAULT_RABBITMQ_SERVER} t0 pid
    parse_amqp_url "$url"
    if amqp_answers "$RMQ_HOST" "$RMQ_PORT" "$RMQ_SCHEME"; then
        if ours_rmq; then log "rabbitmq: already running (pid $(rmq_pid), started by this script) at $RMQ_HOST:$RMQ_PORT"
        else log "rabbitmq: $RMQ_HOST:$RMQ_PORT already answers; starting none and using it"; fi
        return 0
    fi
    is_loopback "$RMQ_HOST" && [[ $RMQ_SCHEME == amqp ]] \
        || die "RABBITMQ_SERVER=$url does not answer, and this script only starts a broker on loopback: unset it or start that server"
    if pid=$(rmq_pid); then
        die "rabbitmq: our broker (pid $pid) runs but does not answer on $RMQ_PORT: run '$0 stop-rabbitmq' first"
    fi
    rm -f "$RMQ_MARKER"
    install_rabbitmq
    t0=$(now)
    use_rmq_port "$RMQ_PORT"
    write_rmq_config "$RMQ_PORT"
    log "rabbitmq: starting node $RMQ_NODENAME on 127.0.0.1:$RMQ_PORT (state in $RMQ_DIR)"
    rm -f "$RMQ_PID_FILE"
    # In the background in its own session rather than `-detached`: a detached node writes no pid file
    # (its man page says so) and -detached returns before the node has registered with epmd, so an
    # `await_startup` right after it fails at once. Daemons must not inherit our stdout/stderr (a caller
    # reading them would wait forever) nor the lock on fd 9.
    (rmq_env; cd "$RMQ_DIR"; rmq_argv rabbitmq-server; exec setsid "${RMQ_ARGV[@]}") \
        >"$RMQ_DIR/log/startup.log" 2>&1 </dev/null 9>&- &
    printf '%s\n' "$url" >"$RMQ_MARKER"
    # `wait PIDFILE` waits for the pid file, then for the app, and gives up if that process dies.
    if ! rmq_timeout $((RABBITMQ_START_TIMEOUT + 10)) rabbitmqctl -q wait "$RMQ_PID_FILE" --timeout "$RABBITMQ_START_TIMEOUT" \
        >&2 </dev/null 9>&- || ! amqp_answers 127.0.0.1 "$RMQ_PORT"; then
        log "rabbitmq: not ready (gave up after $(since "$t0") s); log tail:"
        tail -n 40 "$RMQ_DIR/log/startup.log" "$RMQ_DIR"/log/*.log >&2 2>/dev/null || true
        stop_rabbitmq || true
        die "rabbitmq did not start"
    fi
    log "rabbitmq: ready at $url (pid $(rmq_pid || echo '?')) in $(since "$t0") s"
}

stop_rabbitmq() {
    local pid t0; t0=$(now)
    if [[ ! -f $RMQ_MARKER ]]; then log "rabbitmq: not started by this script; leaving it alone"; return 0; fi
    use_marker_port
    if pid=$(rmq_pid); then
        log "rabbitmq: stopping pid $pid"
        # `stop PIDFILE` returns once that process has exited.
        if ! rmq_timeout 60 rabbitmqctl -q stop "$RMQ_PID_FILE" >"$RMQ_DIR/log/stop.log" 2>&1 </dev/null 9>&-; then
            cat "$RMQ_DIR/log/stop.log" >&2
            log "rabbitmq: rabbitmqctl stop failed; sending SIGTERM to pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
            wait_gone "$pid" 30 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
        fi
        log "rabbitmq: stopped in $(since "$t0") s"
    else
        log "rabbitmq: was not running"
    fi
    rm -f "$RMQ_MARKER"
}

restart_rabbitmq() {
    local t0 pid; t0=$(now)
    [[ -f $RMQ_MARKER ]] && pid=$(rmq_pid) || die "rabbitmq: no broker started by this script is running; nothing to restart"
    use_marker_port
    log "rabbitmq: restarting the app in pid $pid (stop_app, start_app): every client connection drops"
    rmq rabbitmqctl -q stop_app >&2 </dev/null 9>&- || die "rabbitmqctl stop_app failed"
    rmq rabbitmqctl -q start_app >&2 </dev/null 9>&- || die "rabbitmqctl start_app failed"
    rmq_timeout $((RABBITMQ_START_TIMEOUT + 10)) rabbitmqctl -q await_startup --timeout "$RABBITMQ_START_TIMEOUT" \
        >&2 </dev/null 9>&- || die "rabbitmq did not come back"
    log "rabbitmq: restarted in $(since "$t0") s"
}

# ---------------------------------------------------------------- Elasticsearch

es_pid() {  # prints the pid of the Elasticsearch we started, if it is alive (paused counts)
    local pid
    [[ -f $ES_PID_FILE ]] || return 1
    pid=$(tr -dc 0-9 <"$ES_PID_FILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -qa org.elasticsearch "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

is_paused() { [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == T ]]; }

wait_gone() {  # pid seconds
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

es_log_tail() {  # the errors first (a stack trace buries them), then the last lines
    local f
    for f in "$ES_LOG_DIR/startup.log" "$ES_LOG_DIR/elasticsearch.log"; do
        [[ -s $f ]] || continue
        log "elasticsearch: errors in $f:"
        grep -E '\]\[(ERROR|FATAL)\]|^ERROR|^Caused by' "$f" | tail -n 6 | cut -c1-400 >&2 || true
        log "elasticsearch: last lines of $f:"
        grep -Ev '^[[:space:]]+at ' "$f" | tail -n 12 | cut -c1-400 >&2 || true
    done
}

start_es() {
    local server=${ES_SERVER:-$DEFAULT_ES_SERVER} pid ours
    ensure_tool curl curl
    parse_es_server "$server"
    if es_answers "$ES_URL"; then
        if pid=$(es_pid) && [[ $(cat "$ES_MARKER" 2>/dev/null) == "$ES_URL" ]]; then
            log "elasticsearch: already running (pid $pid, started by this script) at $ES_URL"
        else log "elasticsearch: $ES_URL already answers; starting none and using it"; fi
        return 0
    fi
    is_loopback "$ES_HOST" && [[ $ES_URL == http://* ]] \
        || die "ES_SERVER=$server does not answer, and this script only starts Elasticsearch on loopback: unset it or start that server"
    if pid=$(es_pid); then
        ours=$(cat "$ES_MARKER" 2>/dev/null || echo '?')
        [[ $ours == "$ES_URL" ]] || die "elasticsearch: ours (pid $pid) serves $ours, not $ES_URL: run '$0 stop-es' first"
        is_paused "$pid" && die "elasticsearch: our pid $pid is paused (SIGSTOP): 'kill -CONT $pid' or '$0 stop-es'"
        log "elasticsearch: our pid $pid runs but does not answer yet; waiting"
        wait_es_ready "$(now)" || { es_log_tail; die "elasticsearch (pid $pid) does not answer at $ES_URL"; }
        return 0
    fi
    install_es
    local t0; t0=$(now)
    launch_es
    if ! wait_es_ready "$t0"; then
        es_log_tail
        stop_es_pid || true
        rm -f "$ES_MARKER"
        die "elasticsearch did not become ready (gave up after $(since "$t0") s)"
    fi
}

launch_es() {
    rm -f "$ES_MARKER" "$ES_PID_FILE"
    log "elasticsearch: starting on 127.0.0.1:$ES_PORT (data in $ES_DATA_DIR)"
    local args=(
        -d -p "$ES_PID_FILE"
        -Ediscovery.type=single-node
        -Enetwork.host=127.0.0.1
        -Ehttp.port="$ES_PORT"
        -Expack.security.enabled=false
        -Epath.data="$ES_DATA_DIR"
        -Epath.logs="$ES_LOG_DIR"
        # A fullish disk must not turn indices read-only under the tests.
        -Ecluster.routing.allocation.disk.threshold_enabled=false
        # Not -Eingest.geoip.downloader.enabled=false: this distribution has no ingest-geoip module
        # (only apm, transport-netty4, x-pack-core, x-pack-security), so it is an unknown, fatal setting.
    )
    local as_user=()
    is_root && as_user=(runuser -u "$ES_USER" --)
    ulimit -S -n "$(ulimit -H -n)" 2>/dev/null || true
    # -d returns once the node has started (or failed); its output goes to startup.log. The daemon
    # must not inherit our stdout/stderr (a caller reading them would wait forever) nor the lock on fd 9.
    if ! (cd "$ES_LOG_DIR" && exec timeout "$ES_START_TIMEOUT" "${as_user[@]}" env -u JAVA_HOME \
        ES_JAVA_HOME="$JAVA_FOR_ES" ES_PATH_CONF="$ES_CONF_DIR" ES_TMPDIR="$ES_TMP_DIR" \
        ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP" \
        "$ES_HOME/bin/elasticsearch" "${args[@]}" >"$ES_LOG_DIR/startup.log" 2>&1 </dev/null 9>&-); then
        es_log_tail
        stop_es_pid || true
        die "elasticsearch did not start"
    fi
    printf '%s\n' "$ES_URL" >"$ES_MARKER"
}

# Waits until our process answers _cluster/health with yellow or green; false if it dies or time runs out.
wait_es_ready() {
    local t0=$1 deadline=$((SECONDS + ES_START_TIMEOUT))
    until curl -sf -o /dev/null --max-time 5 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=2s"; do
        es_pid >/dev/null && ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
    log "elasticsearch: ready at $ES_URL (pid $(es_pid || echo '?')) in $(since "$t0") s"
}

stop_es_pid() {
    local pid t0; t0=$(now)
    pid=$(es_pid) || return 1
    log "elasticsearch: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true   # a paused JVM handles SIGTERM only once resumed
    if ! wait_gone "$pid" 30; then
        log "elasticsearch: pid $pid still alive after 30 s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "elasticsearch pid $pid does not exit"
    fi
    rm -f "$ES_PID_FILE"
    log "elasticsearch: stopped in $(since "$t0") s"
}

stop_es() {
    if [[ ! -f $ES_MARKER ]] && ! es_pid >/dev/null; then
        log "elasticsearch: not started by this script; leaving it alone"; return 0
    fi
    stop_es_pid || log "elasticsearch: was not running"
    rm -f "$ES_MARKER"
}

# ---------------------------------------------------------------- commands

status() {
    local rc=0 pid url state
    url=${RABBITMQ_SERVER:-$DEFAULT_RABBITMQ_SERVER}; parse_amqp_url "$url"
    if ours_rmq; then state="pid $(rmq_pid), started by this script"
    else state="not started by this script"; fi
    if amqp_answers "$RMQ_HOST" "$RMQ_PORT" "$RMQ_SCHEME"; then echo "rabbitmq: running at $url ($state)"
    else echo "rabbitmq: not answering at $url ($state)"; rc=3; fi

    parse_es_server "${ES_SERVER:-$DEFAULT_ES_SERVER}"
    if pid=$(es_pid); then
        state="pid $pid, started by this script"
        is_paused "$pid" && state+=", PAUSED (SIGSTOP)"
    else state="not started by this script"; fi
    if es_answers "$ES_URL"; then echo "elasticsearch: running at $ES_URL ($state)"
    else echo "elasticsearch: not answering at $ES_URL ($state)"; rc=3; fi
    return "$rc"
}

print_env() {
    printf 'export RABBITMQ_SERVER=%q\n' "${RABBITMQ_SERVER:-$DEFAULT_RABBITMQ_SERVER}"
    printf 'export ES_SERVER=%q\n' "${ES_SERVER:-$DEFAULT_ES_SERVER}"
}

locked() {  # one mutating command at a time; children are started with 9>&- so none keeps the lock
    prepare_services_dir
    have flock || die "flock (util-linux) is missing"
    exec 9>"$SERVICES_DIR/.lock"
    flock -w 600 9 || die "another services.sh holds $SERVICES_DIR/.lock"
    "$@"
}

# Broker users per role (issue 18): only data servers may publish heartbeats (apiServers) and answer
# locates; only api servers may publish locate requests (dataServers). Queues are server-named
# (amq.gen-*); replies go through the default exchange to the direct reply-to pseudo-queue.
ensure_roles() {
    local password=${1:?"usage: services.sh roles PASSWORD"}
    use_marker_port
    local user
    for user in osd-data osd-api; do
        rmq_timeout 60 rabbitmqctl add_user "$user" "$password" >/dev/null 2>&1 \
            || rmq_timeout 60 rabbitmqctl change_password "$user" "$password" >/dev/null
    done
    #                                            configure                                  write                                   read
    rmq_timeout 60 rabbitmqctl set_permissions -p / osd-data '^(amq\.gen-.*|apiServers|dataServers)$' \
        '^(amq\.gen-.*|apiServers|amq\.default)$' '^(amq\.gen-.*|dataServers)$' >/dev/null
    rmq_timeout 60 rabbitmqctl set_permissions -p / osd-api '^(amq\.gen-.*|apiServers|dataServers)$' \
        '^(amq\.gen-.*|dataServers)$' '^(amq\.gen-.*|apiServers|amq\.rabbitmq\.reply-to.*)$' >/dev/null
    log "broker users osd-data (data servers) and osd-api (api servers, tools) are set"
}

usage() {
    sed -n '5,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
}

main() {
    local t0; t0=$(now)
    case ${1:-} in
        install) locked install_rabbitmq; install_es ;;
        start) locked start_rabbitmq; start_es; log "services ready in $(since "$t0") s" ;;
        stop) locked stop_es; stop_rabbitmq ;;
        status) status ;;
        env) print_env ;;
        start-es) locked start_es ;;
        stop-es) locked stop_es ;;
        es-pid) es_pid || die "no Elasticsearch started by this script is running" ;;
        start-rabbitmq) locked start_rabbitmq ;;
        stop-rabbitmq) locked stop_rabbitmq ;;
        restart-rabbitmq) locked restart_rabbitmq ;;
        rabbitmqctl) shift; use_marker_port; rmq_timeout 60 rabbitmqctl "$@" ;;
        roles) shift; locked ensure_roles "$@" ;;
        *) usage ;;
    esac
}

main "$@"
