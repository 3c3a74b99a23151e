# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by the caller
# logins.sh: more online password guessing by the real tools from the VM
# against real login servers in the server namespace, and a benign
# look-alike (sourced by ../record-captures.sh, whose helpers it uses, after
# guessing.sh: the files are read in name order, and its GUESS_WORDS, 60
# wrong passwords, and guess_* helpers are used here).
#
# Every account guessed at exists and has a random password; every capture
# keeps 128 bytes of each frame and holds at most 30 s of traffic.  Where a
# server checks system accounts (sshd, vsftpd through PAM) it sees a
# private /etc/passwd and /etc/shadow holding the account egdguess,
# bind-mounted in a mount namespace of its own (the host's files are not
# changed); the other servers keep their own users in the temporary
# directory.
#
#   ncrack-ssh      ncrack's ssh module against OpenSSH on 192.0.2.1:2222
#                   (password logins, MaxAuthTries 6), user egdguess
#   patator-ssh     patator ssh_login (paramiko), 4 threads, persistent
#                   connections, against the same kind of sshd
#   hydra-ftp       hydra ftp against vsftpd (standalone, local users
#                   through PAM, no anonymous logins) on 192.0.2.1:21,
#                   10 tasks: PAM and vsftpd make a failed login take 3 s,
#                   and vsftpd drops the connection after 3
#   hydra-mysql     hydra mysql against MariaDB (mariadbd started by hand on
#                   a datadir made by mariadb-install-db) on 192.0.2.1:3306,
#                   user egdguess@'%' (mysql_native_password); hydra opens
#                   two connections a guess (the first only reads the
#                   greeting)
#   hydra-postgres  hydra postgres against PostgreSQL 15 (initdb, run as
#                   user postgres) on 192.0.2.1:5432, scram-sha-256 for
#                   192.0.2.0/24, user postgres; before each login (libpq)
#                   hydra opens and closes a bare TCP connection
#   hydra-redis     hydra redis against redis-server with requirepass on
#                   192.0.2.1:6379 (AUTH with a password only)
#   hydra-imap      hydra imap (LOGIN), 8 tasks, against dovecot on
#                   192.0.2.1:143, plaintext logins allowed, a passwd-file
#                   user egdguess (see login_dovecot for its delays)
#   hydra-pop3      hydra pop3 (USER/PASS), 8 tasks, against the same
#                   dovecot on 110
#   hydra-vnc       hydra vnc against x11vnc sharing an Xvfb display on
#                   192.0.2.1:5900 with a VNC password (-rfbauth): RFB 3.8,
#                   VNC authentication (DES challenge/response; hydra
#                   answers as RFB 3.7), one connection a guess
#   benign-db-poll  psql logs in to the same PostgreSQL with the right
#                   password 40 times, one new connection every 0.5 s, and
#                   runs SELECT 1 (a monitoring or CI job polling a
#                   database: the same server and login as hydra-postgres,
#                   but every login succeeds)
#   hydra-imaps     hydra imaps, 8 tasks, the logins of hydra-imap inside
#                   implicit TLS (1.3), against dovecot with ssl = required
#                   (self-signed P-256 certificate) on 192.0.2.1:993, the
#                   same user and delays as hydra-imap (see
#                   login_dovecot_tls)
#   hydra-pop3s     hydra pop3s, 8 tasks, the logins of hydra-pop3 inside
#                   implicit TLS, against the same dovecot on 995
#   benign-imaps-poll  curl checks the same dovecot's INBOX over IMAPS on
#                   993 with the right password 40 times, one new
#                   connection every 0.5 s (STATUS INBOX (MESSAGES)): a
#                   mail client polling its mailbox, the same server and
#                   login as hydra-imaps, but every login succeeds
#   hydra-smtp      hydra smtp (AUTH LOGIN), 8 tasks, against dovecot's
#                   submission service on 192.0.2.1:587, no TLS, AUTH in
#                   clear, the passwd-file user egdguess; every wrong
#                   password answered "535 5.7.8" after 2 s, and dovecot
#                   keeps the connection, so one connection a task (see
#                   login_submission)
#   smb-guessing    patator smb_login (impacket), 4 threads, persistent
#                   connections, against samba's smbd (standalone, SMB2 and
#                   3 only) on 192.0.2.1:445, the account egdguess in a
#                   private tdbsam passdb (see login_samba): an SMB1
#                   negotiate answered in SMB2, then SMB2 NTLMSSP session
#                   setups, each refused with STATUS_LOGON_FAILURE, 15 on
#                   each connection.  (Debian's hydra has no smb2 module,
#                   and its smb, medusa's smbnt and ncrack's smb speak only
#                   SMB1, which samba no longer serves by default: none of
#                   them makes a login attempt samba checks.)
#
# Not recorded: RDP guessing against xrdp.  xrdp (0.9) has no NLA: it takes
# any client to its own login screen and only then checks a password, so
# hydra's rdp module (FreeRDP, authentication only) takes the first
# password for a valid one and stops, and ncrack's rdp module waits for a
# Windows server's answer that never comes (no attempt completes); neither
# makes a login attempt that xrdp checks.

