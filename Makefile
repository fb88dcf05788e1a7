# ckpt — checkpoint/restore of Linux process trees
#
#   make              build ./ckpt
#   make test         what CI runs: style, lint, -Werror builds, unit tests (Check),
#                     end-to-end tests, a slice of them under ASan and UBSan
#   make bench        dump/restore throughput against memcpy and process_vm_readv
#                     (CRIU=/path/to/criu: CRIU beside ckpt, and the ratios)
#   make fuzz         both fuzzers for FUZZ_TIME seconds each (test/fuzz/run.sh)
#   make check-style  clang-format check
#   make SANITIZE=address,undefined   build with sanitizers
#   make FAULT=1 B=build-fault build-fault/ckpt   a test build with fault sites (src/fault.h)
#   make man          the man pages, into build/man (from doc/*.txt, doc/mkman.py)
#   make install      ckpt and scripts/*-helper into $(PREFIX)/sbin, scripts/ckpt-* into
#                     $(PREFIX)/bin, what they source into $(PREFIX)/lib/ckpt, the man
#                     pages; PREFIX=/usr/local, DESTDIR for a staging root
#   make uninstall    removes what make install put there

CC      ?= gcc
VERSION := 0.1.0
B       := build

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -Wshadow -Wformat=2 -D_GNU_SOURCE -DCKPT_VERSION='"$(VERSION)"' \
	   -I$(B)/proto -I$(B)/doc -Isrc -include src/banned.h
ifdef WERROR
CFLAGS  += -Werror
endif
# A test build: the fault sites of src/fault.h, set off by CKPT_FAULT.
ifdef FAULT
CFLAGS  += -DCKPT_FAULT_INJECTION
endif
ifdef SANITIZE
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
LIBS    := -lprotobuf-c -lcap -lelf -llz4 -lzstd -pthread

