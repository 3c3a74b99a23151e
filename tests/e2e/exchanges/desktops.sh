# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034,SC2015  # single-quoted scripts run in the namespaces; CAPTURE is read by the caller; A && B || die is meant
# exchanges/desktops.sh -- remote desktops and remote X displays, sourced by
# record-captures.sh (which defines the helpers used here).
#
#   rdp      xrdp (Debian xrdp, with xrdp-sesman) on port 3390 with a TLS
#            certificate made at record time, FreeRDP's xfreerdp
#            (freerdp2-x11) in the VM under its own Xvfb (xvfb) logging in
#            as a user that does not exist: X.224 with the mstshash cookie,
#            TLS 1.3, MCS/GCC, the failed autologon and xrdp's login
#            screen; then the same against a second xrdp on 443 that offers
#            TLS 1.2 only (its certificate in clear).  xorgxrdp is the
#            session type xrdp.ini names (never started: the login fails).
#   x11      a remote X display: Xvfb listening on TCP 6005 in the server
#            namespace with an MIT-MAGIC-COOKIE-1 (xauth), xdpyinfo
#            (x11-utils) refused without it and run with it, and xeyes
#            (x11-apps) for 2 s, in the VM.
#   x11vnc   x11vnc (x11vnc) sharing an Xvfb display (with xclock, x11-apps)
#            on port 5905 without a password, TigerVNC's viewer (tigervnc-viewer) in the VM under
#            its own Xvfb for ~4 s.
#   xdmcp    xdm (xdm) answering XDMCP on udp/177 in the server namespace,
#            Xvfb -query from the VM: Query, Willing, Request, Accept,
#            Manage, then xdm's X connections back to the VM's display
#            (TCP 6000 + display) drawing the greeter (without its logo).

ALL_NAMES+=(rdp x11 x11vnc xdmcp)

# A display number for each X server that no one else should be using
# (remote.sh uses 100 + ($$ + 0..1) % 400).
desk_display() { echo $((500 + ($$ + $1) % 400)); }

# vm_xvfb NAME DISPLAY: an Xvfb for a GUI client in the VM namespace; its
# pid is left in VM_X.
vm_xvfb() {
    start_vm "$1" Xvfb ":$2" -screen 0 800x600x24 -nolisten tcp
    VM_X=$!
    wait_until 10 test -e "/tmp/.X11-unix/X$2" || die "$1: Xvfb :$2 did not start"
}