ALL_NAMES+=(ncrack-ssh patator-ssh hydra-ftp hydra-mysql hydra-postgres
    hydra-redis hydra-imap hydra-pop3 hydra-vnc benign-db-poll hydra-imaps
    hydra-pop3s benign-imaps-poll hydra-smtp smb-guessing)

readonly LOGIN_USER=egdguess
readonly LOGIN_UID=60124

# login_account DIR: DIR/passwd and DIR/shadow, the host's with the account
# egdguess added, whose random password is in DIR/account.pw.
login_account() {
    local d=$1 pw
    pw=$(openssl rand -hex 8)
    printf '%s\n' "$pw" >"$d/account.pw"
    cp /etc/passwd "$d/passwd"
    echo "$LOGIN_USER:x:$LOGIN_UID:$LOGIN_UID:egressd test:/nonexistent:/bin/sh" >>"$d/passwd"
    cp /etc/shadow "$d/shadow"
    echo "$LOGIN_USER:$(openssl passwd -6 "$pw"):19000:0:99999:7:::" >>"$d/shadow"
    chmod 0640 "$d/shadow"
}

# login_start NAME DIR CMD...: start_srv NAME for CMD in a mount namespace
# of its own where /etc/passwd and /etc/shadow are those of login_account.
login_start() {
    local name=$1 d=$2
    shift 2
    start_srv "$name" unshare -m --propagation private sh -c '
        mount --bind "$1/passwd" /etc/passwd &&
        mount --bind "$1/shadow" /etc/shadow &&
        shift && exec "$@"' sh "$d" "$@"
}

# login_sshd DIR: sshd on 192.0.2.1:2222 with password logins for
# egdguess (login_account DIR first) and MaxAuthTries 6.
login_sshd() {
    local d=$1
    need_run_sshd
    ssh-keygen -q -t ed25519 -N '' -C egd-host -f "$d/host_key"
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
    login_start sshd "$d" /usr/sbin/sshd -D -e -f "$d/sshd_config"
    wait_listen sshd t "$GUESS_SSH"
}

# login_logged FILE TEXT: how many lines of FILE hold TEXT.
login_logged() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

# login_hydra NAME DIR TASKS HYDRA-ARGS...: hydra with TASKS connections
# at once and the 60 words (the user, if any, in HYDRA-ARGS); it must
# finish them all and find nothing.  (-I: no restore prompt; hydra.restore
# is written in DIR.)
login_hydra() {
    local name=$1 d=$2 tasks=$3
    shift 3
    need hydra hydra
    run_vm 30 env -C "$d" hydra -P "$d/words" -t "$tasks" -I "$@" \
        >"$d/hydra.log" 2>&1 || true
    grep -q '1 of 1 target completed, 0 valid password' "$d/hydra.log" || {
        cat "$d/hydra.log" >&2
        die "$name: hydra did not finish its 60 guesses"
    }
}

# login_checks NAME FILE PORT FAILED MIN-CONNECTIONS: the capture holds only
# the two test addresses, the server logged FAILED (>= 60) failed logins,
# and the VM opened at least MIN-CONNECTIONS connections to PORT.
login_checks() {
    local name=$1 file=$2 port=$3 failed=$4 min=$5 syn
    check_capture "$file" ""
    log "$name: $(guess_span "$file") s of traffic"
    guess_min "failed logins logged by the server" "$failed" 60 "$file"
    syn=$(count_packets "$file" "$(guess_syn "$port")")
    guess_min "TCP connections" "$syn" "$min" "$file"
}

# ------------------------------------------------------------------ ssh --

