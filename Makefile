# Service discovery over AMQP: build, test, run, bench.
#
# Every program folder holds main.c plus modules only it uses; those modules
# also go into a static library so unit tests can link them without main().
# BUILD can be overridden so that parallel builds do not share object files.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS     := librabbitmq libmicrohttpd libcjson yajl libcurl lmdb libssl libcrypto zlib
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS   ?= -O2 -g
CPPFLAGS += -std=c11 -D_GNU_SOURCE -MMD -MP -I. -Icommon/include -Isubscriber/include -Ipublisher/include -Ipublisher
LDLIBS   += -lpthread -lm
# Each binary records only the shared libraries it calls, so a program does
# not map (and keep resident) libraries that only another one needs.
LDFLAGS  ?= -Wl,-O1 -Wl,--as-needed

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Program folders: each builds $(BUILD)/bin/<name> from main.c and a
# lib<name>.a from its other sources. Order matters for static linking:
# a library comes before the ones it uses.
PROGRAMS := accountservice registry publisher aggregator quotes-standin
SRCDIR_accountservice := accountservice
SRCDIR_registry       := registry
SRCDIR_publisher      := publisher
SRCDIR_aggregator     := aggregator
SRCDIR_quotes-standin := tests/quotes

COMMON_SRC := $(wildcard common/*.c)
COMMON_LIB := $(BUILD)/libcommon.a
# The subscriber library (subscriber/, public header under
# subscriber/include/discovery/): the registry is built on it, and the
# accountservice follows the quotes-service with it (QUOTES_DISCOVERY).
SUB_SRC := $(wildcard subscriber/*.c)
SUB_LIB := $(BUILD)/libsubscriber.a

lib_of  = $(BUILD)/lib$(1).a
srcs_of = $(filter-out $(SRCDIR_$(1))/main.c,$(wildcard $(SRCDIR_$(1))/*.c))
objs    = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROGRAM_LIBS := $(foreach p,$(PROGRAMS),$(call lib_of,$(p)))
ALL_LIBS     := $(PROGRAM_LIBS) $(SUB_LIB) $(COMMON_LIB)
BINS         := $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(p))

# What each program links besides its own folder's library: the libraries
# it calls (a library before the ones it uses) and the packages they need,
# nothing more (the registry takes no libcurl nor LMDB, the publisher no
# subscriber nor libmicrohttpd). Tests link everything.
USES_registry       := $(SUB_LIB) $(COMMON_LIB)
USES_accountservice := $(call lib_of,publisher) $(SUB_LIB) $(COMMON_LIB)
USES_publisher      := $(COMMON_LIB)
USES_aggregator     := $(SUB_LIB) $(COMMON_LIB)
USES_quotes-standin := $(COMMON_LIB)
PKGS_registry       := librabbitmq libmicrohttpd libcjson yajl libssl libcrypto zlib
PKGS_accountservice := librabbitmq libmicrohttpd libcjson yajl libcurl lmdb libssl libcrypto
PKGS_publisher      := librabbitmq libcjson yajl libcurl libssl libcrypto
PKGS_aggregator     := librabbitmq libmicrohttpd libcjson yajl libcurl libssl libcrypto
PKGS_quotes-standin := librabbitmq libmicrohttpd libcjson libssl libcrypto

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ITEST_SRC  := $(wildcard tests/integration/test_*.c)
ITEST_BINS := $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRC))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all test unit asan tsan fuzz bench soak run run-discovery clean install deps
.PHONY: check-libs check-cmocka man install-man install-systemd dist
# Keep test objects: they are intermediate files of a pattern chain.
.SECONDARY:
all: $(BINS) $(UNIT_BINS) $(ITEST_BINS) $(BENCH_BINS)

$(BUILD)/obj/%.o: %.c | check-libs
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

$(COMMON_LIB): $(call objs,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SUB_LIB): $(call objs,$(SUB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define program_rules
$(call lib_of,$(1)): $(call objs,$(call srcs_of,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/bin/$(1): $(BUILD)/obj/$(SRCDIR_$(1))/main.o $(call lib_of,$(1)) $(USES_$(1))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$< $(call lib_of,$(1)) $(USES_$(1)) \
		$$(shell pkg-config --libs $(PKGS_$(1))) $$(LDLIBS) -o $$@
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

# The dashboard's files (registry/dashboard/) go into the registry as C
# arrays with their paths, types and ETags: no build step of their own, and
# the binary serves them without reading any file at run time.
DASH_FILES := $(sort $(wildcard registry/dashboard/*))
DASH_SRC   := $(BUILD)/gen/registry/dashboard_files.c
DASH_OBJ   := $(BUILD)/obj/gen/registry/dashboard_files.o
$(DASH_SRC): scripts/dashboard_embed.sh $(DASH_FILES)
	@mkdir -p $(dir $@)
	scripts/dashboard_embed.sh $(DASH_FILES) >$@.tmp && mv $@.tmp $@
$(DASH_OBJ): $(DASH_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -c $< -o $@
$(call lib_of,registry): $(DASH_OBJ)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(ALL_LIBS) $(PKG_LIBS) -lcmocka $(LDLIBS) -o $@

$(BUILD)/itests/%: $(BUILD)/obj/tests/integration/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(ALL_LIBS) $(PKG_LIBS) -lcmocka $(LDLIBS) -o $@

# A bench program may use the common library (flood does); one that
# does not, like lib_floor, takes nothing from it: a static archive only
# lends the objects a program calls.
$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(COMMON_LIB) $(PKG_LIBS) $(LDLIBS) -o $@

deps:
	@scripts/deps.sh

# A machine without the libraries (or pkg-config) stops here with what to
# do, instead of on a missing curl/curl.h. Order-only: checked once per run,
# never a reason to rebuild.
DEPS_HINT := run 'make deps' first (it installs the Debian packages, scripts/deps.sh)
check-libs:
	@command -v pkg-config >/dev/null || { echo "make: pkg-config is missing; $(DEPS_HINT)" >&2; exit 1; }
	@pkg-config --exists $(PKGS) || { \
		echo "make: libraries not installed: $$(for p in $(PKGS); do pkg-config --exists $$p || printf '%s ' $$p; done)" >&2; \
		echo "make: $(DEPS_HINT)" >&2; exit 1; }
check-cmocka:
	@pkg-config --exists cmocka || { echo "make: the tests need cmocka; $(DEPS_HINT)" >&2; exit 1; }
$(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRC) $(ITEST_SRC)): | check-cmocka

# The whole suite: unit tests, then integration tests against a private
# RabbitMQ (or the one AMQP_SERVER_URL names), then the static checks.
test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run.sh

unit: all
	@BUILD=$(BUILD) tests/run.sh unit

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" all
	@BUILD=build-asan ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run.sh

# The same suite under ThreadSanitizer (a developer's check, not in CI: the
# libraries are not instrumented, so a report needs reading, not trusting).
tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan \
		CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" all
	@BUILD=build-tsan TSAN_OPTIONS=second_deadlock_stack=1 tests/run.sh

FUZZ_SECONDS ?= 30
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

# Every benchmark beside its reference, in one run, as one table
# (docs/benchmarks.md); never fails on numbers. BENCH_QUICK=1 runs each
# case briefly; bench/run.sh lists the other knobs.
bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh

# Minutes under load, not in CI (docs/reliability.md): tokens of 10,000
# simulated instances, wrk on both servers, broker restarts, a memory
# alarm and SIGKILLed accountservices; prints a table of checks.
SOAK_SECONDS ?= 600
soak: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) bench/soak.sh

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) RUN_OWNER=$$PPID scripts/run.sh

# The same with client-side balancing of the quote calls (QUOTES_DISCOVERY).
run-discovery: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) RUN_OWNER=$$PPID QUOTES_MODE=discovery scripts/run.sh

install: $(BINS) install-libs
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/bin/accountservice $(BUILD)/bin/registry $(BUILD)/bin/publisher \
		$(BUILD)/bin/aggregator $(DESTDIR)$(PREFIX)/bin/

# Man pages from each program's --help (help2man), with the sections
# --help has no room for in docs/man/<program>.h2m.
VERSION      := $(shell cat VERSION)
MAN_PROGRAMS := registry accountservice publisher aggregator
MANS         := $(foreach p,$(MAN_PROGRAMS),$(BUILD)/man/$(p).1)
man: $(MANS)
$(BUILD)/man/%.1: $(BUILD)/bin/% docs/man/%.h2m VERSION
	@mkdir -p $(dir $@)
	@command -v help2man >/dev/null || { echo "make: help2man is missing; $(DEPS_HINT)" >&2; exit 1; }
	help2man --no-info --version-string=$(VERSION) --include=docs/man/$*.h2m --output=$@ $<

# make install also installs the man pages, the systemd units (their
# ExecStart= pointed at PREFIX) and an example environment file per unit.
install: install-man install-systemd
install-man: $(MANS)
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(MANS) $(DESTDIR)$(PREFIX)/share/man/man1/
SYSTEMD_UNITS := $(wildcard deploy/systemd/*.service)
install-systemd:
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/doc/discovery/examples
	for u in $(SYSTEMD_UNITS); do \
		sed 's|@bindir@|$(PREFIX)/bin|g' $$u >$(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$u) && \
		chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$u) || exit 1; \
	done
	install -m 644 deploy/systemd/*.env $(DESTDIR)$(PREFIX)/share/doc/discovery/examples/

# The release tarball: the committed tree (HEAD) under discovery-VERSION/,
# which builds with "make deps && make" where it is unpacked.
dist:
	@mkdir -p $(BUILD)
	git archive --format=tar.gz --prefix=discovery-$(VERSION)/ -o $(BUILD)/discovery-$(VERSION).tar.gz HEAD
	@echo "dist: $(BUILD)/discovery-$(VERSION).tar.gz"

# ---- the libraries other programs link (make install-libs) ----
#
# libdiscovery-publisher and libdiscovery-subscriber, each static and
# shared, with its public header (include/discovery/) and a pkg-config
# file. A library holds its own modules and the common ones they call,
# built as -fPIC objects with hidden visibility (in both, so that the
# static one links into a third party's shared object too), and the
# shared one exports its API (PUBLISHER_API, SUBSCRIBER_API) and nothing
# else. They never take the sanitizer flags of a build: a third party
# links them as they are installed.
LIB_VERSION := 1.0.0
LIB_SOMAJOR := 1
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
LIB_COMMON  := $(addprefix common/,addr.c amqp_session.c amqp_session_io.c amqp_session_nodes.c backoff.c \
		 heap.c json_number.c log.c rng.c timing.c token.c token_decode.c token_scan.c token_sign.c utf8.c)
LIB_PKGS    := librabbitmq libcjson yajl libssl libcrypto
LIB_NAMES   := publisher subscriber
LIBSRC_publisher  := publisher/publisher.c publisher/announce.c publisher/description.c $(LIB_COMMON)
LIBSRC_subscriber := $(SUB_SRC) $(LIB_COMMON)
LIBDESC_publisher  := Announce a service instance on the discovery token stream over AMQP
LIBDESC_subscriber := Follow the discovery token stream over AMQP and keep a live instance table
LIB_CFLAGS ?= -O2 -g
LIBOUT := $(BUILD)/lib
pic     = $(patsubst %.c,$(BUILD)/pic/%.o,$(1))
LIB_FILES := $(foreach l,$(LIB_NAMES),$(LIBOUT)/libdiscovery-$(l).a \
	       $(LIBOUT)/libdiscovery-$(l).so.$(LIB_VERSION))

.PHONY: libs install-libs
libs: $(LIB_FILES)

$(BUILD)/pic/%.o: %.c | check-libs
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(WARN) $(LIB_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

define lib_rules
$(LIBOUT)/libdiscovery-$(1).a: $(call pic,$(LIBSRC_$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
$(LIBOUT)/libdiscovery-$(1).so.$(LIB_VERSION): $(call pic,$(LIBSRC_$(1)))
	@mkdir -p $$(dir $$@)
	$$(CC) -shared $$(LIB_CFLAGS) -Wl,-O1 -Wl,--as-needed -Wl,--no-undefined \
		-Wl,-soname,libdiscovery-$(1).so.$(LIB_SOMAJOR) $$^ \
		$$(shell pkg-config --libs $(LIB_PKGS)) $$(LDLIBS) -o $$@
endef
$(foreach l,$(LIB_NAMES),$(eval $(call lib_rules,$(l))))

# The pkg-config file of library $(1), written at install time: it names
# where the library goes (PREFIX, LIBDIR, INCLUDEDIR), not where it was built.
pc_text = printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	'Name: libdiscovery-$(1)' 'Description: $(LIBDESC_$(1))' 'Version: $(LIB_VERSION)' \
	'Requires.private: $(LIB_PKGS)' 'Cflags: -I$${includedir}' \
	'Libs: -L$${libdir} -ldiscovery-$(1)' 'Libs.private: -lpthread -lm'

install-libs: $(LIB_FILES)
	install -d $(DESTDIR)$(INCLUDEDIR)/discovery $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(foreach l,$(LIB_NAMES),$(call pc_text,$(l)) >$(DESTDIR)$(PKGCONFIGDIR)/libdiscovery-$(l).pc;)
	install -m 644 publisher/include/discovery/publisher.h \
		subscriber/include/discovery/subscriber.h $(DESTDIR)$(INCLUDEDIR)/discovery/
	for l in $(LIB_NAMES); do \
		install -m 644 $(LIBOUT)/libdiscovery-$$l.a $(DESTDIR)$(LIBDIR)/ && \
		install -m 755 $(LIBOUT)/libdiscovery-$$l.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/ && \
		ln -sf libdiscovery-$$l.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/libdiscovery-$$l.so.$(LIB_SOMAJOR) && \
		ln -sf libdiscovery-$$l.so.$(LIB_SOMAJOR) $(DESTDIR)$(LIBDIR)/libdiscovery-$$l.so || exit 1; \
	done

clean:
	rm -rf build build-* 

# The libraries' -fPIC objects (pic/) have their header dependencies too.
-include $(shell find $(BUILD)/obj $(BUILD)/pic -name '*.d' 2>/dev/null)
