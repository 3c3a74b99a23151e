# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by the caller
# guessing.sh: online password guessing made by the real tools from the VM
# against real servers in the server namespace, and a benign look-alike
# (sourced by ../record-captures.sh, whose helpers it uses).
#
# Every guesser tries the same 60 wrong passwords (GUESS_WORDS below: common
# passwords of 5 to 12 characters, so the requests are not all of one size
# as a list of made-up fixed-length strings would make them); the right ones
# are random.  Every capture keeps 128 bytes of each frame and holds at most
# 30 s of traffic.
#
#   hydra-https-basic  hydra https-get against nginx on 192.0.2.1:8443 (TLS
#                      1.2/1.3, self-signed P-256 certificate) whose / wants
#                      HTTP Basic authentication (auth_basic, an htpasswd
#                      made with openssl passwd -apr1): user admin, 4 tasks,
#                      one TLS connection a guess
#   hydra-http-form    hydra http-post-form against the same nginx's plain
#                      HTTP port 8080, where POST /login always answers 200
#                      "Login failed" (GET /login a small HTML form): hydra
#                      fetches the form (for cookies) before every POST, on
#                      a connection of its own, so 120 connections
#   medusa-ssh         medusa's ssh module (libssh2), 4 logins at once
#                      (-t 4), against OpenSSH on 192.0.2.1:2222 with
#                      password logins and MaxAuthTries 6, for an account
#                      that exists (egdguess, with a random password: sshd
#                      sees a private /etc/passwd and /etc/shadow holding it,
#                      bind-mounted in a mount namespace of its own; the
#                      host's files are not changed); 3 passwords a
#                      connection (see run_medusa_ssh)
#   benign-api-client  curl -k fetches a small JSON document from the same
#                      nginx on 8443 60 times, one new connection every
#                      0.5 s, with the right Basic credentials (an API
#                      client polling an authenticated endpoint: the same
#                      server, the same kind of request as hydra-https-basic,
#                      but every answer is 200)

ALL_NAMES+=(hydra-https-basic hydra-http-form medusa-ssh benign-api-client)

readonly GUESS_HTTP=8080
readonly GUESS_HTTPS=8443
readonly GUESS_SSH=2222
readonly GUESS_SNAP=128

# 60 wrong passwords: 15 common words, each bare and with 3 usual suffixes.
GUESS_WORDS=()
for w in password letmein qwerty admin welcome dragon monkey sunshine \
    football iloveyou princess shadow master trustno1 baseball; do
    for s in "" 1 123 '!'; do
        GUESS_WORDS+=("$w$s")
    done
done
readonly GUESS_WORDS
unset w s

# SYNs from the VM to PORT (the connections it opened).
guess_syn() {
    echo "src host $VM_IP and dst port $1 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
}

# guess_words FILE: the 60 wrong passwords, one a line.
guess_words() { printf '%s\n' "${GUESS_WORDS[@]}" >"$1"; }

# guess_min WHAT N MIN FILE: die unless N >= MIN; log N otherwise.
guess_min() {
    (($2 >= $3)) || die "$4: $2 $1, want at least $3"
    log "$1: $2"
}

# guess_span FILE: seconds from the first to the last packet of FILE.
guess_span() {
    tcpdump -r "$1" -nn -tt 2>/dev/null |
        awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.3f", l - f }'
}

