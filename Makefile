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

SRC      = src/fastexc_json.c src/fastexc_phrase.c src/fastexc_valid.c \
           src/fastexc_ws.c
HEADERS  = include/mod_fastexc.h include/fastexc_core.h include/fastexc_ws.h
MODULE   = .libs/mod_fastexc.so
WARN     = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

.PHONY: all build deps run stop test unit apache-test lint bench bench-smoke \
        sanitize \
        install clean

all: build

deps:
	@sh scripts/deps.sh

build: $(MODULE)

# -fvisibility=hidden: the module exports only fastexc_module (its API is
# reached through APR optional functions, by name)
$(MODULE): mod_fastexc.c $(SRC) $(HEADERS)
	$(APXS) -c -I include $(addprefix -Wc$(comma),$(WARN) -fvisibility=hidden) \
	    -o mod_fastexc.la mod_fastexc.c $(SRC) -ljansson

comma := ,

# ---- tests -----------------------------------------------------------

tests/check_fastexc: tests/check_fastexc.c $(SRC) $(HEADERS)
	$(CC) $(WARN) -g -O1 -Iinclude $$($(APR_CONFIG) --cflags --cppflags --includes) $$($(APU_CONFIG) --includes) \
	    -o $@ tests/check_fastexc.c $(SRC) \
	    $$(pkg-config --cflags --libs check jansson) \
	    $$($(APR_CONFIG) --link-ld --libs) $$($(APU_CONFIG) --link-ld --libs) -lm

unit: tests/check_fastexc
	./tests/check_fastexc

lint: build
	@sh scripts/check-log-tags.sh
	@sh scripts/check-symbols.sh $(MODULE)

apache-test: build
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" PERL="$(PERL)" \
	    sh scripts/apache-test.sh

test: deps
	@$(MAKE) --no-print-directory build
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory apache-test
	@$(MAKE) --no-print-directory sanitize
	@$(MAKE) --no-print-directory bench-smoke

# the Apache::Test suite against an ASan+UBSan build of the module
sanitize:
	@APXS="$(APXS)" HTTPD="$(HTTPD)" PYTHON="$(PYTHON)" sh scripts/sanitize.sh

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
	@HTTPD="$(HTTPD)" PORT="$(DEMO_PORT)" sh scripts/demo.sh start

stop:
	@HTTPD="$(HTTPD)" PORT="$(DEMO_PORT)" sh scripts/demo.sh stop

# ---- install ---------------------------------------------------------

install: build
	$(APXS) -i -n fastexc mod_fastexc.la
	install -d $(DESTDIR)/etc/apache2/mods-available
	install -m 644 conf/fastexc.load conf/fastexc.conf \
	    $(DESTDIR)/etc/apache2/mods-available/

clean:
	rm -rf .libs src/.libs *.la *.lo *.slo *.o src/*.lo src/*.slo src/*.o \
	    tests/check_fastexc build
