# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034  # single-quoted scripts run in the namespaces; CAPTURE is read by the caller
# exchanges/remote.sh -- remote access and shells hidden behind TLS, sourced
# by record-captures.sh (which defines the helpers used here).
#
#   rsh       one rsh, one rlogin and one rexec request against the real
#             Berkeley r-services daemons (rsh-redone's in.rshd/in.rlogind,
#             netkit's in.rexecd); every login is refused (no .rhosts, a
#             wrong password), which is the protocols' real handshake.
#   telnet    GNU inetutils telnetd on 2323 and on 23, the inetutils telnet
#             client sending a user name and a wrong password.
#   vnc       a real RFB session: TigerVNC's Xvnc (Xtigervnc) on port 5999
#             with VNC password authentication, TigerVNC's viewer in the VM
#             under its own Xvfb.
#   ssh-tls   OpenSSH inside TLS: stunnel4 on 443 in front of sshd; a key
#             login runs one command twice, first with openssl s_client as
#             ssh's ProxyCommand, then through stunnel4 in client mode.
#   sslh      sslh on 443 in front of sshd and an HTTPS server: one ssh
#             session and one curl fetch through the same port.
#
# The inetd-style daemons run under socat's TCP-LISTEN with EXEC's nofork
# option, so each one gets the accepted socket itself on its stdin/stdout
# (they call getpeername() on it) as inetd would give it.  No account is
# created: every login attempt uses names that do not exist on the host.

ALL_NAMES+=(rsh telnet vnc ssh-tls sslh)

# inetd_srv NAME PORT PROG ARGS...: PROG once per connection to SRV_IP:PORT.
# The daemons look the client's address up and give up when it has no name
# (there is no DNS here): they see a private /etc/hosts naming both ends,
# bind-mounted in the mount namespace `ip netns exec` makes for them alone.
# Like inetd, the socket is their standard error as well (they report a
# refusal there): a small wrapper makes fd 2 a copy of fd 1.
inetd_srv() {
    local name=$1 port=$2 wrap=$TMP/$1.inetd
    shift 2
    need socat socat
    printf '#!/bin/sh\nexec 2>&1\nexec%s\n' "$(printf ' %q' "$@")" >"$wrap"
    chmod 0755 "$wrap"
    [[ -e "$TMP/hosts" ]] || printf '127.0.0.1 localhost\n%s vm.example.test vm\n%s srv.example.test srv\n' \
        "$VM_IP" "$SRV_IP" >"$TMP/hosts"
    start_srv "$name" sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
        sh "$TMP/hosts" socat -lf "$TMP/$name.socat.log" \
        "TCP-LISTEN:$port,bind=$SRV_IP,reuseaddr,fork" "EXEC:$wrap,nofork"
    wait_listen "$name" t "$port"
}

# in.rexecd: Debian has it only in netkit's rsh-server, which conflicts with
# rsh-redone-server (in.rshd/in.rlogind); EGD_REXECD names the binary, or
# the package is fetched with apt-get download and unpacked into $TMP.
find_rexecd() {
    local deb
    if [[ -n "${EGD_REXECD:-}" ]]; then
        [[ -x "$EGD_REXECD" ]] || die "EGD_REXECD=$EGD_REXECD is not executable"
        echo "$EGD_REXECD"
        return
    fi
    if [[ -x /usr/sbin/in.rexecd ]]; then
        echo /usr/sbin/in.rexecd
        return
    fi
    mkdir -p "$TMP/rexecd"
    (cd "$TMP/rexecd" && timeout 60 apt-get download rsh-server) \
        >"$TMP/rexecd/apt.log" 2>&1 || {
        cat "$TMP/rexecd/apt.log" >&2
        die "no in.rexecd: set EGD_REXECD to netkit's in.rexecd (rsh-server package)"
    }
    deb=$(ls "$TMP"/rexecd/rsh-server_*.deb)
    dpkg-deb -x "$deb" "$TMP/rexecd/root"
    echo "$TMP/rexecd/root/usr/sbin/in.rexecd"
}