# xrdp_ini FILE PORT TLS-VERSIONS LOG: an xrdp.ini (Debian's, trimmed) that
# listens on SRV_IP:PORT with the certificate of run_rdp, offers TLS
# (security_layer=negotiate: TLS when the client asks for it, which
# xfreerdp does) in the versions given, and logs to LOG.
xrdp_ini() {
    local d=${1%/*}
    cat >"$1" <<EOF
[Globals]
ini_version=1
fork=true
port=tcp://$SRV_IP:$2
use_vsock=false
tcp_nodelay=true
tcp_keepalive=true
security_layer=negotiate
crypt_level=high
certificate=$d/cert.pem
key_file=$d/key.pem
ssl_protocols=$3
autorun=
allow_channels=true
allow_multimon=true
bitmap_cache=true
bitmap_compression=true
bulk_compression=true
max_bpp=32
new_cursors=true
use_fastpath=both
[Logging]
LogFile=$4
LogLevel=DEBUG
EnableSyslog=false
[Channels]
rdpdr=true
rdpsnd=true
drdynvc=true
cliprdr=true
rail=true
xrdpvr=true
tcutils=true
[Xorg]
name=Xorg
lib=libxup.so
username=ask
password=ask
ip=127.0.0.1
port=-1
code=20
EOF
}

# xfreerdp_login DISPLAY PORT LOG: one xfreerdp connection to SRV_IP:PORT
# with a user that does not exist.  The client sends the credentials in its
# Client Info PDU (autologon); xrdp passes them to sesman, PAM refuses
# (after its ~2 s failure delay) and xrdp draws its login window with the
# error, which the client shows for the rest of its 7 s.
# +multitransport asks for the UDP transport as well: xrdp 0.9 never sends
# the Initiate Multitransport Request, so no UDP flow follows.
xfreerdp_login() {
    run_vm 7 env DISPLAY=":$1" xfreerdp /v:"$SRV_IP:$2" /cert:ignore \
        /u:nouser /p:wrong /size:640x480 /bpp:16 -clipboard +multitransport \
        /log-level:INFO >"$3" 2>&1 || true
}

run_rdp() {
    local d=$TMP/rdp vdisp n
    mkdir -p "$d"
    need xrdp xrdp
    need xrdp-sesman xrdp
    need xfreerdp freerdp2-x11
    need Xvfb xvfb
    [[ -e /usr/lib/xorg/modules/drivers/xrdpdev_drv.so ]] ||
        die "missing xorgxrdp (apt-get install xorgxrdp)"
    vdisp=$(desk_display 0)
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
        -subj /CN=desk.example.test -keyout "$d/key.pem" \
        -out "$d/cert.pem" 2>/dev/null
    # Two xrdp servers: Debian's TLS settings (1.2 and 1.3: the client gets
    # 1.3 and the certificate is encrypted) on 3390, TLS 1.2 only (the
    # certificate in clear) on 443.
    xrdp_ini "$d/xrdp-3390.ini" 3390 "TLSv1.2, TLSv1.3" "$d/xrdp-3390.log"
    xrdp_ini "$d/xrdp-443.ini" 443 "TLSv1.2" "$d/xrdp-443.log"
    sed -e "s|^LogFile=.*|LogFile=$d/sesman.log|" \
        -e 's|^EnableSyslog=.*|EnableSyslog=false|' \
        /etc/xrdp/sesman.ini >"$d/sesman.ini"
    start_srv sesman xrdp-sesman -n -c "$d/sesman.ini"
    wait_until 10 in_srv bash -c '[[ -n "$(ss -Hlnt "sport = :3350")" ]]' || {
        cat "$TMP/sesman.log" "$d/sesman.log" >&2
        die "xrdp-sesman did not start"
    }
    start_srv xrdp-3390 xrdp -n -c "$d/xrdp-3390.ini"
    wait_listen xrdp-3390 t 3390
    start_srv xrdp-443 xrdp -n -c "$d/xrdp-443.ini"
    wait_listen xrdp-443 t 443
    vm_xvfb xvfb-rdp "$vdisp"

    cap_start "$d/cap.pcap"
    xfreerdp_login "$vdisp" 3390 "$d/xfreerdp-3390.log"
    xfreerdp_login "$vdisp" 443 "$d/xfreerdp-443.log"
    cap_stop
    stop_pid "$VM_X"
    for n in 3390 443; do
        grep -q "TLS connection established from $VM_IP" "$d/xrdp-$n.log" &&
            grep -q 'login failed for user nouser' "$d/xrdp-$n.log" || {
            cat "$d/xfreerdp-$n.log" "$d/xrdp-$n.log" "$d/sesman.log" >&2
            die "rdp: no TLS session and failed login on port $n"
        }
    done
    grep -q 'AUTHFAIL: user=nouser' "$d/sesman.log" || die "rdp: sesman saw no login"
    check_capture "$d/cap.pcap" "mstshash=nouser"
    grep -aqF desk.example.test "$d/cap.pcap" || die "rdp: no TLS 1.2 certificate in the capture"
    n=$(count_packets "$d/cap.pcap" "src host $SRV_IP and tcp src port 3390 and tcp[13] & 8 != 0")
    ((n >= 20)) || die "rdp: only $n data packets from xrdp on 3390"
    n=$(count_packets "$d/cap.pcap" "udp")
    ((n == 0)) || die "rdp: $n UDP packets (xrdp 0.9 has no UDP transport)"
    CAPTURE=$d/cap.pcap
}

# A remote X display: Xvfb on display 5 listening on TCP (port 6005) in the
# server namespace, with an MIT-MAGIC-COOKIE-1 made at record time.  From
# the VM: xdpyinfo without the cookie (refused: "Authorization required"),
# xdpyinfo with it (the whole setup reply and the extension queries), then
# xeyes drawing for 2 s.
run_x11() {
    local d=$TMP/x11 cookie rc=0
    mkdir -p "$d"
    need Xvfb xvfb
    need xdpyinfo x11-utils
    need xeyes x11-apps
    need xauth xauth
    # The display number is the port (6000 + 5): display 5 must be free
    # (its lock file and socket are in the host's /tmp).
    [[ ! -e /tmp/.X5-lock && ! -e /tmp/.X11-unix/X5 ]] ||
        die "x11: X display :5 is in use on this host"
    cookie=$(openssl rand -hex 16)
    # (xauth notes that the files do not exist yet.)
    xauth -q -f "$d/server.auth" add :5 MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null
    xauth -q -f "$d/client.auth" add "$SRV_IP:5" MIT-MAGIC-COOKIE-1 "$cookie" 2>/dev/null
    start_srv xvfb-x11 Xvfb :5 -listen tcp -auth "$d/server.auth" \
        -screen 0 640x480x24
    wait_listen xvfb-x11 t 6005

    cap_start "$d/cap.pcap"
    run_vm 10 env XAUTHORITY=/dev/null xdpyinfo -display "$SRV_IP:5" \
        >"$d/denied.out" 2>&1 || rc=$?
    run_vm 10 env XAUTHORITY="$d/client.auth" xdpyinfo -display "$SRV_IP:5" \
        >"$d/xdpyinfo.out" 2>&1 || {
        cat "$d/xdpyinfo.out" >&2
        die "x11: xdpyinfo failed"
    }
    run_vm 2 env XAUTHORITY="$d/client.auth" xeyes -display "$SRV_IP:5" \
        -geometry 200x150+10+10 >"$d/xeyes.out" 2>&1 || true
    cap_stop
    ((rc != 0)) && grep -q 'Authorization required' "$d/denied.out" || {
        cat "$d/denied.out" >&2
        die "x11: the connection without the cookie was not refused"
    }
    grep -q "^name of display: *$SRV_IP:5" "$d/xdpyinfo.out" &&
        grep -q '^vendor string: *The X.Org Foundation' "$d/xdpyinfo.out" ||
        die "x11: unexpected xdpyinfo output"
    check_capture "$d/cap.pcap" "MIT-MAGIC-COOKIE-1"
    grep -aqF "The X.Org Foundation" "$d/cap.pcap" || die "x11: no setup reply in the capture"
    (($(count_packets "$d/cap.pcap" "tcp[tcpflags] == tcp-syn and dst port 6005") == 3)) ||
        die "x11: want three X connections"
    CAPTURE=$d/cap.pcap
}

# x11vnc sharing an Xvfb display (with xclock on it) on port 5905, no
# password (security type None), TigerVNC's viewer in the VM for ~4 s.
run_x11vnc() {
    local d=$TMP/x11vnc sdisp vdisp
    mkdir -p "$d"
    need Xvfb xvfb
    need x11vnc x11vnc
    need xclock x11-apps
    need xtigervncviewer tigervnc-viewer
    sdisp=$(desk_display 1)
    vdisp=$(desk_display 2)
    start_srv xvfb-srv Xvfb ":$sdisp" -screen 0 640x480x24 -nolisten tcp
    wait_until 10 test -e "/tmp/.X11-unix/X$sdisp" || die "x11vnc: Xvfb did not start"
    start_srv xclock env DISPLAY=":$sdisp" xclock -update 1 -geometry 160x160+20+20
    start_srv x11vnc x11vnc -display ":$sdisp" -rfbport 5905 -listen "$SRV_IP" \
        -nopw -forever -shared -noipv6 -desktop egd-x11vnc -o "$d/x11vnc.log"
    wait_listen x11vnc t 5905
    vm_xvfb xvfb-vm "$vdisp"

    cap_start "$d/cap.pcap"
    run_vm 4 env DISPLAY=":$vdisp" xtigervncviewer -Shared -ViewOnly \
        "$SRV_IP::5905" >"$d/viewer.log" 2>&1 || true
    cap_stop
    stop_pid "$VM_X"
    cat "$d/viewer.log" >&2
    grep -q 'Using pixel format' "$d/viewer.log" || die "x11vnc: the viewer did not get a session"
    grep -q "Got connection from client $VM_IP" "$d/x11vnc.log" || {
        cat "$d/x11vnc.log" >&2
        die "x11vnc: no client connection in its log"
    }
    check_capture "$d/cap.pcap" "RFB 003.008"
    grep -aqF "egd-x11vnc" "$d/cap.pcap" || die "x11vnc: no ServerInit in the capture"
    CAPTURE=$d/cap.pcap
}

# XDMCP: xdm (Debian xdm) in the server namespace answers XDMCP on udp/177
# for any host; in the VM, Xvfb -query asks it for a login: Query, Willing,
# Request, Accept, Manage, then xdm connects back to the VM's X server over
# TCP (6000 + display) and draws its greeter; the X server sends KeepAlive.
run_xdmcp() {
    local d=$TMP/xdmcp vdisp
    mkdir -p "$d/auth"
    need xdm xdm
    need Xvfb xvfb
    vdisp=$(desk_display 3)
    : >"$d/Xservers"
    printf '*\n' >"$d/Xaccess"
    # Debian's greeter resources without the logo (a 240 KB PutImage).
    grep -v logoFileName /etc/X11/xdm/Xresources >"$d/Xresources"
    cat >"$d/xdm-config" <<EOF
DisplayManager.authDir:	$d/auth
DisplayManager.errorLogFile:	$d/xdm.log
DisplayManager.pidFile:	$d/xdm.pid
DisplayManager.keyFile:	$d/xdm-keys
DisplayManager.servers:	$d/Xservers
DisplayManager.accessFile:	$d/Xaccess
DisplayManager*resources:	$d/Xresources
DisplayManager*authorize:	true
DisplayManager*setup:	/bin/true
DisplayManager*startup:	/bin/true
DisplayManager*reset:	/bin/true
DisplayManager*session:	/bin/true
DisplayManager.requestPort:	177
EOF
    start_srv xdm xdm -config "$d/xdm-config" -nodaemon
    wait_listen xdm u 177

    cap_start "$d/cap.pcap"
    run_vm 8 Xvfb ":$vdisp" -query "$SRV_IP" -once -screen 0 640x480x24 \
        >"$d/xvfb.log" 2>&1 || true
    cap_stop
    grep -q "Starting X server on $VM_IP:$vdisp" "$d/xdm.log" || {
        cat "$d/xvfb.log" "$d/xdm.log" >&2
        die "xdmcp: xdm did not manage the VM's display"
    }
    check_capture "$d/cap.pcap" ""
    # XDMCP version 1 headers: Query 2, Willing 5, Request 7, Accept 8,
    # Manage 10.
    (($(count_packets "$d/cap.pcap" "src host $VM_IP and udp dst port 177 and udp[8:4] = 0x00010002") >= 1)) &&
        (($(count_packets "$d/cap.pcap" "src host $SRV_IP and udp src port 177 and udp[8:4] = 0x00010005") >= 1)) &&
        (($(count_packets "$d/cap.pcap" "src host $SRV_IP and udp src port 177 and udp[8:4] = 0x00010008") >= 1)) &&
        (($(count_packets "$d/cap.pcap" "src host $VM_IP and udp dst port 177 and udp[8:4] = 0x0001000a") >= 1)) ||
        die "xdmcp: no Query/Willing/Accept/Manage in the capture"
    (($(count_packets "$d/cap.pcap" "src host $SRV_IP and tcp[tcpflags] == tcp-syn and dst port $((6000 + vdisp))") >= 1)) ||
        die "xdmcp: xdm did not connect to the VM's X server"
    CAPTURE=$d/cap.pcap
}
