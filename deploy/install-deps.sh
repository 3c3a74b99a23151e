#!/bin/sh
# Install the Debian 12 packages egressd needs to build, test and record its
# test captures. Idempotent: packages already present are left alone, and
# apt-get runs only when something is missing.
#
#   deploy/install-deps.sh            build + test + packaging dependencies
#   deploy/install-deps.sh --build    only what `make` and `make demo` need
#   deploy/install-deps.sh --pkg      what `make` and `make deb` need
set -eu

# python3 formats the demo's output and the tests' JSON checks.
build="pkg-config gcc make libc6-dev libpcap-dev libndpi-dev libmaxminddb-dev
       libjansson-dev libinih-dev check python3 libcurl4-openssl-dev
       libssl-dev libnftables-dev libcsv-dev libmicrohttpd-dev libsystemd-dev
       libnats-dev"
# tshark brings editcap and mergecap; the rest are the real programs the
# end-to-end tests record (tests/e2e/record-captures.sh).
# libmaxmind-db-writer-perl builds the small GeoIP databases of the tests;
# python3-jsonschema checks events against their schemas; prometheus brings
# promtool, which checks /metrics. chromium, chromium-driver and
# python3-selenium load the forensic report headless (make check-report).
# linux-perf gives `make bench` the share of time spent inside libndpi.
test="libndpi-bin tshark tcpdump iproute2 util-linux openssh-server
      openssh-client microsocks curl aria2 opentracker openssl procps
      tinyproxy openvpn iodine iputils-ping libmaxmind-db-writer-perl
      hping3 nmap hydra iperf3 nftables tcpreplay python3-yaml systemd
      logrotate valgrind clang libclang-rt-14-dev python3-jsonschema
      prometheus chromium chromium-driver python3-selenium linux-perf
      nats-server"
# `make deb` (dpkg-buildpackage, dh) and `make check-pkg`: lintian on the
# package, man-db, groff and mandoc check the manual pages.
pkg="dpkg-dev debhelper fakeroot lintian man-db groff-base mandoc"

case "${1:-}" in
--build) want="$build" ;;
--pkg) want="$build $pkg" ;;
"") want="$build $test $pkg" ;;
*) echo "usage: $0 [--build | --pkg]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo $0)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