# Debian packages no rexec client (the old "rexec" package is gone), so
# this one follows rexecd(8): it listens for the server's stderr connection,
# sends "PORT\0USER\0PASSWORD\0COMMAND\0" and prints the status byte and
# the server's message.  (Debian's PAM-built in.rexecd answers a failed
# login with nothing at all: it connects the stderr channel back, waits for
# PAM's failure delay and closes both connections.)
write_rexec_client() { # FILE
    cat >"$1" <<'EOF'
import socket, sys
host, user, pw, cmd = sys.argv[1:5]
err = socket.socket()
err.bind(("", 0))
err.listen(1)
s = socket.create_connection((host, 512), timeout=10)
port = err.getsockname()[1]
s.sendall(b"%d\0%s\0%s\0%s\0" % (port, user.encode(), pw.encode(), cmd.encode()))
err.settimeout(10)
try:
    e, _ = err.accept()
except socket.timeout:
    e = None
out = b""
try:
    while b := s.recv(4096):
        out += b
except ConnectionError as x:
    print("connection:", x)
print("stderr channel:", "connected" if e else "none")
print("status=%d message=%r" % (out[0], out[1:]) if out else "no answer")
EOF
}

run_rsh() {
    local d=$TMP/rsh rexecd
    mkdir -p "$d"
    need in.rshd rsh-redone-server
    need rsh-redone-rsh rsh-redone-client
    rexecd=$(find_rexecd)
    write_rexec_client "$d/rexec.py"
    inetd_srv rshd 514 /usr/sbin/in.rshd
    inetd_srv rlogind 513 /usr/sbin/in.rlogind
    inetd_srv rexecd 512 "$rexecd"

    cap_start "$d/cap.pcap"
    # rsh: from a reserved port (root), as local user root to remote user
    # egd-rsh-nouser, which has no account and so no .rhosts: refused.
    run_vm 20 rsh-redone-rsh -4 -l egd-rsh-nouser "$SRV_IP" 'echo hello; uname -s' \
        >"$d/rsh.out" 2>&1 || true
    # rlogin needs a terminal: script gives it a pty.
    # rlogind falls back to a password prompt: a wrong password.
    run_vm 20 bash -c "(sleep 1.5; printf 'wrong-password\r'; sleep 5) |
        script -qec 'rsh-redone-rlogin -4 -l egd-rlogin-nouser $SRV_IP' /dev/null" \
        >"$d/rlogin.out" 2>&1 || true
    # (in.rexecd takes user names of at most 15 characters.)
    run_vm 20 python3 "$d/rexec.py" "$SRV_IP" egdrexec \
        wrong-password 'echo hello' >"$d/rexec.out" 2>&1 || true
    cap_stop
    cat "$d/rsh.out" "$d/rlogin.out" "$d/rexec.out" >&2
    check_capture "$d/cap.pcap" "egd-rsh-nouser"
    grep -aqF "egd-rlogin-nouser" "$d/cap.pcap" || die "no rlogin request in the capture"
    grep -aqF "wrong-password" "$d/cap.pcap" || die "no rexec request in the capture"
    grep -q 'stderr channel: connected' "$d/rexec.out" ||
        die "in.rexecd did not connect the stderr channel back"
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and src port 514 and tcp[13] & 8 != 0") >= 1)) ||
        die "in.rshd sent nothing"
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and src port 513 and tcp[13] & 8 != 0") >= 1)) ||
        die "in.rlogind sent nothing"
    CAPTURE=$d/cap.pcap
}

# telnet_login PORT: user name, then a wrong password, then wait for
# login(1)'s "Login incorrect".
telnet_login() {
    run_vm 20 bash -c "(sleep 2; printf 'egd-telnet-nouser\r\n'; sleep 1.5;
        printf 'wrong-password\r\n'; sleep 5) | telnet -4 $SRV_IP $1"
}