# guess_nginx DIR: nginx in the server namespace (prefix, config, logs and
# certificate in DIR).  HTTPS on 8443: everything behind Basic
# authentication for admin with password DIR/admin.pw (random), /api/
# status.json a small JSON document.  Plain HTTP on 8080: /login, a form on
# GET, "Login failed" on POST.
guess_nginx() {
    local d=$1 pw
    need nginx nginx-light
    mkdir -p "$d/www/api" "$d/ngx-tmp"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj /CN=www.example.test \
        -addext "subjectAltName=DNS:www.example.test,IP:$SRV_IP" \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null ||
        die "openssl: cannot make the nginx certificate"
    pw=$(openssl rand -hex 8)
    printf '%s\n' "$pw" >"$d/admin.pw"
    printf 'admin:%s\n' "$(openssl passwd -apr1 "$pw")" >"$d/htpasswd"
    printf '<!DOCTYPE html>\n<html><head><title>Admin</title></head><body><h1>Admin console</h1></body></html>\n' \
        >"$d/www/index.html"
    printf '{"status":"ok","version":"2.4.1","queue":0,"workers":4}\n' \
        >"$d/www/api/status.json"
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user root root;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/ngx-tmp/body;
    proxy_temp_path $d/ngx-tmp/proxy;
    fastcgi_temp_path $d/ngx-tmp/fastcgi;
    uwsgi_temp_path $d/ngx-tmp/uwsgi;
    scgi_temp_path $d/ngx-tmp/scgi;
    types { text/html html; application/json json; }
    default_type application/octet-stream;
    keepalive_timeout 65;
    server {
        listen $SRV_IP:$GUESS_HTTPS ssl;
        server_name _;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $d/www;
        location / {
            auth_basic "Admin area";
            auth_basic_user_file $d/htpasswd;
        }
    }
    server {
        listen $SRV_IP:$GUESS_HTTP;
        server_name _;
        root $d/www;
        location = /login {
            default_type text/html;
            if (\$request_method = POST) {
                return 200 "Login failed\n";
            }
            return 200 '<!DOCTYPE html>\n<html><body><form method="post" action="/login"><input name="user"><input name="pass" type="password"><input type="submit"></form></body></html>\n';
        }
    }
}
EOF
    start_srv nginx nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log"
    wait_listen nginx t "$GUESS_HTTP"
    wait_listen nginx t "$GUESS_HTTPS"
}

# guess_logged DIR TEXT: how many lines of nginx's access log hold TEXT.
guess_logged() { grep -cF -- "$2" "$1/access.log" 2>/dev/null || true; }

# guess_hydra NAME DIR HYDRA-ARGS...: hydra with 4 tasks, user admin, the 60
# words; it must finish all of them and find nothing.  (-I: no restore
# prompt; hydra.restore is written in DIR.)
guess_hydra() {
    local name=$1 d=$2
    shift 2
    need hydra hydra
    run_vm 30 env -C "$d" hydra -l admin -P "$d/words" -t 4 -I "$@" \
        >"$d/hydra.log" 2>&1 || true
    grep -q '1 of 1 target completed, 0 valid password' "$d/hydra.log" || {
        cat "$d/hydra.log" >&2
        die "$name: hydra did not finish its 60 guesses"
    }
}

# ---------------------------------------------------------- guessers --

run_hydra_https_basic() {
    local d=$TMP/hydra-https-basic syn n
    mkdir -p "$d"
    guess_nginx "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    guess_hydra hydra-https-basic "$d" -s "$GUESS_HTTPS" -S "$SRV_IP" https-get /
    cap_stop
    check_capture "$d/cap.pcap" ""
    log "hydra-https-basic: $(guess_span "$d/cap.pcap") s of traffic"
    syn=$(count_packets "$d/cap.pcap" "$(guess_syn "$GUESS_HTTPS")")
    guess_min "TCP connections" "$syn" 1 "$d/cap.pcap"
    n=$(guess_logged "$d" '"GET / HTTP/1.')
    guess_min "GETs logged by nginx" "$n" 60 "$d/cap.pcap"
    n=$(grep -c '" 200 ' "$d/access.log" || true)
    ((n == 0)) || die "hydra-https-basic: nginx let $n requests in"
    CAPTURE=$d/cap.pcap
}

