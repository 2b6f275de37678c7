# wsprobe: one GNU Makefile (STYLE.md, principle 28).
#
#   make            build ./wsprobe (release objects in build/release)
#   make check      build and run every Check test under ASan and UBSan
#                   (objects in build/asan), halting on the first error
#   make bench      build and run the benchmarks (build/release)
#   make fuzz       build every libFuzzer target with clang (build/fuzz)
#   make lint       banned functions, and a -Werror compile under clang
#   make install    PREFIX (default /usr/local), DESTDIR honoured
#   V=1             show the commands
#
# The user's CFLAGS, CPPFLAGS and LDFLAGS are kept and come last.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
DOCDIR     ?= $(PREFIX)/share/doc/wsprobe
PKG_CONFIG ?= pkg-config
FUZZ_CC    ?= clang
LINT_CC    ?= clang
CFLAGS     ?= -O2 -g

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Libraries, found through pkg-config (Debian 12 names).
PKGS       := openssl zlib libpcap lua5.4 jansson
# Intel ISA-L (Debian libisal-dev), optional: a second permessage-deflate
# compressor, about four times faster than zlib's level 1 (proto/pmd.h).
# ISAL=0 builds without it.
ISAL ?= $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo 1)
ifeq ($(ISAL),1)
PKGS       += libisal
ISAL_DEFS  := -DWSP_HAVE_ISAL=1
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)
# wslay is the benchmark's baseline only; Debian's libwslay-dev ships no .pc.
WSLAY_LIBS := -lwslay

WERROR ?= -Werror
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wvla -Wundef $(WERROR)
BASE_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DWSPROBE_VERSION='"$(VERSION)"' -Iproto -Iharness -Ipcap -Ireports \
	-Ifuzz $(WARN) $(PKG_CFLAGS) $(ISAL_DEFS)

ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

