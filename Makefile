# mod_fastexc - FastAPI-style exceptions for Apache httpd 2.4
#
#   make run      install what is missing, build, start a demo httpd
#   make test     install what is missing, build, run every test
#   make install  install the module and Debian's a2enmod files
#
# Another httpd: make APXS=/path/to/apxs

APXS    ?= apxs
PYTHON  ?= /usr/bin/python3
PERL    ?= perl
CC      ?= cc
DEMO_PORT ?= 8080

SBINDIR   := $(shell $(APXS) -q SBINDIR 2>/dev/null)
TARGET    := $(shell $(APXS) -q TARGET 2>/dev/null)
HTTPD     ?= $(SBINDIR)/$(TARGET)
APR_CONFIG := $(shell $(APXS) -q APR_CONFIG 2>/dev/null || echo apr-1-config)
APU_CONFIG := $(shell $(APXS) -q APU_CONFIG 2>/dev/null || echo apu-1-config)

SRC      = src/fastexc_accept.c src/fastexc_envelope.c src/fastexc_fs.c \
           src/fastexc_json.c \
           src/fastexc_phrase.c src/fastexc_valid.c src/fastexc_ws.c
GLUE     = glue/mod_fastexc_account.c glue/mod_fastexc_backend.c \
           glue/mod_fastexc_config.c \
           glue/mod_fastexc_directives.c glue/mod_fastexc_directives_render.c \
           glue/mod_fastexc_directives_warn.c glue/mod_fastexc_directives_ws.c \
           glue/mod_fastexc_early.c glue/mod_fastexc_error.c \
           glue/mod_fastexc_metrics.c glue/mod_fastexc_negotiate.c \
           glue/mod_fastexc_raise.c \
           glue/mod_fastexc_render.c glue/mod_fastexc_stop.c \
           glue/mod_fastexc_tunnel.c \
           glue/mod_fastexc_upgrade.c