PROTOS    := $(wildcard proto/*.proto)
PROTO_C   := $(patsubst proto/%.proto,$(B)/proto/%.pb-c.c,$(PROTOS))
PROTO_H   := $(PROTO_C:.c=.h)
PROTO_O   := $(PROTO_C:.c=.o)
SRCS      := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS      := $(patsubst src/%.c,$(B)/src/%.o,$(SRCS))
UNIT_SRCS := $(wildcard test/unit/check-*.c)
UNIT_BINS := $(patsubst test/unit/%.c,$(B)/unit/%,$(UNIT_SRCS))
TARGET_SRCS := $(wildcard test/e2e/targets/*.c)
TARGET_BINS := $(patsubst test/e2e/targets/%.c,$(B)/targets/%,$(TARGET_SRCS))
TOOL_SRCS := $(wildcard test/tools/*.c)
TOOL_BINS := $(patsubst test/tools/%.c,$(B)/tools/%,$(TOOL_SRCS))

.PHONY: all test unit e2e bench check-style format lint clean fuzz fuzz-slice fuzz-build \
	man install uninstall
all: ckpt man

$(B)/proto/%.pb-c.c $(B)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/proto
	protoc-c --c_out=$(B)/proto -Iproto $<

$(B)/proto/%.pb-c.o: $(B)/proto/%.pb-c.c
	$(CC) $(CFLAGS) -Wno-shadow -c -o $@ $<

$(B)/src/%.o: src/%.c $(PROTO_H) $(wildcard src/*.h)
	@mkdir -p $(B)/src
	$(CC) $(CFLAGS) -c -o $@ $<

# Man pages and the --help text of ckpt from one source per program
# (doc/NAME.SECTION.txt, doc/README.md): options.c includes usage.h.
MAN_SRCS  := $(wildcard doc/*.[18].txt)
MAN_PAGES := $(patsubst doc/%.txt,$(B)/man/%,$(MAN_SRCS))

$(B)/doc/usage.h: doc/ckpt.8.txt doc/mkman.py
	@mkdir -p $(B)/doc
	python3 doc/mkman.py help $< $@

$(B)/src/options.o: $(B)/doc/usage.h

$(B)/man/%: doc/%.txt doc/mkman.py
	@mkdir -p $(B)/man
	python3 doc/mkman.py man $< $@ $(VERSION)

# A script's --help, from its page (installed beside scripts/ckpt-jobs.sh;
# in the source tree the script makes it from doc/ itself).
SCRIPT_HELPS := $(patsubst doc/%.1.txt,$(B)/doc/%.help,$(wildcard doc/*.1.txt))
$(B)/doc/%.help: doc/%.1.txt doc/mkman.py
	@mkdir -p $(B)/doc
	python3 doc/mkman.py text $< >$@.tmp && mv -f $@.tmp $@

man: $(MAN_PAGES) $(SCRIPT_HELPS)

$(B)/libckpt.a: $(OBJS) $(PROTO_O)
	rm -f $@
	$(AR) rcs $@ $^

ckpt: $(B)/src/main.o $(B)/libckpt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The same in a build directory of its own (FAULT=1, SANITIZE=...).
$(B)/ckpt: $(B)/src/main.o $(B)/libckpt.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/unit/%: test/unit/%.c $(B)/libckpt.a
	@mkdir -p $(B)/unit
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libckpt.a $(LIBS) $$(pkg-config --cflags --libs check)

# End-to-end targets: plain C programs; NN-name-static.c files are linked -static.
$(B)/targets/%: test/e2e/targets/%.c test/e2e/targets/target.h
	@mkdir -p $(B)/targets
	$(CC) -O1 -g -Wall -pthread -D_GNU_SOURCE $(if $(findstring static,$*),-static) -o $@ $< \
		$(if $(findstring uring,$*),-luring)
$(B)/targets/57-many-threads $(B)/targets/107-numa $(B)/targets/190-thread-state: test/e2e/targets/workers.h
$(B)/targets/140-pipe-outside $(B)/targets/144-unix-outside: test/e2e/targets/outside.h

# Test tools (imgedit: a hostile image writer), linked with ckpt's own code.
$(B)/tools/%: test/tools/%.c test/fuzz/fuzz-lib.c test/fuzz/fuzz.h $(B)/libckpt.a
	@mkdir -p $(B)/tools
	$(CC) $(CFLAGS) -Itest/fuzz $(LDFLAGS) -o $@ $< test/fuzz/fuzz-lib.c $(B)/libckpt.a $(LIBS)

# Fuzzers (test/fuzz): fuzz-images, structure-aware, built with ASan and
# UBSan in build-asan; fuzz-reader, a libFuzzer target, with clang in
# build-fuzz (Debian: clang, libclang-rt-14-dev).
FUZZ_LIB := test/fuzz/fuzz-lib.c test/fuzz/fuzz.h
FUZZ_TIME ?= 60

$(B)/fuzz/fuzz-images: test/fuzz/fuzz-images.c $(FUZZ_LIB) $(B)/libckpt.a
	@mkdir -p $(B)/fuzz
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ test/fuzz/fuzz-images.c test/fuzz/fuzz-lib.c \
		$(B)/libckpt.a $(LIBS)

$(B)/fuzz-reader: test/fuzz/fuzz-reader.c $(FUZZ_LIB) $(B)/libckpt.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ test/fuzz/fuzz-reader.c \
		test/fuzz/fuzz-lib.c $(B)/libckpt.a $(LIBS)

fuzz-build: ckpt $(TARGET_BINS)
	$(MAKE) SANITIZE=address,undefined B=build-asan build-asan/fuzz/fuzz-images
	$(MAKE) CC=clang SANITIZE=fuzzer-no-link,address,undefined B=build-fuzz \
		build-fuzz/fuzz-reader

fuzz: fuzz-build
	FUZZ_TIME=$(FUZZ_TIME) test/fuzz/run.sh timed

fuzz-slice: fuzz-build
	test/fuzz/run.sh slice

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do CK_FORK=yes $$t; done

# Test 96 walks the fault sites of a FAULT=1 build of its own.
e2e: ckpt man $(TARGET_BINS) $(TOOL_BINS) $(B)/fuzz/fuzz-images
	$(MAKE) FAULT=1 B=build-fault $(if $(WERROR),WERROR=1) build-fault/ckpt
	test/e2e/run.sh

# What CI runs (README: make test): style and lint first, every build
# with -Werror (ckpt, the FAULT=1 build of test 96, the sanitizer build),
# the unit tests (four also under ASan), a deterministic slice of both
# fuzzers, every end-to-end test, then a slice of them again with ckpt
# built with ASan and UBSan (leaks are not checked there: a dump or
# restore frees little of what it read before it exits).
ASAN_E2E := 01,03,14,15,50,53,61,65,70,71,73,80,90,303
test:
	$(MAKE) check-style
	$(MAKE) lint
	$(MAKE) WERROR=1 ckpt
	$(MAKE) WERROR=1 unit
	$(MAKE) WERROR=1 SANITIZE=address,undefined B=build-asan build-asan/ckpt \
		build-asan/unit/check-image build-asan/unit/check-tree build-asan/unit/check-validate \
		build-asan/unit/check-stream
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit/check-image
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit/check-stream
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit/check-tree
	ASAN_OPTIONS=detect_leaks=1 build-asan/unit/check-validate
	$(MAKE) fuzz-slice
	$(MAKE) WERROR=1 e2e
	ASAN_OPTIONS=detect_leaks=0 CKPT=$(CURDIR)/build-asan/ckpt E2E_ONLY=$(ASAN_E2E) \
		test/e2e/run.sh

$(B)/bench: test/bench/bench.c test/bench/tree.h test/bench/criu.h
	@mkdir -p $(B)
	$(CC) -O2 -g -Wall -pthread -D_GNU_SOURCE -o $@ $<

bench: ckpt $(B)/bench $(B)/targets/330-migrate
	$(B)/bench ./ckpt $(CRIU)
	E2E_TARGETS=$(CURDIR)/$(B)/targets test/bench/migrate.sh ./ckpt

# ckpt goes to sbin (it needs root, as criu does), the scripts to bin;
# a script's man page is installed with the script, criu-lite's with
# criu-lite/criu. Pages are installed as they are (not gzipped). What the
# scripts source (scripts/ckpt-*.sh) and their --help texts go to
# BINDIR/../lib/ckpt, where the scripts look for them.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SCRIPTLIBDIR = $(abspath $(BINDIR)/../lib/ckpt)
SCRIPTS := $(filter-out %~ %.orig %.sh %-helper,$(wildcard scripts/ckpt-*))
SCRIPT_LIBS := $(filter-out %~ %.orig,$(wildcard scripts/ckpt-*.sh))
# Root's helpers (run through sudo, never by hand): installed in sbin.
SBIN_SCRIPTS := $(filter %-helper,$(wildcard scripts/ckpt-*))

install: ckpt man
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8
	install -m 0755 ckpt $(DESTDIR)$(SBINDIR)/ckpt
	install -m 0644 $(B)/man/ckpt.8 $(DESTDIR)$(MANDIR)/man8/ckpt.8
	set -e; for s in $(SBIN_SCRIPTS); do \
		install -m 0755 $$s $(DESTDIR)$(SBINDIR)/$${s##*/}; done
	set -e; for s in $(SCRIPTS); do \
		n=$${s##*/}; \
		install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1; \
		install -m 0755 $$s $(DESTDIR)$(BINDIR)/$$n; \
		if [ -f $(B)/man/$$n.1 ]; then \
			install -d $(DESTDIR)$(SCRIPTLIBDIR); \
			install -m 0644 $(B)/man/$$n.1 $(DESTDIR)$(MANDIR)/man1/$$n.1; \
			install -m 0644 $(B)/doc/$$n.help $(DESTDIR)$(SCRIPTLIBDIR)/$$n.help; fi; \
	done
	set -e; for s in $(SCRIPT_LIBS); do \
		install -d $(DESTDIR)$(SCRIPTLIBDIR); \
		install -m 0644 $$s $(DESTDIR)$(SCRIPTLIBDIR)/$${s##*/}; \
	done
	set -e; if [ -x criu-lite/criu ]; then \
		install -d $(DESTDIR)$(BINDIR); \
		install -m 0755 criu-lite/criu $(DESTDIR)$(BINDIR)/criu-lite; \
		install -m 0644 $(B)/man/criu-lite.8 $(DESTDIR)$(MANDIR)/man8/criu-lite.8; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ckpt $(DESTDIR)$(MANDIR)/man8/ckpt.8 \
		$(DESTDIR)$(BINDIR)/criu-lite $(DESTDIR)$(MANDIR)/man8/criu-lite.8
	set -e; for s in $(SBIN_SCRIPTS); do rm -f $(DESTDIR)$(SBINDIR)/$${s##*/}; done
	set -e; for s in $(SCRIPTS); do n=$${s##*/}; \
		rm -f $(DESTDIR)$(BINDIR)/$$n $(DESTDIR)$(MANDIR)/man1/$$n.1 \
			$(DESTDIR)$(SCRIPTLIBDIR)/$$n.help; done
	set -e; for s in $(SCRIPT_LIBS); do rm -f $(DESTDIR)$(SCRIPTLIBDIR)/$${s##*/}; done
	rmdir $(DESTDIR)$(SCRIPTLIBDIR) 2>/dev/null || true

STYLE_FILES := $(wildcard src/*.c src/*.h test/unit/*.c test/tools/*.c test/fuzz/*.c test/fuzz/*.h)
check-style:
	clang-format --dry-run --Werror $(STYLE_FILES)

format:
	clang-format -i $(STYLE_FILES)

lint: $(PROTO_H) $(B)/doc/usage.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--suppress=missingIncludeSystem -I src -I $(B)/proto -I $(B)/doc src

clean:
	rm -rf build build-asan build-fuzz build-fault ckpt