# ncrack opens up to 4 connections at a time (cl=4) and makes as many
# guesses on each as sshd allows.  (Stopped early, it saves its state in
# ~/.ncrack of the user it runs as, found by its passwd entry, not by HOME:
# a run the timeout cuts leaves /root/.ncrack/restore.* behind.)
run_ncrack_ssh() {
    local d=$TMP/ncrack-ssh n
    need ncrack ncrack
    mkdir -p "$d"
    login_account "$d"
    login_sshd "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    run_vm 30 env HOME="$d" ncrack -v -d1 --user "$LOGIN_USER" -P "$d/words" \
        -g cl=4,CL=4 "ssh://$SRV_IP:$GUESS_SSH" >"$d/ncrack.log" 2>&1 || true
    cap_stop
    grep -q "ssh://$SRV_IP:$GUESS_SSH finished" "$d/ncrack.log" || {
        tail -20 "$d/ncrack.log" >&2
        die "ncrack-ssh: ncrack did not finish its 60 guesses"
    }
    ! grep -q 'Discovered credentials' "$d/ncrack.log" || die "ncrack-ssh: ncrack found the password"
    n=$(login_logged "$TMP/sshd.log" "Failed password for $LOGIN_USER ")
    login_checks ncrack-ssh "$d/cap.pcap" "$GUESS_SSH" "$n" 10
    CAPTURE=$d/cap.pcap
}

