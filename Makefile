# Minca — build, run and test.
#
#   make run      install dependencies, build, start private servers, load demo data, open the TUI
#   make test     install dependencies, build, run every test suite against throwaway servers
#   make bench    benchmarks, each beside a baseline in the same run
#   make deps     install the Debian packages the project needs (idempotent)
#   make install  the binary to $(DESTDIR)$(PREFIX)/bin, its data to $(DESTDIR)$(PREFIX)/share/minca and
#                 the manual page minca.1 (generated from the command table) to share/man/man1

PKGS      := ncursesw libpq jansson libcurl xlsxwriter yaml-0.1 hiredis gmime-3.0 glib-2.0 libzip libxml-2.0 freexl poppler-glib pangocairo libmicrohttpd libytnef tesseract lept libgsf-1
TEST_PKGS := cmocka

CC        ?= cc
WERROR    ?= $(if $(CI),-Werror,)
OPT       ?= -O2
CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter $(WERROR) -g -Iinclude -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

PREFIX    ?= /usr/local
SHAREDIR  := $(PREFIX)/share/minca
MANDIR    := $(PREFIX)/share/man/man1

# Hardening: fortified libc calls, stack protector, position-independent executable, full RELRO.
HARDEN_CFLAGS  := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

# BUILD selects the flavour: build/ (normal) or build-asan/ (AddressSanitizer + UBSan).
BUILD     ?= build
ifeq ($(BUILD),build-asan)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT       := -O1
else
HARDEN_CFLAGS += -D_FORTIFY_SOURCE=3
endif
CFLAGS    := $(CFLAGS_BASE) $(OPT) $(SAN_FLAGS) $(HARDEN_CFLAGS) -DMINCA_SHARE_DIR='"$(SHAREDIR)"'
LDFLAGS   += $(SAN_FLAGS) $(HARDEN_LDFLAGS)

LIB_SRCS  := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ  := $(BUILD)/src/cli/main.o
# test_*.c run as unit suites; db_*.c need the test database and run from their integration
# script (tests/integration/store_rows.sh runs db_store_rows).
UNIT_SRCS := $(wildcard tests/unit/test_*.c) $(wildcard tests/unit/db_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS:= $(wildcard tests/bench/bench_*.c)
BENCH_BINS:= $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps build run test test-asan bench clean check-deps fuzz install

all: build

deps:
	@scripts/deps.sh

build: check-deps $(BUILD)/minca $(UNIT_BINS)

check-deps:
	@pkg-config --exists $(PKGS) $(TEST_PKGS) || { echo "minca: missing build libraries; run 'make deps' (or 'make run' / 'make test', which do it)"; exit 1; }

$(BUILD)/libminca.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/minca: $(MAIN_OBJ) $(BUILD)/libminca.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) -Wl,--whole-archive $(BUILD)/libminca.a -Wl,--no-whole-archive $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libminca.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) -o $@ $< $(BUILD)/libminca.a $(LDFLAGS) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libminca.a
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libminca.a $(LDFLAGS) $(PKG_LIBS)

run: deps
	@$(MAKE) --no-print-directory build
	@scripts/run-demo.sh

# The build before the tests uses every core, as the test runner does (MINCA_TEST_JOBS).
NPROC     := $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build $(BENCH_BINS)   # the benchmarks compile too
	@tests/run.sh build

test-asan: deps
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build-asan build
	@tests/run.sh build-asan

bench: deps
	@$(MAKE) --no-print-directory -j$(NPROC) build $(BENCH_BINS)
	@tests/bench/run.sh build

fuzz:
	@tests/fuzz/run.sh

# The data the binary reads at run time (migrations, codifier tables, profiles, templates,
# themes, the demo) goes to $(SHAREDIR); the installed binary finds it from its own location
# (<prefix>/bin/../share/minca), so a DESTDIR staging tree works as well as the final one.
SHARE_CONTENT := data migrations profiles templates themes samples
# The manual page, written by the binary from its command and option tables (a scratch home:
# the binary opens its log there).
$(BUILD)/minca.1: $(BUILD)/minca
	@d=$$(mktemp -d) && MINCA_HOME=$$d MINCA_CONFIG=/dev/null $(BUILD)/minca help --man >$@.tmp; rc=$$?; rm -rf $$d; \
	  [ $$rc = 0 ] && mv $@.tmp $@

install: build $(BUILD)/minca.1
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHAREDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 $(BUILD)/minca $(DESTDIR)$(PREFIX)/bin/minca
	install -m 0644 $(BUILD)/minca.1 $(DESTDIR)$(MANDIR)/minca.1
	cp -R $(SHARE_CONTENT) $(DESTDIR)$(SHAREDIR)/
	@echo "minca installed: $(DESTDIR)$(PREFIX)/bin/minca, data in $(DESTDIR)$(SHAREDIR)"

clean:
	rm -rf build build-asan

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d) $(BENCH_BINS:=.d)
