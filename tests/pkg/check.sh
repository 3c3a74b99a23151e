#!/bin/sh
# tests/pkg/check.sh: the installed layout and the Debian package.
#  1. `make install PREFIX=/usr DESTDIR=scratch` installs every file where
#     the README and the manual pages say, and the installed program's
#     --help names the installed signature directory.
#  2. The manual pages render without a warning from man (groff) and,
#     when installed, mandoc -Tlint.
#  3. `make deb` builds a package that lintian finds no error in (its
#     warnings are printed); unpacked into a scratch root, the egressd
#     there checks the packaged configuration and signatures (-t).
# Prints one "ok - ..." or "not ok - ..." line per check and a summary;
# exits 1 when a check failed. Needs the packaging tools
# (deploy/install-deps.sh --pkg; `make deb` installs them).
#
#   tests/pkg/check.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/egressd-pkg.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

total=0 failed=0
ok() { total=$((total + 1)); echo "ok - $*"; }
notok() { total=$((total + 1)); failed=$((failed + 1)); echo "not ok - $*"; }
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds; its output is
# shown (indented) when it fails.
check() {
	desc=$1; shift
	if "$@" >"$tmp/out" 2>&1; then
		ok "$desc"
	else
		notok "$desc"
		sed 's/^/#   /' "$tmp/out"
	fi
}

