# egressd: the one entry point.
#
#   make            build ./egressd (installs missing build packages first)
#   make demo       build, replay the bundled demo capture, print the verdicts
#   make check      build and run every test (lint, unit, golden replay, faults,
#                   end-to-end)
#   make lint       banned functions; option defaults and the reload list
#                   against the README and the example config
#   make asan       unit, golden, CLI and delivery tests under ASan + UBSan
#   make valgrind   every recorded capture under valgrind's memcheck
#   make fuzz       libFuzzer on the packet path and every parser
#   make soak       stream the fixtures for SOAK_MINUTES, watch the RSS
#   make bench      egressd against ndpiReader on a mixed, a 1M-flow and a
#                   real-traffic capture (BENCH_PCAPS=DIR: the real captures;
#                   default ../shared/corpus/ndpi-dev/pcap, else the fixtures)
#   make flowcost   measure the memory one flow costs
#   make sigbench   measure loading and matching 200k signatures
#   make man        the manual pages, into build/man
#   make install    PREFIX=/usr/local, DESTDIR= (GNU conventions; see below)
#   make deb        a Debian package, into build/deb
#   make clean
#
# User CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS are appended to the project's own
# flags, never replace them. WERROR=0 drops -Werror (for packagers).

PKGS     := libpcap libndpi libmaxminddb jansson inih libcurl libcrypto \
	    libnftables libmicrohttpd libsystemd libnats
BUILD    ?= build
SAN      ?=
WERROR   ?= 1
EGRESSD  ?= ./egressd

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

# Library flags come from pkg-config, once the packages are there: the
# included file is remade (installing what is missing) before anything else.
-include $(BUILD)/libs.mk

# The shipped signatures: ./egressd (and build/egressd, which the tests
# run) finds them in the source tree. The installed program is linked
# from the same objects but for the option table, which is compiled once
# more with the installed directory as signature_dir's default (see
# Installation below).
SIGDIR   ?= $(CURDIR)/signatures