# Sources.  Everything but the CLI entry point is library code that tests,
# fuzz targets and benchmarks link against.
CLI_MAIN := harness/cli_main.c
# fuzz/wsmut.c, the frame mutator, is library code too: the live fuzzer
# (harness/fuzzlive.c) uses it as well as the libFuzzer targets.
LIB_SRC  := $(filter-out $(CLI_MAIN),$(wildcard proto/*.c harness/*.c pcap/*.c reports/*.c)) fuzz/wsmut.c
TEST_SRC := $(wildcard tests/*.c)
TEST_MODS := $(patsubst tests/check_%.c,%,$(filter-out tests/check_main.c,$(wildcard tests/check_*.c)))
BENCH_SRC := $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst fuzz/%.c,build/fuzz/bin/%,$(FUZZ_SRC))
REPLAY_MAIN := fuzz/replay_main.c
FUZZ_LIB_SRC := $(filter-out $(FUZZ_SRC) $(REPLAY_MAIN) fuzz/wsmut.c,$(wildcard fuzz/*.c))
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(FUZZ_SRC))
REPLAY_BINS := $(patsubst %,build/asan/replay/%,$(FUZZ_NAMES))

# The case library is compiled into the binary (harness/cases_embed.h): the
# case files and the preludes of cases/lib/ they load with use "NAME".
CASE_FILES := $(sort $(wildcard cases/*.lua)) $(sort $(wildcard cases/lib/*.lua))
GEN_EMBED  := build/gen/cases_embed.c
# So is the requirements table, for the summaries in the HTML report.
REQS_TSV   := docs/requirements.tsv
GEN_REQS   := build/gen/reqs_embed.c

REL_LIB_OBJ  := $(patsubst %.c,build/release/%.o,$(LIB_SRC)) build/release/gen/cases_embed.o build/release/gen/reqs_embed.o
ASAN_LIB_OBJ := $(patsubst %.c,build/asan/%.o,$(LIB_SRC)) build/asan/gen/cases_embed.o build/asan/gen/reqs_embed.o
FUZZ_LIB_OBJ := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC) $(FUZZ_LIB_SRC)) build/fuzz/gen/cases_embed.o build/fuzz/gen/reqs_embed.o
TEST_OBJ     := $(patsubst %.c,build/asan/%.o,$(TEST_SRC))
BENCH_OBJ    := $(patsubst %.c,build/release/%.o,$(BENCH_SRC))

PHONY_EXTRA := demo
.PHONY: all check check-build check-integration test bench demo fuzz fuzz-smoke fuzz-replay lint install uninstall clean FORCE
.SUFFIXES:

all: wsprobe

wsprobe: $(REL_LIB_OBJ) build/release/$(CLI_MAIN:.c=.o)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

# --- object rules, one object folder per variant -------------------------
build/release/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CHECK_CFLAGS) -Ibuild -Itests $(CPPFLAGS) $(CFLAGS) $(ASAN_FLAGS) -MMD -MP -c $< -o $@

build/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC fuzz $<"
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(CPPFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

$(GEN_EMBED): $(CASE_FILES) scripts/embed-cases.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)sh scripts/embed-cases.sh $@ $(CASE_FILES)

build/release/gen/cases_embed.o: $(GEN_EMBED)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/asan/gen/cases_embed.o: $(GEN_EMBED)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

build/fuzz/gen/cases_embed.o: $(GEN_EMBED)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(CPPFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(GEN_REQS): $(REQS_TSV) scripts/embed-reqs.sh
	@mkdir -p $(@D)
	@echo "  GEN     $@"
	$(Q)sh scripts/embed-reqs.sh $@ $(REQS_TSV)

build/release/gen/reqs_embed.o: $(GEN_REQS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

build/asan/gen/reqs_embed.o: $(GEN_REQS)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(ASAN_FLAGS) -c $< -o $@

build/fuzz/gen/reqs_embed.o: $(GEN_REQS)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(CPPFLAGS) $(FUZZ_FLAGS) -c $< -o $@

# --- tests ---------------------------------------------------------------
# suites.h lists one SUITE(module) per tests/check_<module>.c; it is rewritten
# only when that list changes, so check_main.o is rebuilt only then.
build/suites.h: FORCE
	@mkdir -p build
	@{ $(foreach m,$(TEST_MODS),echo 'SUITE($(m))';) } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(TEST_OBJ): build/suites.h

build/asan/check_wsprobe: $(ASAN_LIB_OBJ) $(TEST_OBJ)
	@echo "  LD asan $@"
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS) -lpthread -lm

# Sanitizers stop at the first error; each Check test runs in its own
# process with a timeout.
SAN_ENV := ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-120}

# Everything make check runs is compiled first, two compilers at a time
# (make check itself runs without -j, and compiling one file after another
# took minutes of its 15); the tests after it still run one at a time, as
# several of them time their peers.
check-build:
	$(Q)$(MAKE) --no-print-directory -j2 build/asan/check_wsprobe wsprobe \
		$(REPLAY_BINS) \
		$(if $(shell command -v $(FUZZ_CC) 2>/dev/null),$(FUZZ_TARGETS))

check: check-build build/asan/check_wsprobe wsprobe check-integration
	@echo "  TEST    Check suites ($(words $(TEST_MODS)))"
	$(Q)$(SAN_ENV) ./build/asan/check_wsprobe
	@echo "  TEST    wsprobe CLI"
	$(Q)sh tests/cli.sh ./wsprobe
	@echo "  TEST    build (install, uninstall, CFLAGS)"
	$(Q)sh tests/build.sh
	@echo "  TEST    requirement ids"
	$(Q)sh tests/req_ids.sh
	@echo "  TEST    CVE classes (fuzz/cve-classes.tsv)"
	$(Q)sh tests/fuzz/cve_classes.sh ./wsprobe
	@echo "  TEST    reports (junit, autobahn, html in Chromium, baseline, CI examples)"
	$(Q)sh tests/reports/run.sh ./wsprobe
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)if command -v $(FUZZ_CC) >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory fuzz-smoke; \
	else echo "  SKIP    fuzz-smoke: $(FUZZ_CC) not found"; exit 1; fi
	$(Q)sh tests/fuzz/oss_fuzz_build.sh

test: check

# Real third-party peers and hostile peers on loopback (tests/integration/).
check-integration: wsprobe
	@echo "  TEST    integration (tests/integration/run.sh)"
	$(Q)sh tests/integration/run.sh ./wsprobe

# The main job on the embedded default: every case against `wsprobe echo`.
demo: wsprobe
	$(Q)sh scripts/demo.sh ./wsprobe

# --- benchmarks ----------------------------------------------------------
build/release/wsprobe-bench: $(REL_LIB_OBJ) $(BENCH_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(WSLAY_LIBS) -lpthread -lm

# BENCH="pmd u8" runs only those groups (wsf, u8, pmd, dissect).
bench: build/release/wsprobe-bench
	$(Q)./build/release/wsprobe-bench $(BENCH)

# --- fuzzing -------------------------------------------------------------
# Targets link the library as an archive, so each binary holds only the
# objects it calls: libFuzzer scans every coverage counter after every run,
# and the frame targets spent a tenth of their time on counters of code
# (Lua, reports, dissector) they never reach.
build/fuzz/libwsprobe.a: $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  AR fuzz $@"
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/bin/%: build/fuzz/fuzz/%.o build/fuzz/libwsprobe.a
	@mkdir -p $(@D)
	@echo "  LD fuzz $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

fuzz: $(FUZZ_TARGETS)

# The objects the fuzz and replay pattern rules build are intermediates to
# make, deleted after linking; keep them so that a second `make fuzz` or
# `make fuzz-replay` finds everything up to date and rebuilds nothing.
.SECONDARY: $(patsubst fuzz/%.c,build/fuzz/fuzz/%.o,$(FUZZ_SRC)) \
	$(patsubst %.c,build/asan/%.o,$(FUZZ_SRC) $(REPLAY_MAIN) $(FUZZ_LIB_SRC))

# fuzz/examples/: the wsmut mutator driving wslay's frame parser (Debian's
# libwslay-dev), built with clang and run for FUZZ_SMOKE_SECS seconds.
.PHONY: fuzz-examples
build/fuzz/examples/wslay_fuzz: fuzz/examples/wslay_fuzz.c fuzz/wsmut.c fuzz/wsmut.h proto/wsf.c proto/wsp_err.c
	@mkdir -p $(@D)
	@echo "  LD fuzz $@"
	$(Q)$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $(filter %.c,$^) $(WSLAY_LIBS) -lz

fuzz-examples: build/fuzz/examples/wslay_fuzz
	$(Q)rm -rf build/fuzz/examples/corpus && mkdir -p build/fuzz/examples/corpus
	$(Q)cp fuzz/corpus/fuzz_wsf_mut/* build/fuzz/examples/corpus/
	$(Q)./build/fuzz/examples/wslay_fuzz -max_total_time=$(FUZZ_SMOKE_SECS) \
		-artifact_prefix=build/fuzz/examples/ build/fuzz/examples/corpus \
		>build/fuzz/examples/wslay_fuzz.log 2>&1 \
		|| { tail -30 build/fuzz/examples/wslay_fuzz.log; exit 1; }
	$(Q)tail -1 build/fuzz/examples/wslay_fuzz.log

# Replays every corpus file through each target built with $(CC) and the
# sanitizers (no libFuzzer needed): the corpora are regression tests.
build/asan/replay/%: build/asan/fuzz/%.o build/asan/fuzz/replay_main.o $(ASAN_LIB_OBJ) $(patsubst %.c,build/asan/%.o,$(FUZZ_LIB_SRC))
	@mkdir -p $(@D)
	@echo "  LD asan $@"
	$(Q)$(CC) $(CFLAGS) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread -lm

fuzz-replay: $(REPLAY_BINS)
	$(Q)for t in $(FUZZ_NAMES); do \
		[ -d fuzz/corpus/$$t ] || { echo "fuzz-replay: no corpus for $$t"; exit 1; }; \
		echo "  REPLAY  $$t"; \
		$(SAN_ENV) ./build/asan/replay/$$t fuzz/corpus/$$t \
			>build/asan/replay/$$t.log 2>&1 \
			|| { tail -40 build/asan/replay/$$t.log; exit 1; }; \
	done

# A few seconds of real fuzzing per target (FUZZ_SMOKE_SECS), from a scratch
# copy of its corpus so the committed corpus stays as it is.
FUZZ_SMOKE_SECS ?= 3
# Two targets at a time, one per core (tests/fuzz/smoke1.sh runs one).
fuzz-smoke: $(FUZZ_TARGETS)
	$(Q)printf '%s\n' $(FUZZ_NAMES) | \
		xargs -P 2 -I{} sh tests/fuzz/smoke1.sh {} $(FUZZ_SMOKE_SECS)

# --- lint ----------------------------------------------------------------
# Banned functions (curl's checksrc list, STYLE.md principle 19), then every
# source compiled with clang and -Werror, so the tree is warning-free under
# both compilers.
BANNED := gets|sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|atoll|scanf|sscanf|fscanf
LINT_SRC := $(LIB_SRC) $(CLI_MAIN) $(TEST_SRC) $(BENCH_SRC) $(wildcard fuzz/*.c)
lint:
	@echo "  LINT    banned functions"
	$(Q)if grep -nE '(^|[^_a-zA-Z0-9.>])($(BANNED))[ ]*\(' $(LINT_SRC) $(wildcard proto/*.h harness/*.h pcap/*.h reports/*.h); then \
		echo "lint: banned function used (see above)"; exit 1; fi
	@echo "  LINT    $(LINT_CC) -Werror"
	$(Q)for f in $(LINT_SRC); do \
		$(LINT_CC) $(BASE_CFLAGS) $(CHECK_CFLAGS) -Ibuild -Itests -fsyntax-only $$f || exit 1; done

# --- install -------------------------------------------------------------
install: wsprobe
	install -D -m 0755 wsprobe $(DESTDIR)$(BINDIR)/wsprobe
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wsprobe
	rm -f $(DESTDIR)$(DOCDIR)/README.md
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

clean:
	rm -rf build wsprobe

-include $(shell find build -name '*.d' 2>/dev/null)