# patator keeps each of its 4 threads on one connection (persistent=1) and
# reconnects when sshd drops it after MaxAuthTries failures; the failures
# are ignored (-x), so a hit would be a password found.
run_patator_ssh() {
    local d=$TMP/patator-ssh n
    need patator patator
    mkdir -p "$d"
    login_account "$d"
    login_sshd "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    run_vm 30 env -C "$d" patator ssh_login host="$SRV_IP" port="$GUESS_SSH" \
        user="$LOGIN_USER" password=FILE0 0="$d/words" -t 4 \
        --max-retries 2 -x ignore:mesg='Authentication failed.' \
        >"$d/patator.log" 2>&1 || true
    cap_stop
    grep -q 'Hits/Done/Skip/Fail/Size: 0/60/0/0/60' "$d/patator.log" || {
        tail -20 "$d/patator.log" >&2
        die "patator-ssh: patator did not finish its 60 guesses"
    }
    n=$(login_logged "$TMP/sshd.log" "Failed password for $LOGIN_USER ")
    login_checks patator-ssh "$d/cap.pcap" "$GUESS_SSH" "$n" 4
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ ftp --

run_hydra_ftp() {
    local d=$TMP/hydra-ftp n
    need vsftpd vsftpd
    mkdir -p "$d/empty"
    login_account "$d"
    cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$SRV_IP
listen_port=21
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
secure_chroot_dir=$d/empty
nopriv_user=nobody
ftpd_banner=Welcome to the files.example.test FTP service.
max_login_fails=3
delay_failed_login=1
connect_from_port_20=NO
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file=$d/vsftpd.log
syslog_enable=NO
EOF
    guess_words "$d/words"
    login_start vsftpd "$d" vsftpd "$d/vsftpd.conf"
    wait_listen vsftpd t 21
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-ftp "$d" 10 -l "$LOGIN_USER" "ftp://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/vsftpd.log" "FAIL LOGIN: Client \"$VM_IP\"")
    login_checks hydra-ftp "$d/cap.pcap" 21 "$n" 4
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------------- mysql --

run_hydra_mysql() {
    local d=$TMP/hydra-mysql pw n
    need mariadbd mariadb-server
    need mariadb-install-db mariadb-server
    need mariadb mariadb-client
    mkdir -p "$d/db"
    pw=$(openssl rand -hex 8)
    mariadb-install-db --no-defaults --user=root --datadir="$d/db" \
        --auth-root-authentication-method=socket --skip-test-db \
        >"$d/install-db.log" 2>&1 || {
        cat "$d/install-db.log" >&2
        die "hydra-mysql: mariadb-install-db failed"
    }
    start_srv mariadbd mariadbd --no-defaults --user=root --datadir="$d/db" \
        --socket="$d/mysqld.sock" --pid-file="$d/mysqld.pid" \
        --bind-address="$SRV_IP" --port=3306 --skip-name-resolve \
        --skip-log-bin --innodb-buffer-pool-size=16M --tmpdir="$d" \
        --log-error="$d/mariadbd.err" --log-warnings=2
    wait_listen mariadbd t 3306
    in_srv mariadb --no-defaults -S "$d/mysqld.sock" -u root -e \
        "CREATE USER '$LOGIN_USER'@'%' IDENTIFIED BY '$pw'; GRANT SELECT ON mysql.* TO '$LOGIN_USER'@'%';" ||
        die "hydra-mysql: cannot create the user"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-mysql "$d" 4 -l "$LOGIN_USER" "mysql://$SRV_IP"
    cap_stop
    n=$(in_srv mariadb --no-defaults -S "$d/mysqld.sock" -u root -N -B -e \
        "SHOW GLOBAL STATUS LIKE 'Access_denied_errors'" | awk '{ print $2 }')
    login_checks hydra-mysql "$d/cap.pcap" 3306 "${n:-0}" 10
    CAPTURE=$d/cap.pcap
}

# ----------------------------------------------------------- postgresql --

readonly LOGIN_PG_BIN=/usr/lib/postgresql/15/bin

# login_pg NAME DIR CMD...: CMD as user postgres in the server namespace,
# in a mount namespace where DIR/pg (owned by postgres) is mounted on
# postgres's home, /var/lib/postgresql: the temporary directory is root's
# alone, so postgres could not reach DIR/pg by its own path.  NAME empty:
# in the foreground, else started with start_srv NAME.
login_pg() {
    local name=$1 d=$2
    shift 2
    set -- unshare -m --propagation private sh -c '
        mount --bind "$1" /var/lib/postgresql && shift &&
        exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"' \
        sh "$d/pg" "$@"
    if [[ -z "$name" ]]; then
        in_srv "$@"
    else
        start_srv "$name" "$@"
    fi
}

# login_postgres DIR: PostgreSQL 15 on 192.0.2.1:5432 (no Unix socket)
# whose superuser postgres has the random password in DIR/pg/pw, with
# scram-sha-256 logins from 192.0.2.0/24 and every connection and failure
# logged to the log of start_srv postgres.
login_postgres() {
    local d=$1
    need "$LOGIN_PG_BIN/postgres" postgresql-15
    need setpriv util-linux
    [[ -d /var/lib/postgresql ]] || die "no /var/lib/postgresql (apt-get install postgresql-common)"
    mkdir -p "$d/pg"
    openssl rand -hex 8 >"$d/pg/pw"
    chown -R postgres:postgres "$d/pg"
    login_pg "" "$d" "$LOGIN_PG_BIN/initdb" -D /var/lib/postgresql/data \
        -U postgres --pwfile=/var/lib/postgresql/pw -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 \
        >"$d/initdb.log" 2>&1 || {
        cat "$d/initdb.log" >&2
        die "initdb failed"
    }
    cat >"$d/pg/data/pg_hba.conf" <<EOF
# TYPE DATABASE USER ADDRESS METHOD
host all all 192.0.2.0/24 scram-sha-256
EOF
    login_pg postgres "$d" "$LOGIN_PG_BIN/postgres" -D /var/lib/postgresql/data \
        -c listen_addresses="$SRV_IP" -c port=5432 \
        -c unix_socket_directories= -c shared_buffers=16MB -c fsync=off \
        -c log_connections=on -c logging_collector=off
    wait_listen postgres t 5432
}

run_hydra_postgres() {
    local d=$TMP/hydra-postgres n
    mkdir -p "$d"
    login_postgres "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-postgres "$d" 4 -l postgres "postgres://$SRV_IP"
    cap_stop
    n=$(login_logged "$TMP/postgres.log" 'password authentication failed for user "postgres"')
    login_checks hydra-postgres "$d/cap.pcap" 5432 "$n" 10
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------------- redis --

run_hydra_redis() {
    local d=$TMP/hydra-redis pw n
    need redis-server redis-server
    need redis-cli redis-tools
    mkdir -p "$d"
    pw=$(openssl rand -hex 8)
    start_srv redis redis-server --bind "$SRV_IP" --port 6379 \
        --requirepass "$pw" --save '' --appendonly no --dir "$d" \
        --unixsocket "$d/redis.sock" --unixsocketperm 700 --daemonize no
    wait_listen redis t 6379
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-redis "$d" 4 "redis://$SRV_IP"
    cap_stop
    # Redis counts the failed AUTHs as WRONGPASS errors.
    n=$(in_srv env REDISCLI_AUTH="$pw" redis-cli -s "$d/redis.sock" \
        info errorstats | sed -n 's/^errorstat_WRONGPASS:count=\([0-9]*\).*/\1/p')
    login_checks hydra-redis "$d/cap.pcap" 6379 "${n:-0}" 4
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------------- imap, pop3 --

# login_dovecot DIR: dovecot with IMAP on 143 and POP3 on 110 of
# 192.0.2.1, no TLS, plaintext logins allowed, the user egdguess (random
# password) in the passwd-file DIR/users; every failed password logged
# (auth_verbose) in DIR/dovecot.log.  The auth process runs as root (it
# reads DIR/users, which the dovecot user cannot reach).  Dovecot answers
# every failed login after 2 s (auth_failure_delay) and closes the
# connection after 3; its growing per-address penalty (up to 15 s a
# login, which would stretch 60 guesses over minutes) is switched off.
login_dovecot() {
    local d=$1
    need dovecot dovecot-core
    mkdir -p "$d/run" "$d/state"
    openssl rand -hex 8 >"$d/account.pw"
    printf '%s:{SHA512-CRYPT}%s:%d:%d::%s::\n' "$LOGIN_USER" \
        "$(openssl passwd -6 "$(<"$d/account.pw")")" "$LOGIN_UID" \
        "$LOGIN_UID" "$d/home" >"$d/users"
    cat >"$d/dovecot.conf" <<EOF
protocols = imap pop3
listen = $SRV_IP
base_dir = $d/run
state_dir = $d/state
instance_name = egd-dovecot-$$
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $d/users
}
userdb {
  driver = passwd-file
  args = $d/users
}
service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  user = root
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    start_srv dovecot dovecot -F -c "$d/dovecot.conf"
    wait_listen dovecot t 143
    wait_listen dovecot t 110
}

run_hydra_imap() {
    local d=$TMP/hydra-imap n
    mkdir -p "$d"
    login_dovecot "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-imap "$d" 8 -l "$LOGIN_USER" "imap://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/dovecot.log" "passwd-file($LOGIN_USER,$VM_IP,")
    login_checks hydra-imap "$d/cap.pcap" 143 "$n" 4
    CAPTURE=$d/cap.pcap
}

run_hydra_pop3() {
    local d=$TMP/hydra-pop3 n
    mkdir -p "$d"
    login_dovecot "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-pop3 "$d" 8 -l "$LOGIN_USER" "pop3://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/dovecot.log" "passwd-file($LOGIN_USER,$VM_IP,")
    login_checks hydra-pop3 "$d/cap.pcap" 110 "$n" 4
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ vnc --

# An X display number for the Xvfb that x11vnc shares, one no one else
# should be using (desktops.sh uses 500-899, remote.sh 100-499).
login_display() { echo $((900 + $$ % 90)); }

run_hydra_vnc() {
    local d=$TMP/hydra-vnc disp n
    need Xvfb xvfb
    need x11vnc x11vnc
    mkdir -p "$d"
    disp=$(login_display)
    [[ ! -e "/tmp/.X$disp-lock" && ! -e "/tmp/.X11-unix/X$disp" ]] ||
        die "hydra-vnc: X display :$disp is in use on this host"
    x11vnc -storepasswd "$(openssl rand -hex 4)" "$d/vncpasswd" >/dev/null 2>&1 ||
        die "hydra-vnc: cannot store the VNC password"
    start_srv xvfb Xvfb ":$disp" -screen 0 640x480x24 -nolisten tcp
    wait_until 10 test -e "/tmp/.X11-unix/X$disp" || die "hydra-vnc: Xvfb :$disp did not start"
    start_srv x11vnc x11vnc -display ":$disp" -rfbauth "$d/vncpasswd" \
        -listen "$SRV_IP" -rfbport 5900 -forever -shared -nopw -noipv6 \
        -noxdamage -o "$d/x11vnc.log"
    wait_listen x11vnc t 5900
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-vnc "$d" 4 "vnc://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/x11vnc.log" "authProcessClientMessage: authentication failed from $VM_IP")
    login_checks hydra-vnc "$d/cap.pcap" 5900 "$n" 10
    CAPTURE=$d/cap.pcap
}

# ---------------------------------------------------- benign look-alike --

# 40 psql logins with the right password, a new connection each, started
# every 0.5 s, each running SELECT 1.
run_benign_db_poll() {
    local d=$TMP/benign-db-poll i n t0 now wait
    need psql postgresql-client
    mkdir -p "$d"
    login_postgres "$d"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    t0=${EPOCHREALTIME/[.,]/}
    for ((i = 0; i < 40; i++)); do
        # Sleep until the i-th half second after t0.
        now=${EPOCHREALTIME/[.,]/}
        wait=$((t0 + i * 500000 - now))
        ((wait <= 0)) || sleep "$(printf '%d.%06d' $((wait / 1000000)) $((wait % 1000000)))"
        run_vm 5 env PGPASSWORD="$(<"$d/pg/pw")" PGCONNECT_TIMEOUT=3 \
            PGAPPNAME=db-health-check psql -X -q -A -t -h "$SRV_IP" \
            -U postgres -d postgres -o "$d/got" -c 'SELECT 1' ||
            die "benign-db-poll: login $((i + 1)) failed"
        [[ "$(<"$d/got")" == 1 ]] || die "benign-db-poll: login $((i + 1)): wrong answer"
    done
    cap_stop
    check_capture "$d/cap.pcap" ""
    log "benign-db-poll: $(guess_span "$d/cap.pcap") s of traffic"
    n=$(count_packets "$d/cap.pcap" "$(guess_syn 5432)")
    ((n == 40)) || die "$d/cap.pcap: $n connections, want 40"
    log "TCP connections: $n"
    n=$(login_logged "$TMP/postgres.log" 'connection authorized: user=postgres')
    ((n == 40)) || die "benign-db-poll: postgres logged $n logins, want 40"
    ! grep -q 'password authentication failed' "$TMP/postgres.log" ||
        die "benign-db-poll: a login failed"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------- imaps, pop3s --

readonly LOGIN_MAIL_HOST=mail.example.test

# login_dovecot_tls DIR: dovecot as in login_dovecot (the user egdguess,
# failed passwords logged in DIR/dovecot.log, answers after 2 s, no
# per-address penalty), but with implicit TLS only: IMAPS on 993 and POP3S
# on 995 of 192.0.2.1 (plain 143 and 110 closed), ssl = required, a
# self-signed P-256 certificate for mail.example.test made in DIR.  A
# successful login runs as egdguess, who cannot reach the temporary
# directory (root's alone), so dovecot runs in a mount namespace where
# DIR/home (owned by egdguess) is mounted on /mnt, the user's home.
login_dovecot_tls() {
    local d=$1
    need dovecot dovecot-core
    mkdir -p "$d/run" "$d/state" "$d/home"
    chown "$LOGIN_UID:$LOGIN_UID" "$d/home"
    chmod 0700 "$d/home"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=$LOGIN_MAIL_HOST" \
        -addext "subjectAltName=DNS:$LOGIN_MAIL_HOST" \
        -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    openssl rand -hex 8 >"$d/account.pw"
    printf '%s:{SHA512-CRYPT}%s:%d:%d::%s::\n' "$LOGIN_USER" \
        "$(openssl passwd -6 "$(<"$d/account.pw")")" "$LOGIN_UID" \
        "$LOGIN_UID" /mnt >"$d/users"
    cat >"$d/dovecot.conf" <<EOF
protocols = imap pop3
listen = $SRV_IP
base_dir = $d/run
state_dir = $d/state
instance_name = egd-dovecot-$$
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
ssl = required
ssl_cert = <$d/cert.pem
ssl_key = <$d/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_verbose = yes
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = $d/users
}
userdb {
  driver = passwd-file
  args = $d/users
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 995
    ssl = yes
  }
}
service auth {
  user = root
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    start_srv dovecot unshare -m --propagation private sh -c '
        mount --bind "$1" /mnt && shift && exec "$@"' sh "$d/home" \
        dovecot -F -c "$d/dovecot.conf"
    wait_listen dovecot t 993
    wait_listen dovecot t 995
}

run_hydra_imaps() {
    local d=$TMP/hydra-imaps n
    mkdir -p "$d"
    login_dovecot_tls "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-imaps "$d" 8 -l "$LOGIN_USER" "imaps://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/dovecot.log" "passwd-file($LOGIN_USER,$VM_IP,")
    login_checks hydra-imaps "$d/cap.pcap" 993 "$n" 4
    CAPTURE=$d/cap.pcap
}

run_hydra_pop3s() {
    local d=$TMP/hydra-pop3s n
    mkdir -p "$d"
    login_dovecot_tls "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-pop3s "$d" 8 -l "$LOGIN_USER" "pop3s://$SRV_IP"
    cap_stop
    n=$(login_logged "$d/dovecot.log" "passwd-file($LOGIN_USER,$VM_IP,")
    login_checks hydra-pop3s "$d/cap.pcap" 995 "$n" 4
    CAPTURE=$d/cap.pcap
}

# 40 IMAPS logins by curl with the right password, a new connection each
# (TLS with SNI mail.example.test), started every 0.5 s, each asking for
# the number of messages in INBOX (empty: 0).
run_benign_imaps_poll() {
    local d=$TMP/benign-imaps-poll i n t0 now wait
    mkdir -p "$d"
    login_dovecot_tls "$d"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    t0=${EPOCHREALTIME/[.,]/}
    for ((i = 0; i < 40; i++)); do
        # Sleep until the i-th half second after t0.
        now=${EPOCHREALTIME/[.,]/}
        wait=$((t0 + i * 500000 - now))
        ((wait <= 0)) || sleep "$(printf '%d.%06d' $((wait / 1000000)) $((wait % 1000000)))"
        run_vm 10 curl -q -sS -k --max-time 5 \
            --resolve "$LOGIN_MAIL_HOST:993:$SRV_IP" \
            -u "$LOGIN_USER:$(<"$d/account.pw")" -X 'STATUS INBOX (MESSAGES)' \
            -o "$d/got" "imaps://$LOGIN_MAIL_HOST/" 2>"$d/curl.log" || {
            cat "$d/curl.log" "$d/dovecot.log" >&2
            die "benign-imaps-poll: login $((i + 1)) failed"
        }
        grep -q '^\* STATUS INBOX (MESSAGES 0)' "$d/got" ||
            die "benign-imaps-poll: login $((i + 1)): wrong answer"
    done
    cap_stop
    check_capture "$d/cap.pcap" ""
    log "benign-imaps-poll: $(guess_span "$d/cap.pcap") s of traffic"
    n=$(count_packets "$d/cap.pcap" "$(guess_syn 993)")
    ((n == 40)) || die "$d/cap.pcap: $n connections, want 40"
    log "TCP connections: $n"
    n=$(login_logged "$d/dovecot.log" "imap-login: Info: Login: user=<$LOGIN_USER>,")
    ((n == 40)) || die "benign-imaps-poll: dovecot logged $n logins, want 40"
    ! grep -qF "passwd-file($LOGIN_USER," "$d/dovecot.log" ||
        die "benign-imaps-poll: a login failed"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ smtp --

# login_submission DIR: dovecot's submission service (an SMTP server for
# mail clients) on 192.0.2.1:587, no TLS, AUTH PLAIN and LOGIN offered in
# clear, the user egdguess (random password) in the passwd-file DIR/users;
# every failed password logged (auth_verbose) in DIR/dovecot.log.  A wrong
# password is answered "535 5.7.8" after 2 s (auth_failure_delay), with no
# per-address penalty (as in login_dovecot).  The relay it would hand mail
# to, 127.0.0.1:25 of the server namespace, is never reached: no login
# succeeds, so no mail is sent.
login_submission() {
    local d=$1
    need dovecot dovecot-core
    need /usr/lib/dovecot/submission-login dovecot-submissiond
    mkdir -p "$d/run" "$d/state"
    openssl rand -hex 8 >"$d/account.pw"
    printf '%s:{SHA512-CRYPT}%s:%d:%d::%s::\n' "$LOGIN_USER" \
        "$(openssl passwd -6 "$(<"$d/account.pw")")" "$LOGIN_UID" \
        "$LOGIN_UID" "$d/home" >"$d/users"
    cat >"$d/dovecot.conf" <<EOF
protocols = submission
listen = $SRV_IP
base_dir = $d/run
state_dir = $d/state
instance_name = egd-dovecot-$$
log_path = $d/dovecot.log
info_log_path = $d/dovecot.log
hostname = $LOGIN_MAIL_HOST
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
mail_location = maildir:~/Maildir
submission_relay_host = 127.0.0.1
submission_relay_port = 25
passdb {
  driver = passwd-file
  args = $d/users
}
userdb {
  driver = passwd-file
  args = $d/users
}
service submission-login {
  inet_listener submission {
    port = 587
  }
}
service auth {
  user = root
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
    start_srv dovecot dovecot -F -c "$d/dovecot.conf"
    wait_listen dovecot t 587
}

run_hydra_smtp() {
    local d=$TMP/hydra-smtp n
    mkdir -p "$d"
    login_submission "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    login_hydra hydra-smtp "$d" 8 -l "$LOGIN_USER" "smtp://$SRV_IP:587"
    cap_stop
    n=$(login_logged "$d/dovecot.log" "passwd-file($LOGIN_USER,$VM_IP,")
    login_checks hydra-smtp "$d/cap.pcap" 587 "$n" 8
    n=$(grep -aoF '535 5.7.8 ' "$d/cap.pcap" | wc -l)
    guess_min "535 replies" "$n" 60 "$d/cap.pcap"
    CAPTURE=$d/cap.pcap
}

# ------------------------------------------------------------------ smb --

# login_samba DIR: smbd (started by hand, standalone server, SMB2 and 3
# only, no NetBIOS) on 192.0.2.1:445 with one read-only share, its
# configuration, state and user database (a tdbsam passdb) all in DIR; the
# account egdguess (login_account DIR first) has its random password in
# that passdb too.  smbd and smbpasswd see the private /etc/passwd of
# login_start.  Every failed login is logged by the authentication audit
# in DIR/smbd.log.
login_samba() {
    local d=$1 s=$1/samba
    need smbd samba
    need smbpasswd samba-common-bin
    mkdir -p "$s/private" "$s/lock" "$s/state" "$s/cache" "$s/run" \
        "$s/ncalrpc" "$s/bind-dns" "$s/usershares" "$d/share"
    cat >"$d/smb.conf" <<EOF
[global]
workgroup = EXAMPLE
netbios name = FILES
server string = files
server role = standalone server
interfaces = $SRV_IP/24
bind interfaces only = yes
smb ports = 445
disable netbios = yes
passdb backend = tdbsam:$s/private/passdb.tdb
private dir = $s/private
lock directory = $s/lock
state directory = $s/state
cache directory = $s/cache
pid directory = $s/run
ncalrpc dir = $s/ncalrpc
binddns dir = $s/bind-dns
usershare path = $s/usershares
log file = $d/smbd.log
max log size = 0
log level = 1 auth_audit:3
load printers = no
printing = bsd
printcap name = /dev/null
disable spoolss = yes
map to guest = Never
[files]
path = $d/share
read only = yes
EOF
    printf '%s\n%s\n' "$(<"$d/account.pw")" "$(<"$d/account.pw")" |
        unshare -m --propagation private sh -c '
        mount --bind "$1/passwd" /etc/passwd &&
        mount --bind "$1/shadow" /etc/shadow &&
        exec smbpasswd -c "$1/smb.conf" -s -a "$2"' sh "$d" "$LOGIN_USER" \
        >"$d/smbpasswd.log" 2>&1 || {
        cat "$d/smbpasswd.log" >&2
        die "smbpasswd cannot add $LOGIN_USER"
    }
    login_start smbd "$d" smbd --foreground --configfile="$d/smb.conf"
    wait_listen smbd t 445
}

run_smb_guessing() {
    local d=$TMP/smb-guessing n
    need patator patator
    mkdir -p "$d"
    login_account "$d"
    login_samba "$d"
    guess_words "$d/words"
    cap_start "$d/cap.pcap" "$GUESS_SNAP"
    run_vm 30 env -C "$d" patator smb_login host="$SRV_IP" port=445 \
        user="$LOGIN_USER" password=FILE0 0="$d/words" -t 4 \
        --max-retries 2 -x ignore:code=c000006d \
        >"$d/patator.log" 2>&1 || true
    cap_stop
    grep -q 'Hits/Done/Skip/Fail/Size: 0/60/0/0/60' "$d/patator.log" || {
        tail -20 "$d/patator.log" >&2
        die "smb-guessing: patator did not finish its 60 guesses"
    }
    n=$(login_logged "$d/smbd.log" "status [NT_STATUS_WRONG_PASSWORD]")
    login_checks smb-guessing "$d/cap.pcap" 445 "$n" 4
    CAPTURE=$d/cap.pcap
}