run_hydra_http_form() {
    local d=$TMP/hydra-http-form syn n
    mkdir -p "$d"
    guess_nginx "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    guess_hydra hydra-http-form "$d" -s "$GUESS_HTTP" "$SRV_IP" http-post-form \
        "/login:user=^USER^&pass=^PASS^:F=Login failed"
    cap_stop
    check_capture "$d/cap.pcap" "POST /login HTTP/1."
    log "hydra-http-form: $(guess_span "$d/cap.pcap") s of traffic"
    syn=$(count_packets "$d/cap.pcap" "$(guess_syn "$GUESS_HTTP")")
    guess_min "TCP connections" "$syn" 1 "$d/cap.pcap"
    n=$(guess_logged "$d" '"POST /login HTTP/1.')
    guess_min "POSTs logged by nginx" "$n" 60 "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# medusa against sshd.  medusa's ssh module (libssh2, banner
# SSH-2.0-MEDUSA_1.0) keeps guessing on one connection, but asks for the
# list of methods (a "none" request) before every password, and sshd counts
# those after the first as failures too: with MaxAuthTries 6 it drops the
# connection after 3 passwords ("Too many authentication failures"), so the
# 60 guesses take about 20 connections, 4 at a time.
run_medusa_ssh() {
    local d=$TMP/medusa-ssh pw syn n
    need medusa medusa
    mkdir -p "$d"
    need_run_sshd
    ssh-keygen -q -t ed25519 -N '' -C egd-host -f "$d/host_key"
    pw=$(openssl rand -hex 8)
    cp /etc/passwd "$d/passwd"
    echo "egdguess:x:60124:60124:egressd test:/nonexistent:/bin/sh" >>"$d/passwd"
    cp /etc/shadow "$d/shadow"
    echo "egdguess:$(openssl passwd -6 "$pw"):19000:0:99999:7:::" >>"$d/shadow"
    chmod 0640 "$d/shadow"
    cat >"$d/sshd_config" <<EOF
Port $GUESS_SSH
ListenAddress $SRV_IP
AddressFamily inet
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile none
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication yes
MaxAuthTries 6
PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
EOF
    guess_words "$d/words"
    start_srv sshd unshare -m --propagation private sh -c '
        mount --bind "$1/passwd" /etc/passwd &&
        mount --bind "$1/shadow" /etc/shadow &&
        exec /usr/sbin/sshd -D -e -f "$1/sshd_config"' sh "$d"
    wait_listen sshd t "$GUESS_SSH"

    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    run_vm 30 medusa -h "$SRV_IP" -n "$GUESS_SSH" -u egdguess -P "$d/words" \
        -M ssh -t 4 >"$d/medusa.log" 2>&1 || true
    cap_stop
    n=$(grep -c '^ACCOUNT CHECK: \[ssh\]' "$d/medusa.log" || true)
    ((n == 60)) || {
        tail -20 "$d/medusa.log" >&2
        die "medusa-ssh: medusa made $n of 60 guesses"
    }
    ! grep -q 'ACCOUNT FOUND' "$d/medusa.log" || die "medusa-ssh: medusa found the password"
    check_capture "$d/cap.pcap" "SSH-2.0-"
    log "medusa-ssh: $(guess_span "$d/cap.pcap") s of traffic"
    # sshd saw the guesses for the account that exists.
    n=$(grep -c 'Failed password for egdguess ' "$TMP/sshd.log" || true)
    guess_min "failed passwords logged by sshd" "$n" 60 "$d/cap.pcap"
    syn=$(count_packets "$d/cap.pcap" "$(guess_syn "$GUESS_SSH")")
    guess_min "TCP connections" "$syn" 10 "$d/cap.pcap"
    ((syn < 60)) || die "$d/cap.pcap: $syn connections for 60 guesses, want several guesses a connection"
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------- benign look-alike --

# 60 authenticated GETs of a small JSON document, a new connection (and TLS
# handshake) each, started every 0.5 s.
run_benign_api_client() {
    local d=$TMP/benign-api-client i syn n t0 now wait
    need curl curl
    mkdir -p "$d"
    guess_nginx "$d"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    t0=${EPOCHREALTIME/[.,]/}
    for ((i = 0; i < 60; i++)); do
        # Sleep until the i-th half second after t0.
        now=${EPOCHREALTIME/[.,]/}
        wait=$((t0 + i * 500000 - now))
        ((wait <= 0)) || sleep "$(printf '%d.%06d' $((wait / 1000000)) $((wait % 1000000)))"
        run_vm 5 curl -q -sS --fail -k --connect-timeout 3 \
            -u "admin:$(<"$d/admin.pw")" -H 'Accept: application/json' \
            -A 'status-poller/1.3 (+python-requests/2.31)' -o "$d/got" \
            "https://$SRV_IP:$GUESS_HTTPS/api/status.json" ||
            die "benign-api-client: request $((i + 1)) failed"
        grep -q '"status":"ok"' "$d/got" ||
            die "benign-api-client: request $((i + 1)): wrong answer"
    done
    cap_stop
    check_capture "$d/cap.pcap" ""
    log "benign-api-client: $(guess_span "$d/cap.pcap") s of traffic"
    syn=$(count_packets "$d/cap.pcap" "$(guess_syn "$GUESS_HTTPS")")
    ((syn == 60)) || die "$d/cap.pcap: $syn connections, want 60"
    log "TCP connections: $syn"
    n=$(guess_logged "$d" '"GET /api/status.json HTTP/1.1" 200 ')
    ((n == 60)) || die "benign-api-client: nginx logged $n good GETs, want 60"
    CAPTURE=$d/cap.pcap
}