# Installation, after the GNU conventions. PREFIX=/usr is a system
# install (a package): the configuration goes to /etc and the unit to
# /lib/systemd/system, where Debian 12 keeps packaged units.
PREFIX   ?= /usr/local
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
else
SYSCONFDIR ?= $(PREFIX)/etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
endif
SBINDIR  ?= $(PREFIX)/sbin
DATADIR  ?= $(PREFIX)/share
MANDIR   ?= $(DATADIR)/man
INSTALL_SIGDIR = $(DATADIR)/egressd/signatures
VERSION := $(shell sed -n 's/.*EGRESSD_VERSION "\(.*\)"/\1/p' include/pipeline.h)
ALL_CPPFLAGS = -Iinclude -D_GNU_SOURCE -DEGRESSD_SIGDIR='"$(SIGDIR)"' \
	$(LIB_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 -O2 -g -pthread $(WARN) $(SAN) -MMD -MP $(CFLAGS)
ALL_LDFLAGS  = $(SAN) $(LDFLAGS)
ALL_LDLIBS   = $(LIB_LIBS) $(LDLIBS)
# A folder's internal headers sit beside its .c files and are included with
# quotes from there; only test programs (unit tests, sigbench) reach into
# the folders, so only their compile rules add them to the quote path.
TEST_CPPFLAGS = -iquote capture -iquote classify -iquote common -iquote enforce

MODULES := $(sort $(wildcard common/*.c capture/*.c classify/*.c enforce/*.c))
MOD_OBJS := $(MODULES:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/egressd.o $(BUILD)/sidecar.o $(BUILD)/pipeline.o \
	    $(BUILD)/fleet.o
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(BUILD)/tests/unit-tests
# The installed program's objects: options.o is built again in
# $(BUILD)/inst, with the installed signature directory.
INST_OBJS := $(filter-out $(BUILD)/common/options.o,$(MOD_OBJS)) \
	$(BUILD)/inst/options.o
MAN_PAGES := $(BUILD)/man/egressd.8 $(BUILD)/man/egressd.conf.5 \
	$(BUILD)/man/egressd.rules.5

.PHONY: all deps test-deps demo check lint check-faults check-unit check-golden check-cli \
	check-evidence check-report check-tools check-bound check-hostile check-fuzz check-delivery check-live check-deploy check-e2e golden-update asan valgrind fuzz soak bench flowcost sigbench clean \
	man install deb check-pkg FORCE

all: egressd

$(BUILD)/libs.mk: Makefile deploy/install-deps.sh
	@{ pkg-config --exists $(PKGS) && [ -f /usr/include/csv.h ]; } 2>/dev/null || \
	    deploy/install-deps.sh --build
	@mkdir -p $(@D)
	@echo "LIB_CFLAGS := $$(pkg-config --cflags $(PKGS) | sed 's/-I/-isystem /g')" > $@.tmp
	@echo "LIB_LIBS := $$(pkg-config --libs $(PKGS)) -lcsv -pthread" >> $@.tmp
	@echo "CHECK_CFLAGS := $$(pkg-config --cflags check | sed 's/-I/-isystem /g')" >> $@.tmp
	@echo "CHECK_LIBS := $$(pkg-config --libs check)" >> $@.tmp
	@mv $@.tmp $@

deps:
	@deploy/install-deps.sh --build

test-deps:
	@deploy/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(TEST_CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/egressd: $(MAIN_OBJ) $(MOD_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

egressd: $(BUILD)/egressd
	@if [ "$(BUILD)" = build ]; then cp $< $@; fi

$(UNIT_BIN): $(UNIT_OBJS) $(MOD_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(ALL_LDLIBS)

demo: egressd
	@tests/demo.sh ./egressd

check: test-deps
	@$(MAKE) --no-print-directory lint check-unit check-golden check-cli \
	    check-evidence check-report check-tools check-bound check-hostile check-fuzz check-delivery \
	    check-fleet check-faults check-live check-deploy check-e2e check-pkg

# Banned functions; option defaults in the table, README and example config;
# the README's reload list against the table.
lint: $(BUILD)/egressd
	tests/lint.sh $(BUILD)/egressd

check-unit: $(UNIT_BIN)
	CK_DEFAULT_TIMEOUT=60 $(UNIT_BIN)

check-golden: $(BUILD)/egressd
	tests/golden/run.sh $(BUILD)/egressd

check-cli: $(BUILD)/egressd
	tests/cli.sh $(BUILD)/egressd

# --evidence-dir: each verdict's pcap against the verdict (tshark).
check-evidence: $(BUILD)/egressd
	tests/evidence/run.sh $(BUILD)/egressd

# The forensic report of golden replays, loaded in headless Chromium.
check-report: $(BUILD)/egressd
	tests/report/run.sh $(BUILD)/egressd

check-tools: $(BUILD)/egressd
	tools/test-tor-relays-to-rules.sh $(BUILD)/egressd

# One million one-packet SYN flows: memory within the bound, flood reported;
# one 2 GB flow: every byte counted in flat memory.
check-bound: $(BUILD)/egressd
	tests/synflood-1m.py $(BUILD)/egressd
	tests/bound-2gb.py $(BUILD)/egressd

# The fixtures streamed into egressd for SOAK_MINUTES; RSS must stay flat.
SOAK_MINUTES ?= 5
soak: $(BUILD)/egressd
	tests/soak.py $(BUILD)/egressd $(SOAK_MINUTES)

# Hostile input: broken captures, rule files, configs and inventories.
check-hostile: $(BUILD)/egressd
	tests/hostile/run.sh $(BUILD)/egressd

# The fuzz targets build, and every input kept in tests/fuzz/regress runs
# clean; `make fuzz` fuzzes each target for FUZZ_SECONDS (default 60).
FUZZ_SECONDS ?= 60
check-fuzz:
	tests/fuzz/regress.sh

fuzz:
	@deploy/install-deps.sh
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# Webhook, spool, exec hook, EVE file, inventory; nftables in namespaces.
check-delivery: $(BUILD)/egressd
	tests/delivery/run.sh $(BUILD)/egressd
	tests/delivery/nft-enforce.sh $(BUILD)/egressd

# NATS JetStream: the sink, the summaries and egressd fleet, against a
# three-node nats-server cluster on loopback, one node killed on the way.
check-fleet: $(BUILD)/egressd
	tests/fleet/run.sh $(BUILD)/egressd

# One script per fault a fault-injection pass found (tests/faults/run.sh).
check-faults: $(BUILD)/egressd
	tests/faults/run.sh $(BUILD)/egressd

# Live capture on a veth in a namespace: tcpreplay of every capture, user,
# capabilities, metrics, webhook, SIGHUP, SIGTERM; then the service
# manager's notifications (READY, STATUS, WATCHDOG, STOPPING).
check-live: $(BUILD)/egressd
	tests/live/run.sh $(BUILD)/egressd
	tests/live/notify.sh $(BUILD)/egressd

# The systemd unit, the example config, the Kubernetes and logrotate files.
check-deploy: $(BUILD)/egressd
	tests/deploy/check.sh $(BUILD)/egressd

check-e2e: $(BUILD)/egressd
	tests/e2e/run.sh $(BUILD)/egressd

golden-update: $(BUILD)/egressd
	tests/golden/run.sh --update $(BUILD)/egressd

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    check-unit check-golden check-cli check-delivery check-faults

# Loading 100k host and 100k CIDR rules, and the cost of a lookup.
$(BUILD)/sigbench: tests/sigbench.c $(MOD_OBJS)
	$(CC) $(ALL_CPPFLAGS) $(TEST_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

sigbench: $(BUILD)/sigbench
	$(BUILD)/sigbench

# Every recorded capture, and a replay with every sink, under memcheck.
valgrind: $(BUILD)/egressd
	@deploy/install-deps.sh
	tests/valgrind/run.sh $(BUILD)/egressd

# egressd and Debian's ndpiReader on the same captures, in one run; the
# inputs are generated once into build/bench. BENCH_PCAPS names the
# directory of real captures (read at run time, never copied here).
BENCH_PCAPS ?=

$(BUILD)/bench/pcapread: tests/bench/pcapread.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(ALL_LDLIBS)

$(BUILD)/bench/ndpiinit: tests/bench/ndpiinit.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lndpi

bench: $(BUILD)/egressd $(BUILD)/bench/pcapread $(BUILD)/bench/ndpiinit
	@deploy/install-deps.sh
	BENCH_PCAPS='$(BENCH_PCAPS)' tests/bench/bench.py $(BUILD)/egressd \
	    $(BUILD)/bench/pcapread $(BUILD)/bench $(ROUNDS)
	tests/flowcost.py $(BUILD)/egressd
	tests/bench/live.py $(BUILD)/egressd $(BUILD)/bench/real.pcap 1

# Bytes of memory one flow costs, classified and still in detection.
flowcost: $(BUILD)/egressd
	tests/flowcost.py $(BUILD)/egressd

# --- Installation ----------------------------------------------------------

# The installed paths, rewritten only when they change: what is built from
# them (the installed option table, the manual pages) is remade when
# PREFIX or one of the directories differs from the last build, and only
# then.
$(BUILD)/inst/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(SBINDIR) $(SYSCONFDIR) $(INSTALL_SIGDIR) $(UNITDIR) $(VERSION)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/inst/options.o: SIGDIR = $(INSTALL_SIGDIR)
$(BUILD)/inst/options.o: common/options.c $(BUILD)/inst/paths
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/inst/egressd: $(MAIN_OBJ) $(INST_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

# egressd.conf(5)'s OPTIONS come from the option table itself.
$(BUILD)/tools/gen-man-options: tools/gen-man-options.c $(INST_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -iquote common $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/man/options.roff: $(BUILD)/tools/gen-man-options
	@mkdir -p $(@D)
	$< > $@.tmp && mv $@.tmp $@

# The pages name the installed paths; egressd.conf(5) takes the generated
# OPTIONS in place of its @OPTIONS@ line.
$(BUILD)/man/%: man/%.in $(BUILD)/inst/paths $(BUILD)/man/options.roff
	@mkdir -p $(@D)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@SIGDIR@|$(INSTALL_SIGDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' \
	    -e '/^@OPTIONS@$$/{r $(BUILD)/man/options.roff' -e 'd;}' $< > $@.tmp
	mv $@.tmp $@

man: $(MAN_PAGES)

# An existing configuration file is kept: `make install` over a running
# system must not undo the administrator's settings.
install: $(BUILD)/inst/egressd $(MAN_PAGES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(INSTALL_SIGDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/egressd $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BUILD)/inst/egressd $(DESTDIR)$(SBINDIR)/egressd
	install -m 0644 signatures/*.rules $(DESTDIR)$(INSTALL_SIGDIR)
	install -m 0644 schema/egressd-events.schema.json \
	    $(DESTDIR)$(DATADIR)/egressd
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/egressd/egressd.conf ]; then \
	    echo "kept $(DESTDIR)$(SYSCONFDIR)/egressd/egressd.conf"; \
	else \
	    echo "install -m 0644 deploy/egressd.conf $(DESTDIR)$(SYSCONFDIR)/egressd/egressd.conf"; \
	    install -m 0644 deploy/egressd.conf $(DESTDIR)$(SYSCONFDIR)/egressd/egressd.conf; \
	fi
	install -m 0644 deploy/logrotate.d/* $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	sed -e 's|/usr/sbin/egressd|$(SBINDIR)/egressd|g' \
	    -e 's|/etc/egressd/egressd.conf|$(SYSCONFDIR)/egressd/egressd.conf|g' \
	    deploy/egressd.service > $(DESTDIR)$(UNITDIR)/egressd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/egressd.service
	install -m 0644 $(BUILD)/man/egressd.8 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/egressd.conf.5 $(BUILD)/man/egressd.rules.5 \
	    $(DESTDIR)$(MANDIR)/man5

# dpkg-buildpackage writes its results next to the source tree, so it
# builds a copy in $(BUILD)/deb-src (without build/, .git and the tests,
# which the package does not run); the .deb lands in $(BUILD)/deb.
deb:
	@deploy/install-deps.sh --pkg
	rm -rf $(BUILD)/deb-src $(BUILD)/deb
	mkdir -p $(BUILD)/deb-src/egressd-$(VERSION) $(BUILD)/deb
	tar -cf - --exclude=./$(BUILD) --exclude=./build --exclude=./egressd \
	    --exclude=./.git --exclude=./tests . | \
	    tar -xf - -C $(BUILD)/deb-src/egressd-$(VERSION)
	cd $(BUILD)/deb-src/egressd-$(VERSION) && dpkg-buildpackage -b -us -uc
	mv $(BUILD)/deb-src/*.deb $(BUILD)/deb-src/*.buildinfo \
	    $(BUILD)/deb-src/*.changes $(BUILD)/deb/
	@ls -l $(BUILD)/deb/*.deb

# make install into a scratch root, the manual pages, the .deb (lintian,
# unpacked and egressd -t run from it).
check-pkg:
	tests/pkg/check.sh

FORCE:

clean:
	rm -rf build egressd

-include $(MOD_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_OBJS:.o=.d) \
	$(BUILD)/inst/options.d