# Every file a system install (PREFIX=/usr) and the package hold, beside
# the package's own /usr/share/doc.
sigs=$(cd signatures && ls ./*.rules | sed 's|^\./|usr/share/egressd/signatures/|')
expected="etc/egressd/egressd.conf
etc/logrotate.d/egressd
lib/systemd/system/egressd.service
usr/sbin/egressd
$sigs
usr/share/egressd/egressd-events.schema.json
usr/share/man/man5/egressd.conf.5
usr/share/man/man5/egressd.rules.5
usr/share/man/man8/egressd.8"

# files ROOT [gz]: the regular files under ROOT, relative, sorted,
# without the package's documentation; with gz, the manual pages' .gz
# taken off.
files() {
	strip='^$'
	[ "${2:-}" != gz ] || strip='\.gz$'
	(cd "$1" && find . -type f ! -path './usr/share/doc/*' | sed \
	    -e 's|^\./||' -e "/usr\/share\/man\//s/$strip//" | LC_ALL=C sort)
}
same_files() {	# ROOT [gz]
	printf '%s\n' "$expected" | LC_ALL=C sort >"$tmp/want"
	files "$@" >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got"
}

# --- 1. make install --------------------------------------------------------

inst=$tmp/inst
check "make install PREFIX=/usr DESTDIR=scratch" \
    make --no-print-directory install PREFIX=/usr DESTDIR="$inst"
check "make install: the files expected, none other" same_files "$inst"
check "make install: the installed egressd's --help names /usr/share/egressd/signatures" \
    sh -c "'$inst/usr/sbin/egressd' --help | grep -F -- \
    '--signature-dir PATH' | grep -F '[/usr/share/egressd/signatures]'"
check "make install: egressd.conf(5) lists the installed signature directory as the default" \
    grep -Fq '\fB/usr/share/egressd/signatures\fR' "$inst/usr/share/man/man5/egressd.conf.5"
check "make install: the unit runs /usr/sbin/egressd -c /etc/egressd/egressd.conf" \
    grep -qx 'ExecStart=/usr/sbin/egressd -c /etc/egressd/egressd.conf' \
    "$inst/lib/systemd/system/egressd.service"
# A second install over the first keeps an edited configuration.
echo "# edited" >>"$inst/etc/egressd/egressd.conf"
check "make install: an existing egressd.conf is kept" sh -c \
    "make --no-print-directory install PREFIX=/usr DESTDIR='$inst' &&
     tail -n 1 '$inst/etc/egressd/egressd.conf' | grep -qx '# edited'"
# The default prefix: /usr/local, its etc and its unit directory.
check "make install (PREFIX /usr/local): sbin, etc, share and the unit's paths" sh -c \
    "make --no-print-directory install DESTDIR='$tmp/local' &&
     [ -x '$tmp/local/usr/local/sbin/egressd' ] &&
     [ -f '$tmp/local/usr/local/etc/egressd/egressd.conf' ] &&
     [ -f '$tmp/local/usr/local/share/egressd/signatures/p2p.rules' ] &&
     grep -qx 'ExecStart=/usr/local/sbin/egressd -c /usr/local/etc/egressd/egressd.conf' \
         '$tmp/local/usr/local/lib/systemd/system/egressd.service' &&
     '$tmp/local/usr/local/sbin/egressd' --help |
         grep -qF '[/usr/local/share/egressd/signatures]'"

# --- 2. manual pages ----------------------------------------------------------

# man and groff print every warning on stderr; the page itself is dropped.
man_warnings() {	# PAGE
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l \
	    -Tutf8 -Z "$1" 2>&1 >/dev/null
	groff -man -ww -z "$1" 2>&1
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -Tlint -Wwarning "$1" 2>&1
	fi
}
linters=
command -v mandoc >/dev/null 2>&1 && linters=", mandoc -Tlint"
for page in usr/share/man/man8/egressd.8 usr/share/man/man5/egressd.conf.5 \
    usr/share/man/man5/egressd.rules.5; do
	man_warnings "$inst/$page" >"$tmp/warn"
	if [ -s "$tmp/warn" ]; then
		notok "$(basename "$page"): renders without warnings"
		sed 's/^/#   /' "$tmp/warn"
	else
		ok "$(basename "$page"): renders without warnings (man, groff$linters)"
	fi
done
# The generated OPTIONS hold one entry per setting of --help (its
# settings table: the command line's own flags above it are no settings).
check "egressd.conf(5): one OPTIONS entry per setting --help lists" sh -c "
    n_help=\$('$inst/usr/sbin/egressd' --help | sed -n '/^Settings/,\$p' |
        grep -c '^  --[a-z]')
    n_man=\$(grep -c '^\.TP' build/man/options.roff)
    [ \"\$n_man\" -eq \"\$n_help\" ] || { echo \"--help \$n_help, man \$n_man\"; exit 1; }"

# --- 3. the Debian package ----------------------------------------------------

start=$(date +%s)
if make --no-print-directory deb >"$tmp/deb.log" 2>&1; then
	ok "make deb ($(($(date +%s) - start))s)"
else
	notok "make deb"
	tail -n 30 "$tmp/deb.log" | sed 's/^/#   /'
fi
deb=$(ls build/deb/egressd_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ]; then
	# lintian as root says so on stderr; tags go to stdout.
	lintian --pedantic "$deb" >"$tmp/lintian" 2>/dev/null
	if grep -q '^E:' "$tmp/lintian"; then
		notok "lintian: no error"
	else
		ok "lintian: no error ($(grep -c '^W:' "$tmp/lintian") warnings)"
	fi
	sed 's/^/#   /' "$tmp/lintian"

	root=$tmp/root
	check "dpkg -x: the package unpacks" dpkg -x "$deb" "$root"
	check "the package: the files expected (man pages compressed), none other" \
	    same_files "$root" gz
	check "the package: /etc/egressd/egressd.conf and the logrotate file are conffiles" \
	    sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./conffiles |
	    sort | tr '\n' ' ' | grep -qx '/etc/egressd/egressd.conf /etc/logrotate.d/egressd '"
	check "the package: postinst creates the egressd system user (adduser), Depends names adduser" \
	    sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./postinst |
	    grep -q 'adduser --system --group' &&
	    dpkg-deb -f '$deb' Depends | grep -qw adduser"
	check "the package: dh_installsystemd's scripts handle egressd.service" \
	    sh -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xOf - ./postinst |
	    grep -q \"deb-systemd-helper update-state 'egressd.service'\""
	# The compiled-in default is /usr/share/egressd/signatures, and the
	# example configuration names it: the unpacked copy is named instead.
	check "the package: egressd -t -c etc/egressd/egressd.conf (signatures of the scratch root)" \
	    sh -c "'$root/usr/sbin/egressd' -t -c '$root/etc/egressd/egressd.conf' \
	    --signature-dir '$root/usr/share/egressd/signatures' \
	    --eve '$tmp/eve.json' | tee '$tmp/t.out' &&
	    grep -Eq '^egressd: [1-9][0-9]* signatures loaded' '$tmp/t.out'"
	check "the package: its egressd's --help names /usr/share/egressd/signatures" \
	    sh -c "'$root/usr/sbin/egressd' --help |
	    grep -qF '[/usr/share/egressd/signatures]'"
	for page in usr/share/man/man8/egressd.8.gz \
	    usr/share/man/man5/egressd.conf.5.gz usr/share/man/man5/egressd.rules.5.gz; do
		# Named as the page is: mandoc takes the section from the
		# name (a bare "page" under a temporary directory whose name
		# has a dot and a digit once looked like section 6 to it).
		unz="$tmp/unz/$(basename "$page" .gz)"
		mkdir -p "$tmp/unz"
		gzip -dc "$root/$page" >"$unz"
		man_warnings "$unz" >"$tmp/warn"
		if [ -s "$tmp/warn" ]; then
			notok "the package: $(basename "$page") renders without warnings"
			sed 's/^/#   /' "$tmp/warn"
		else
			ok "the package: $(basename "$page") renders without warnings"
		fi
	done
else
	notok "make deb: no build/deb/egressd_*.deb"
fi

echo "# $total checks, $failed failed"
[ "$failed" -eq 0 ]