run_telnet() {
    local d=$TMP/telnet
    mkdir -p "$d"
    need /usr/sbin/telnetd inetutils-telnetd
    need telnet inetutils-telnet
    inetd_srv telnetd-2323 2323 /usr/sbin/telnetd
    inetd_srv telnetd-23 23 /usr/sbin/telnetd

    cap_start "$d/cap.pcap"
    telnet_login 2323 >"$d/telnet-2323.out" 2>&1 || true
    telnet_login 23 >"$d/telnet-23.out" 2>&1 || true
    cap_stop
    cat "$d/telnet-2323.out" >&2
    grep -aq 'login:' "$d/telnet-2323.out" || die "no login prompt on 2323"
    grep -aq 'login:' "$d/telnet-23.out" || die "no login prompt on 23"
    check_capture "$d/cap.pcap" "egd-telnet-nouser"
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 2323") == 1)) ||
        die "no telnet connection to 2323"
    CAPTURE=$d/cap.pcap
}

# A display number for each X server that no one else should be using.
x_display() { echo $((100 + ($$ + $1) % 400)); }

run_vnc() {
    local d=$TMP/vnc sdisp vdisp vm_x
    mkdir -p "$d"
    need Xtigervnc tigervnc-standalone-server
    need xtigervncviewer tigervnc-viewer
    need Xvfb xvfb
    need x11vnc x11vnc
    sdisp=$(x_display 0)
    vdisp=$(x_display 1)
    # x11vnc -storepasswd writes the standard VNC password file format.
    x11vnc -storepasswd "egd-$(openssl rand -hex 3)" "$d/passwd" >/dev/null 2>&1
    start_srv xvnc Xtigervnc ":$sdisp" -geometry 320x240 -depth 16 \
        -rfbport 5999 -interface "$SRV_IP" -nolisten tcp \
        -SecurityTypes VncAuth -PasswordFile "$d/passwd" \
        -AlwaysShared -desktop egd-desktop
    wait_listen xvnc t 5999
    start_vm xvfb Xvfb ":$vdisp" -screen 0 640x480x24 -nolisten tcp
    vm_x=$!
    wait_until 10 test -e "/tmp/.X11-unix/X$vdisp" || die "Xvfb did not start"

    cap_start "$d/cap.pcap"
    # The viewer stays connected until killed: 5 s of session.
    run_vm 5 env DISPLAY=":$vdisp" xtigervncviewer -passwd "$d/passwd" \
        -Shared -ViewOnly "$SRV_IP::5999" >"$d/viewer.log" 2>&1 || true
    cap_stop
    stop_pid "$vm_x"
    cat "$d/viewer.log" >&2
    grep -q 'CConn:       Using pixel format\|Using pixel format' "$d/viewer.log" ||
        die "the viewer did not get a session"
    check_capture "$d/cap.pcap" "RFB 003.008"
    grep -aqF "egd-desktop" "$d/cap.pcap" || die "no ServerInit in the capture"
    CAPTURE=$d/cap.pcap
}

# sshd on the server's loopback only, key login for root (as run_ssh).
loopback_sshd() { key_sshd "$1" 127.0.0.1; } # DIR

ssh_args() { # DIR
    echo -F /dev/null -i "$1/client_key" -o IdentitiesOnly=yes \
        -o IdentityAgent=none -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
        -o ConnectTimeout=5 -o LogLevel=ERROR
}