HEADERS  = include/mod_fastexc.h include/fastexc_core.h include/fastexc_ws.h \
           include/fastexc_envelope.h \
           include/fastexc_accept.h \
           include/fastexc_fs.h \
           $(wildcard glue/*.h)
MODULE   = .libs/mod_fastexc.so
WARN     = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

.PHONY: all build deps run stop test unit apache-test lint bench bench-smoke repeat \
        sanitize memcheck soak fuzz fuzz-smoke \
        install clean differential coverage mutate deb package-test

all: build

deps:
	@sh scripts/deps.sh

build: $(MODULE)

# -fvisibility=hidden: the module exports only fastexc_module (its API is
# reached through APR optional functions, by name)
$(MODULE): mod_fastexc.c $(GLUE) $(SRC) $(HEADERS)
	$(APXS) -c -I include -I glue $(addprefix -Wc$(comma),$(WARN) -fvisibility=hidden) \
	    -o mod_fastexc.la mod_fastexc.c $(GLUE) $(SRC) -ljansson

comma := ,

# ---- tests -----------------------------------------------------------

CHECK_SRC = tests/check_fastexc.c tests/check_core.c tests/check_ws.c \
            tests/check_envelope.c tests/check_accept.c tests/check_fs.c

tests/check_fastexc: $(CHECK_SRC) tests/check_fastexc.h $(SRC) $(HEADERS)
	$(CC) $(WARN) -g -O1 -Iinclude $$($(APR_CONFIG) --cflags --cppflags --includes) $$($(APU_CONFIG) --includes) \
	    -o $@ $(CHECK_SRC) $(SRC) \
	    $$(pkg-config --cflags --libs check jansson) \
	    $$($(APR_CONFIG) --link-ld --libs) $$($(APU_CONFIG) --link-ld --libs) -lm

unit: tests/check_fastexc
	./tests/check_fastexc

# the pure logic against Python (phrase table, JSON, floats, UTF-8 repair,
# close frames, handshake keys, the frame reader): SEED=N replays a run
build/differential/driver: tests/differential/driver.c $(SRC) $(HEADERS)
	@mkdir -p build/differential
	$(CC) $(WARN) -g -O1 -Iinclude $$($(APR_CONFIG) --cflags --cppflags --includes) $$($(APU_CONFIG) --includes) \
	    -o $@ tests/differential/driver.c $(SRC) \
	    $$(pkg-config --cflags --libs jansson) \
	    $$($(APR_CONFIG) --link-ld --libs) $$($(APU_CONFIG) --link-ld --libs) -lm

differential: build/differential/driver
	$(PYTHON) tests/differential/run.py --driver build/differential/driver $(if $(SEED),--seed $(SEED))

lint: build
	@sh scripts/check-log-tags.sh
	@sh scripts/check-symbols.sh $(MODULE)
	@$(PYTHON) scripts/check-config.py
	@$(PYTHON) scripts/check-readme.py README.md

apache-test: build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" PERL="$(PERL)" \
	    sh scripts/apache-test.sh

test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory differential
	@$(MAKE) --no-print-directory apache-test
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory bench-smoke
	@$(MAKE) --no-print-directory package-test

# the suite REPEAT times in a row (default 20): flaky tests are bugs
repeat: build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" PERL="$(PERL)" \
	    MAKE="$(MAKE)" sh scripts/repeat.sh

# each planted bug of tests/mutants/ in a copy of the tree, against the
# Check, differential and relevant Apache::Test tests (slow; not in test)
mutate:
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" PERL="$(PERL)" \
	    sh scripts/mutate.sh

# line and branch coverage (gcov, lcov) of the Check, differential and
# Apache::Test suites; the report in build/coverage/html
coverage: deps
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" PERL="$(PERL)" \
	    CC="$(CC)" sh scripts/coverage.sh

# sustained load with graceful restarts every 10 s (SOAK_SECONDS, default
# 180): HTTP/1.1, HTTPS, h2c and h2 (retried as RFC 9113 6.8 allows),
# WebSocket rejects and tunnels, beside a baseline httpd without the module
soak: deps
	@$(MAKE) --no-print-directory build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" bash scripts/soak.sh

# the Apache::Test suite against httpd -X under valgrind memcheck (slow)
memcheck: build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" sh scripts/memcheck.sh

# the Apache::Test suite against an ASan+UBSan build of the module
sanitize:
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" sh scripts/sanitize.sh

# ---- fuzzing (libFuzzer) ----------------------------------------------
# make fuzz runs each target FUZZ_SECONDS (default 60) from the seed corpus
# in fuzz/corpus/<target>/ (crashes found become files there, regression
# cases replayed on every run); make test runs each for a few seconds.

FUZZ_TARGETS = json header template envelope ws accept fs
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BINS = $(addprefix fuzz/build/fuzz_,$(FUZZ_TARGETS))

fuzz/build/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(SRC) $(HEADERS)
	@mkdir -p fuzz/build
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
	    $$($(APR_CONFIG) --cppflags --includes) $$($(APU_CONFIG) --includes) \
	    -o $@ $< $(SRC) $$(pkg-config --libs jansson) \
	    $$($(APR_CONFIG) --link-ld --libs) $$($(APU_CONFIG) --link-ld --libs)

fuzz: deps $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p fuzz/build/corpus-$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	    if ./fuzz/build/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=fuzz/build/crash-$$t- \
	        fuzz/build/corpus-$$t fuzz/corpus/$$t > fuzz/build/$$t.log 2>&1; \
	    then grep -E "^stat::number_of_executed_units" fuzz/build/$$t.log; \
	    else tail -40 fuzz/build/$$t.log; \
	        echo "fuzz: $$t failed: add the crash file to fuzz/corpus/$$t/"; \
	        exit 1; fi; \
	done

fuzz-smoke: $(FUZZ_BINS)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=3

# ---- benchmarks ------------------------------------------------------

bench: deps
	@$(MAKE) --no-print-directory build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" bash scripts/bench.sh

# every step of the benchmark for a moment: keeps the harness working
bench-smoke: build
	@BENCH_SMOKE=1 APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" \
	    bash scripts/bench.sh

# ---- demo ------------------------------------------------------------

run: deps
	@$(MAKE) --no-print-directory build
	@HTTPD="$(HTTPD)" PORT="$(DEMO_PORT)" PYTHON="$(PYTHON)" sh scripts/demo.sh start

stop:
	@HTTPD="$(HTTPD)" PORT="$(DEMO_PORT)" sh scripts/demo.sh stop

# ---- install ---------------------------------------------------------

# Where httpd says (apxs -q): the module into LIBEXECDIR, the public header
# into INCLUDEDIR, fastexc.load (naming LIBEXECDIR) and fastexc.conf into
# SYSCONFDIR/mods-available (a2enmod), Test::FastExc into Perl's site
# library; each under DESTDIR when given (make install DESTDIR=/tmp/root).
LIBEXECDIR     := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
SYSCONFDIR     := $(shell $(APXS) -q SYSCONFDIR 2>/dev/null)
INCLUDEDIR     := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
MODS_AVAILABLE ?= $(SYSCONFDIR)/mods-available
PERL_LIBDIR    ?= $(shell $(PERL) -MConfig -e 'print $$Config{installsitelib}')

build/conf/fastexc.load: conf/fastexc.load.in
	@mkdir -p build/conf
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|' conf/fastexc.load.in > $@

install: build build/conf/fastexc.load
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MODS_AVAILABLE) \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PERL_LIBDIR)/Test
	install -m 644 $(MODULE) $(DESTDIR)$(LIBEXECDIR)/mod_fastexc.so
	install -m 644 build/conf/fastexc.load conf/fastexc.conf \
	    $(DESTDIR)$(MODS_AVAILABLE)/
	install -m 644 include/mod_fastexc.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 t/lib/Test/FastExc.pm $(DESTDIR)$(PERL_LIBDIR)/Test/

# ---- Debian packages -------------------------------------------------
# make deb: libapache2-mod-fastexc and libapache2-mod-fastexc-dev (debian/),
# built with dpkg-buildpackage from a copy of the tree as it is (tracked
# and new files, not what git ignores) in build/deb, where the .debs land;
# then lintian, which must report no error.

VERSION := $(shell sed -n 's/^\#define MOD_FASTEXC_VERSION "\(.*\)"$$/\1/p' include/mod_fastexc.h)
DEB_DIR := build/deb

deb:
	@head -1 debian/changelog | grep -qF "($(VERSION))" || { \
	    echo "deb: debian/changelog does not start with MOD_FASTEXC_VERSION $(VERSION)" >&2; \
	    exit 1; }
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/mod-fastexc-$(VERSION)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard \
	        | tar --null -T - --ignore-failed-read -cf - 2>/dev/null; \
	else tar --exclude=./build --exclude=./.git -cf - .; fi \
	    | tar -xf - -C $(DEB_DIR)/src/mod-fastexc-$(VERSION)
	cd $(DEB_DIR)/src/mod-fastexc-$(VERSION) && \
	    dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || { \
	    tail -40 ../build.log; echo "deb: dpkg-buildpackage failed (build/deb/src/build.log)" >&2; exit 1; }
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	lintian --fail-on error --info $(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb

# the built packages unpacked and loaded, with their own .load and .conf,
# in a throwaway httpd (t/package.t)
package-test: build deb
	@FASTEXC_DEBS="$(CURDIR)/$(DEB_DIR)" APXS="$(APXS)" HTTPD="$(HTTPD)" \
	    PYTHON="$(PYTHON)" PERL="$(PERL)" sh scripts/apache-test.sh t/package.t

clean:
	rm -rf .libs src/.libs glue/.libs *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o \
	    glue/*.lo glue/*.slo glue/*.o \
	    tests/check_fastexc build fuzz/build
