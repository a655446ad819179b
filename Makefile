# Service discovery over AMQP: build, test, run, bench.
#
# Every program folder holds main.c plus modules only it uses; those modules
# also go into a static library so unit tests can link them without main().
# BUILD can be overridden so that parallel builds do not share object files.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PKGS     := librabbitmq libmicrohttpd libcjson libcurl lmdb libssl libcrypto
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
PROGRAMS := accountservice registry publisher quotes-standin
SRCDIR_accountservice := accountservice
SRCDIR_registry       := registry
SRCDIR_publisher      := publisher
SRCDIR_quotes-standin := tests/quotes

COMMON_SRC := $(wildcard common/*.c)
COMMON_LIB := $(BUILD)/libcommon.a
# The subscriber library (subscriber/, public header under
# subscriber/include/discovery/): the registry is built on it.
SUB_SRC := $(wildcard subscriber/*.c)
SUB_LIB := $(BUILD)/libsubscriber.a

lib_of  = $(BUILD)/lib$(1).a
srcs_of = $(filter-out $(SRCDIR_$(1))/main.c,$(wildcard $(SRCDIR_$(1))/*.c))
objs    = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

PROGRAM_LIBS := $(foreach p,$(PROGRAMS),$(call lib_of,$(p)))
ALL_LIBS     := $(PROGRAM_LIBS) $(SUB_LIB) $(COMMON_LIB)
BINS         := $(foreach p,$(PROGRAMS),$(BUILD)/bin/$(p))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
ITEST_SRC  := $(wildcard tests/integration/test_*.c)
ITEST_BINS := $(patsubst tests/integration/%.c,$(BUILD)/itests/%,$(ITEST_SRC))
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all test unit asan tsan fuzz bench soak run clean install deps
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
$(BUILD)/bin/$(1): $(BUILD)/obj/$(SRCDIR_$(1))/main.o $(ALL_LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) $$< $(ALL_LIBS) $$(PKG_LIBS) $$(LDLIBS) -o $$@
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

# A bench program may use the common library (soak_tokens does); one that
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
	@BUILD=$(BUILD) scripts/run.sh

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/bin/accountservice $(BUILD)/bin/registry $(BUILD)/bin/publisher $(DESTDIR)$(PREFIX)/bin/

# Man pages from each program's --help (help2man), with the sections
# --help has no room for in docs/man/<program>.h2m.
VERSION      := $(shell cat VERSION)
MAN_PROGRAMS := registry accountservice publisher
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

clean:
	rm -rf build build-* 

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
