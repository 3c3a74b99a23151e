#!/bin/sh
# tests/deploy/check.sh EGRESSD: static checks of the files in deploy/
# (systemd unit, example config, Kubernetes manifest, Containerfile,
# logrotate) against the built binary EGRESSD. Prints one "ok - ..." or
# "not ok - ..." line per check (skips are "ok - ... # SKIP why") and a
# summary; exits 1 when a check failed, 2 on a usage error.
#
# Nothing here needs the network or a running systemd; the container image
# is not built (no registry access in the tests): its packages are looked up
# in apt-cache only.
# Literal $ and backquotes in single quotes are meant (patterns, not code).
# shellcheck disable=SC2016,SC1003
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 EGRESSD   (the built egressd binary)" >&2
	exit 2
fi
EGRESSD=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEPLOY=$ROOT/deploy
SIGS=$ROOT/signatures
UNIT=$DEPLOY/egressd.service
CONF=$DEPLOY/egressd.conf
YAML=$DEPLOY/kubernetes/egressd.yaml
CFILE=$DEPLOY/Containerfile
LROT=$DEPLOY/logrotate.d/egressd

TMP=$(mktemp -d "${TMPDIR:-/tmp}/egressd-deploy.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

total=0 failed=0 skipped=0
ok() { total=$((total + 1)); echo "ok - $*"; }
notok() { total=$((total + 1)); failed=$((failed + 1)); echo "not ok - $*"; }
skip() { total=$((total + 1)); skipped=$((skipped + 1)); echo "ok - $1 # SKIP $2"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output is shown
# (indented) when it fails.
check() {
	desc=$1; shift
	if "$@" >"$TMP/out" 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/#   /' "$TMP/out"
	fi
}
have() { command -v "$1" >/dev/null 2>&1; }
# Active (uncommented) lines of a unit or config file.
active() { grep -Ev '^[[:space:]]*([#;]|$)' "$1"; }

for f in "$UNIT" "$CONF" "$YAML" "$CFILE" "$LROT"; do
	[ -f "$f" ] || { notok "exists: ${f#"$ROOT"/}"; }
done

# --- systemd unit ----------------------------------------------------------

# verify wants ExecStart to exist: a copy runs the built binary instead.
unit_verify() {
	mkdir -p "$TMP/unit" || return 1
	sed "s|^ExecStart=/usr/sbin/egressd |ExecStart=$EGRESSD |" "$UNIT" \
	    >"$TMP/unit/egressd.service" || return 1
	grep -q "^ExecStart=$EGRESSD " "$TMP/unit/egressd.service" || {
		echo "no ExecStart=/usr/sbin/egressd line to point at $EGRESSD"
		return 1
	}
	# Documentation= names the manual pages, which are installed, not
	# here: make check-pkg checks them.
	out=$(systemd-analyze verify --man=no "$TMP/unit/egressd.service" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	# Any message at all is a warning to fix.
	[ $rc -eq 0 ] && [ -z "$out" ]
}
if have systemd-analyze; then
	check "unit: systemd-analyze verify (ExecStart=$EGRESSD) is silent" \
	    unit_verify
else
	skip "unit: systemd-analyze verify" "systemd-analyze is not installed"
fi

unit_has() { active "$UNIT" | grep -Eqx "$1"; }
for want in 'Type=notify' 'NotifyAccess=main' 'WatchdogSec=[0-9]+s' \
    'ExecStart=/usr/sbin/egressd -c /etc/egressd/egressd\.conf' \
    'ExecReload=/bin/kill -HUP \$MAINPID' 'Restart=on-failure' \
    'User=egressd' 'Group=egressd' 'StateDirectory=egressd' \
    'LogsDirectory=egressd' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
    'MemoryDenyWriteExecute=yes' 'SystemCallArchitectures=native' \
    'UMask=0077' 'LimitNOFILE=[0-9]+' \
    'AmbientCapabilities=CAP_NET_RAW' 'CapabilityBoundingSet=CAP_NET_RAW'; do
	check "unit: $(echo "$want" | tr -d '\\')" unit_has "$want"
done
# No other capability line may widen the set.
caps_only_raw() {
	active "$UNIT" | grep -E '^(Ambient|CapabilityBounding)' |
	    grep -Ev '^[A-Za-z]+=CAP_NET_RAW$'
	[ $? -eq 1 ]
}
check "unit: CAP_NET_RAW is the only capability (CAP_NET_ADMIN only in a comment)" \
    caps_only_raw
check "unit: CAP_NET_ADMIN for nft sets is documented" \
    grep -Eq '^#.*CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN' "$UNIT"
families() {
	line=$(active "$UNIT" | grep '^RestrictAddressFamilies=') || return 1
	for fam in AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK; do
		echo "$line" | grep -qw "$fam" || { echo "no $fam"; return 1; }
	done
	[ "$(echo "${line#*=}" | wc -w)" -eq 5 ]
}
check "unit: RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK" \
    families
check "unit: SystemCallFilter is set" unit_has 'SystemCallFilter=.+'

# The exec hook's child calls these between fork() and execve(): the
# unit's allow list (groups expanded by systemd-analyze) must hold them.
hook_syscalls() {
	systemd-analyze syscall-filter >"$TMP/groups" 2>/dev/null
	active "$UNIT" | sed -n 's/^SystemCallFilter=//p' >"$TMP/filter"
	python3 - "$TMP/groups" "$TMP/filter" <<'EOF'
import sys
groups, cur = {}, None
for line in open(sys.argv[1]):
    w = line.split('#')[0].split()
    if line.startswith('@'):
        cur = groups.setdefault(w[0], set())
    elif cur is not None and w:
        cur.add(w[0])
def expand(name, seen=()):
    if not name.startswith('@'):
        return {name}
    out = set()
    for m in groups.get(name, ()):
        if m not in seen:
            out |= expand(m, seen + (name,))
    return out
allowed = set()
for line in open(sys.argv[2]):
    words = line.split()
    if words and words[0].startswith('~'):
        for w in [words[0][1:]] + words[1:]:
            allowed -= expand(w)
    else:
        for w in words:
            allowed |= expand(w)
need = "fork clone clone3 prctl capset setsid execve close_range " \
       "pidfd_open dup2 sigaction rt_sigaction rt_sigprocmask".split()
missing = [s for s in need if s not in allowed and s != 'sigaction']
if missing:
    print("not allowed:", " ".join(missing))
    sys.exit(1)
EOF
}
if have systemd-analyze && have python3; then
	check "unit: SystemCallFilter allows the exec hook's calls (prctl capset setsid execve close_range pidfd_open ...)" \
	    hook_syscalls
else
	skip "unit: SystemCallFilter allows the exec hook's calls" \
	    "systemd-analyze or python3 missing"
fi
check "unit: says why \`user =\` is not needed" \
    grep -Eq '^#.*`user =`' "$UNIT"

# --- example config ----------------------------------------------------------

# The signatures and the EVE file's directory are where a package puts
# them on a real host (-t checks that the EVE file can be opened): here
# they stand in the tree and in $TMP.
check "egressd.conf: egressd -t -c deploy/egressd.conf --signature-dir signatures" \
    "$EGRESSD" -t -c "$CONF" --signature-dir "$SIGS" --eve "$TMP/eve.json"

every_option() {
	"$EGRESSD" --help >"$TMP/help" 2>&1 || return 1
	# The settings' table only: the flags above it (--report,
	# --progress) are the command line's own, not settings.
	keys=$(sed -n '/^Settings/,$ s/^  --\([a-z0-9-]*\).*/\1/p' "$TMP/help" |
	    tr - _)
	[ -n "$keys" ] || { echo "no --options in --help"; return 1; }
	rc=0
	for k in $keys; do
		grep -Eq "^(# )?$k =" "$CONF" || { echo "missing: $k"; rc=1; }
	done
	return $rc
}
check "egressd.conf: every option of --help is there (as '# key =' or 'key =')" \
    every_option
# Every commented default is valid too: uncomment them all (but those
# naming files that exist only on a real host, and the NATS cluster, which
# -t would reach) and check.
defaults_valid() {
	sed -E 's/^# ([a-z_0-9]+ = .*)/\1/' "$CONF" |
	    grep -Ev '^(user|rule_files|geoip_country_db|geoip_asn_db|inventory|webhook|webhook_secret_file|webhook_ca_file|spool|exec|nft_set|nft_set6|nats|nats_creds) =' \
	    >"$TMP/defaults.conf"
	"$EGRESSD" -t -c "$TMP/defaults.conf" --signature-dir "$SIGS" \
	    --eve "$TMP/eve.json"
}
check "egressd.conf: the commented values pass egressd -t too" defaults_valid
for want in 'interface = br-vms' 'vm_networks = 10\.128\.0\.0/16' \
    'metrics = 127\.0\.0\.1:9104' 'eve = /var/log/egressd/eve\.json' \
    'signature_dir = /usr/share/egressd/signatures'; do
	check "egressd.conf: $(echo "$want" | tr -d '\\') is set" \
	    grep -Eqx "$want" "$CONF"
done
check "egressd.conf: webhook lines are commented" \
    sh -c "! grep -Eq '^(webhook|webhook_secret_file|spool) *=' '$CONF'"

# --- Kubernetes ------------------------------------------------------------

yaml_facts() {
	python3 - "$YAML" "$TMP/configmap.conf" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
kinds = {d.get('kind'): d for d in docs}
want(set(kinds) == {'ConfigMap', 'DaemonSet'}, 'documents: %s' % sorted(kinds))
for d in docs:
    want('namespace' not in d.get('metadata', {}), d['kind'] + ' sets a namespace')
cm, ds = kinds.get('ConfigMap', {}), kinds.get('DaemonSet', {})
conf = cm.get('data', {}).get('egressd.conf', '')
want(conf, 'ConfigMap has no egressd.conf')
open(sys.argv[2], 'w').write(conf)
spec = ds.get('spec', {})
want(spec.get('updateStrategy', {}).get('type') == 'RollingUpdate', 'updateStrategy')
pod = spec.get('template', {}).get('spec', {})
want(pod.get('hostNetwork') is True, 'hostNetwork is not true')
want(pod.get('dnsPolicy') == 'ClusterFirstWithHostNet', 'dnsPolicy')
want({'operator': 'Exists'} in pod.get('tolerations', []), 'no toleration of every taint')
cs = [c for c in pod.get('containers', []) if c.get('name') == 'egressd']
want(len(cs) == 1, 'no container egressd')
c = cs[0] if cs else {}
want(c.get('image') == 'egressd:latest', 'image')
want(c.get('args') == ['-c', '/etc/egressd/egressd.conf'], 'args')
sc = c.get('securityContext', {})
caps = sc.get('capabilities', {})
want(caps.get('drop') == ['ALL'], 'capabilities drop is not [ALL]')
add = caps.get('add', [])
# NET_RAW for the capture; SETUID, SETGID and SETPCAP (bounding set) only
# to switch to `user`; NET_ADMIN only for nftables sets.
switch = {'SETUID', 'SETGID', 'SETPCAP'}
want('NET_RAW' in add, 'NET_RAW not added')
want(set(add) <= {'NET_RAW'} | switch, 'capabilities add: %s' % add)
want(not (switch & set(add)) or switch <= set(add),
     'SETUID, SETGID, SETPCAP: all or none')
want(sc.get('runAsUser') == 0, 'runAsUser is not 0')
want(sc.get('allowPrivilegeEscalation') is False, 'allowPrivilegeEscalation')
want(sc.get('readOnlyRootFilesystem') is True, 'readOnlyRootFilesystem')
settings = {}
for line in conf.splitlines():
    if '=' in line and not line.lstrip().startswith(('#', ';')):
        k, v = line.split('=', 1)
        settings[k.strip()] = v.strip()
if 'SETUID' in add:
    want(settings.get('user'), 'SETUID added but no user to switch to')
else:
    want(not settings.get('user'), 'user set but SETUID/SETGID/SETPCAP not added')
port = settings.get('metrics', '').rsplit(':', 1)[-1]
for probe in ('livenessProbe', 'readinessProbe'):
    g = c.get(probe, {}).get('httpGet', {})
    want(g.get('path') == '/healthz', probe + ' path')
    want(str(g.get('port')) == port, probe + ' port is not metrics port ' + port)
    want(g.get('host') == '127.0.0.1', probe + ' host')
res = c.get('resources', {})
want(res.get('requests') and res.get('limits'), 'resources')
vols = {v['name']: v for v in pod.get('volumes', [])}
mounts = {m['mountPath']: m['name'] for m in c.get('volumeMounts', [])}
for path in ('/var/lib/egressd', '/var/log/egressd'):
    v = vols.get(mounts.get(path), {})
    want(v.get('hostPath', {}).get('path') == path, path + ' is not a hostPath')
want(vols.get(mounts.get('/etc/egressd'), {}).get('configMap', {}).get('name')
     == cm.get('metadata', {}).get('name'), '/etc/egressd is not the ConfigMap')
for e in errs:
    print(e)
sys.exit(1 if errs else 0)
EOF
}
# The fleet correlator's Deployment: `egressd fleet -c` its ConfigMap, as
# a non-root user with no capability; the config's settings are options
# egressd knows (egressd fleet has no -t: it would need the cluster).
fleet_facts() {
	python3 - "$DEPLOY/kubernetes/fleet.yaml" "$EGRESSD" <<'EOF'
import subprocess, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
cm = next(d for d in docs if d['kind'] == 'ConfigMap')
dep = next(d for d in docs if d['kind'] == 'Deployment')
pod = dep['spec']['template']['spec']
c = pod['containers'][0]
errs = []
def want(ok, what):
    if not ok:
        errs.append(what)
want(c['args'][:1] == ['fleet'] and '-c' in c['args'], 'args run egressd fleet -c')
want(pod['securityContext'].get('runAsNonRoot') is True, 'runAsNonRoot')
want(c['securityContext']['capabilities'].get('drop') == ['ALL'] and
     not c['securityContext']['capabilities'].get('add'), 'no capability')
conf = cm['data']['fleet.conf']
names = [l.split('=', 1)[0].strip() for l in conf.splitlines()
         if l.strip() and not l.lstrip().startswith('#')]
help_ = subprocess.run([sys.argv[2], '--help'], capture_output=True, text=True).stdout
for n in names:
    want('--' + n.replace('_', '-') in help_, 'unknown option ' + n)
want('nats' in names, 'nats is set')
mounts = {m['mountPath'] for m in c['volumeMounts']}
want(any(a.startswith('/etc/egressd-fleet') for a in c['args'] if '/' in a) and
     '/etc/egressd-fleet' in mounts, 'the config is the mounted ConfigMap')
for e in errs:
    print(e)
sys.exit(1 if errs else 0)
EOF
}
if have python3 && python3 -c 'import yaml' 2>/dev/null; then
	check "kubernetes: parses; hostNetwork, drop ALL, add NET_RAW (+SETUID SETGID SETPCAP for user), /healthz probes on the metrics port, hostPath state" \
	    yaml_facts
	if [ -s "$TMP/configmap.conf" ]; then
		# `user = egressd` names the image's user (uid 10001); where
		# this machine has no such user, nobody stands in for it.
		u=$(sed -n 's/^user *= *//p' "$TMP/configmap.conf")
		how=
		if [ -n "$u" ] && ! id "$u" >/dev/null 2>&1; then
			sed -i "s/^user *=.*/user = nobody/" "$TMP/configmap.conf"
			how=" (user $u -> nobody: no $u here)"
		fi
		check "kubernetes: the ConfigMap's egressd.conf passes egressd -t$how" \
		    "$EGRESSD" -t -c "$TMP/configmap.conf" --signature-dir "$SIGS" \
		    --eve "$TMP/eve.json"
	else
		notok "kubernetes: the ConfigMap's egressd.conf passes egressd -t (not extracted)"
	fi
	check "kubernetes: fleet.yaml parses; the Deployment runs egressd fleet unprivileged with its ConfigMap, whose settings egressd knows" \
	    fleet_facts
else
	skip "kubernetes: YAML checks" "python3-yaml is not installed"
fi

# --- logrotate ------------------------------------------------------------

for want in 'daily' 'rotate 14' 'compress' 'delaycompress' 'missingok' \
    'notifempty' 'create 0600 egressd egressd' 'sharedscripts'; do
	check "logrotate: $want" grep -Eqx "[[:space:]]*$want" "$LROT"
done
check "logrotate: /var/log/egressd/*.json, SIGHUP to egressd.service" sh -c \
    "grep -q '^/var/log/egressd/\*\.json {' '$LROT' &&
     grep -Eq 'systemctl kill .*-s HUP egressd\.service .*\|\| true' '$LROT'"
# A copy for this machine: the logs in $TMP, the current user instead of
# egressd (logrotate resolves it), a file touched instead of the SIGHUP.
logrotate_run() {
	mkdir -p "$TMP/log" || return 1
	sed -e "s|/var/log/egressd/|$TMP/log/|" \
	    -e "s|create 0600 egressd egressd|create 0600 $(id -un) $(id -gn)|" \
	    -e "s|systemctl kill .*|touch $TMP/hup|" "$LROT" >"$TMP/logrotate.conf"
	chmod 0644 "$TMP/logrotate.conf"
	out=$(logrotate -d -s "$TMP/lr.state" "$TMP/logrotate.conf" 2>&1) ||
	    { echo "$out"; return 1; }
	if echo "$out" | grep -q '^error'; then echo "$out"; return 1; fi
	echo '{"event_type":"stats"}' >"$TMP/log/eve.json"
	logrotate -f -s "$TMP/lr.state" "$TMP/logrotate.conf" || return 1
	[ -s "$TMP/log/eve.json.1" ] || { echo "eve.json.1 missing"; ls -l "$TMP/log"; return 1; }
	if [ ! -f "$TMP/log/eve.json" ] || [ -s "$TMP/log/eve.json" ]; then
		echo "eve.json not recreated empty"; return 1
	fi
	[ "$(stat -c %a "$TMP/log/eve.json")" = 600 ] || { echo "eve.json not 0600"; return 1; }
	[ -f "$TMP/hup" ] || { echo "postrotate did not run"; return 1; }
}
if have logrotate; then
	check "logrotate: -d is clean, and a forced rotation moves eve.json, recreates it 0600 and runs postrotate" \
	    logrotate_run
else
	skip "logrotate: -d and a forced rotation" "logrotate is not installed"
fi

# --- Containerfile --------------------------------------------------------

# The packages each stage installs: the words after --no-install-recommends
# up to the next "&&", in the RUN lines joined.
stage_packages() {	# $1: 1 (build) or 2 (runtime)
	sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$CFILE" |
	    awk -v want="$1" '/^FROM /{stage++} stage==want && /apt-get install/ {
		on = 0
		for (i = 1; i <= NF; i++) {
			if ($i == "&&") on = 0
			else if (on && $i !~ /^-/) print $i
			if ($i == "--no-install-recommends") on = 1
		}
	    }'
}
check "Containerfile: two stages from debian:12-slim, ENTRYPOINT /usr/sbin/egressd" sh -c \
    "grep -qx 'FROM debian:12-slim AS build' '$CFILE' &&
     [ \$(grep -c '^FROM debian:12-slim' '$CFILE') -eq 2 ] &&
     grep -q '^ENTRYPOINT \[\"/usr/sbin/egressd\"\]' '$CFILE' &&
     grep -q 'make WERROR=0 SIGDIR=/usr/share/egressd/signatures' '$CFILE' &&
     grep -qi 'not built' '$CFILE'"
pkgs_exist() {
	build=$(stage_packages 1) run=$(stage_packages 2)
	if [ -z "$build" ] || [ -z "$run" ]; then
		echo "no packages found"; return 1
	fi
	rc=0
	for p in $build $run; do
		apt-cache show "$p" >/dev/null 2>&1 || { echo "no package $p"; rc=1; }
	done
	return $rc
}
# Each library the binary links to comes from a package of the runtime stage.
runtime_libs() {
	run=" $(stage_packages 2 | tr '\n' ' ') "
	rc=0
	for lib in $(readelf -d "$EGRESSD" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		path=$(ldd "$EGRESSD" | awk -v l="$lib" '$1 == l { print $3 }')
		[ -n "$path" ] || { echo "$lib: not found by ldd"; rc=1; continue; }
		# dpkg knows a file under the name its package gave it: /lib or
		# /usr/lib (merged /usr), the symlink or its target.
		real=$(readlink -f "$path") pkg=
		for p in "$path" "$real" "${path#/usr}" "${real#/usr}" \
		    "/usr${path#/usr}" "/usr${real#/usr}"; do
			pkg=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1)
			[ -n "$pkg" ] && break
		done
		case "$pkg" in
		libc6) ;;
		"") echo "$lib: no package owns $path"; rc=1 ;;
		*) case "$run" in *" $pkg "*) ;; *) echo "$lib: $pkg not in the runtime stage"; rc=1 ;; esac ;;
		esac
	done
	return $rc
}
if have apt-cache; then
	check "Containerfile: every package named exists (apt-cache show)" pkgs_exist
else
	skip "Containerfile: packages exist" "apt-cache is not installed"
fi
if have readelf && have dpkg; then
	check "Containerfile: the runtime stage installs every library $(basename "$EGRESSD") links to" \
	    runtime_libs
else
	skip "Containerfile: runtime libraries" "readelf or dpkg missing"
fi

echo "# $total checks, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