make_cert() { # DIR CN
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -nodes -days 30 -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
        -keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

run_ssh_tls() {
    local d=$TMP/ssh-tls out vm_stunnel
    mkdir -p "$d"
    need stunnel4 stunnel4
    loopback_sshd "$d"
    make_cert "$d" gw.example.test
    cat >"$d/stunnel.conf" <<EOF
foreground = yes
pid =
output = $d/stunnel.out
[ssh]
accept = $SRV_IP:443
connect = 127.0.0.1:22
cert = $d/cert.pem
key = $d/key.pem
EOF
    cat >"$d/stunnel-vm.conf" <<EOF
foreground = yes
pid =
output = $d/stunnel-vm.out
[ssh]
client = yes
accept = 127.0.0.1:2222
connect = $SRV_IP:443
sni = gw.example.test
EOF
    start_srv stunnel stunnel4 "$d/stunnel.conf"
    wait_listen stunnel t 443

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    run_vm 20 ssh $(ssh_args "$d") \
        -o "ProxyCommand=openssl s_client -quiet -verify_quiet -connect $SRV_IP:443 -servername gw.example.test" \
        root@gw.example.test 'echo hello; uname -s' >"$d/out" 2>"$d/ssh.err" || {
        cat "$d/ssh.err" "$TMP/sshd.log" "$d/stunnel.out" >&2
        die "ssh through stunnel failed"
    }
    # The same through stunnel in client mode on the VM (a local port).
    start_vm stunnel-vm stunnel4 "$d/stunnel-vm.conf"
    vm_stunnel=$!
    wait_until 10 ip netns exec "$VM_NS" bash -c '[[ -n "$(ss -Hlnt "sport = :2222")" ]]' || {
        cat "$d/stunnel-vm.out" >&2
        die "stunnel client did not start"
    }
    # shellcheck disable=SC2046
    run_vm 20 ssh $(ssh_args "$d") -p 2222 root@127.0.0.1 \
        'echo hello; uname -s' >"$d/out2" 2>"$d/ssh2.err" || {
        cat "$d/ssh2.err" "$d/stunnel-vm.out" "$d/stunnel.out" >&2
        die "ssh through the stunnel client failed"
    }
    stop_pid "$vm_stunnel"
    cap_stop
    out=$(<"$d/out")
    [[ "$out" == $'hello\nLinux' ]] || die "unexpected ssh output: $out"
    out=$(<"$d/out2")
    [[ "$out" == $'hello\nLinux' ]] || die "unexpected ssh output (stunnel client): $out"
    check_capture "$d/cap.pcap" "gw.example.test"
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 443") == 2)) ||
        die "$d/cap.pcap: want two TLS connections"
    ! grep -aqF "SSH-2.0-" "$d/cap.pcap" || die "ssh banner in clear in the capture"
    CAPTURE=$d/cap.pcap
}

run_sslh() {
    local d=$TMP/sslh out
    mkdir -p "$d/www"
    need sslh sslh
    loopback_sshd "$d"
    make_cert "$d" www.example.test
    head -c 4096 /dev/urandom >"$d/www/index.bin"
    start_srv s_server env -C "$d/www" openssl s_server -quiet \
        -accept 127.0.0.1:8443 -cert "$d/cert.pem" -key "$d/key.pem" -WWW
    wait_until 10 in_srv bash -c '[[ -n "$(ss -Hlnt "sport = :8443")" ]]' ||
        die "s_server did not start"
    start_srv sslh sslh -f -n -p "$SRV_IP:443" --ssh 127.0.0.1:22 \
        --tls 127.0.0.1:8443
    wait_listen sslh t 443

    cap_start "$d/cap.pcap"
    # shellcheck disable=SC2046
    run_vm 20 ssh $(ssh_args "$d") -p 443 "root@$SRV_IP" \
        'echo hello; uname -s' >"$d/out" 2>"$d/ssh.err" || {
        cat "$d/ssh.err" "$TMP/sslh.log" "$TMP/sshd.log" >&2
        die "ssh through sslh failed"
    }
    run_vm 20 curl -q -sS --fail -k --connect-timeout 5 \
        --resolve "www.example.test:443:$SRV_IP" -o "$d/got.bin" \
        https://www.example.test/index.bin || {
        cat "$TMP/sslh.log" "$TMP/s_server.log" >&2
        die "https through sslh failed"
    }
    cap_stop
    out=$(<"$d/out")
    [[ "$out" == $'hello\nLinux' ]] || die "unexpected ssh output: $out"
    cmp -s "$d/www/index.bin" "$d/got.bin" || die "https download differs"
    check_capture "$d/cap.pcap" "SSH-2.0-"
    grep -aqF "www.example.test" "$d/cap.pcap" || die "no TLS ClientHello"
    CAPTURE=$d/cap.pcap
}
