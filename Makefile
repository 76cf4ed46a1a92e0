# reportpipe - build, test, run.
#
#   make            build build/reportpipe
#   make deps       install the Debian packages needed to build, run and test
#   make run        ingest the bundled sample reports into the local database
#   make stop       stop the project-local PostgreSQL cluster
#   make test       unit and integration tests, under ASan and UBSan
#   make install    PREFIX=/usr/local DESTDIR=
#   make clean

VERSION  := $(shell cat VERSION)
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DATADIR  ?= $(PREFIX)/share/reportpipe
SYSCONFDIR ?= $(PREFIX)/etc
DESTDIR  ?=

CC       ?= cc
PKGS     := libcurl libzmq libpq libxml-2.0 inih json-c libcrypto poppler-glib libzip zlib
# the flags come from pkg-config only once the packages are there (make deps)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD    ?= build
SANBUILD ?= build/san
SAN_FLAGS =
ifeq ($(SAN),1)
BUILD    := $(SANBUILD)
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
CPPFLAGS += -D_GNU_SOURCE -DRP_VERSION='"$(VERSION)"' -DRP_DATADIR='"$(DATADIR)"' \
	    -Icommon -Iconfig -Iparser -Isink -Ifetcher -Icmd -I$(BUILD)/gen
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS   = $(PKG_LIBS) -lm

LIB_SRC  := $(wildcard common/*.c config/*.c parser/*.c sink/*.c fetcher/*.c) \
	    $(filter-out cmd/main.c,$(wildcard cmd/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o \
	    $(BUILD)/obj/gen/units.o $(BUILD)/obj/gen/indicators.o $(BUILD)/obj/gen/divisions.o
MAIN_OBJ := $(BUILD)/obj/cmd/main.o
MIGRATIONS := $(sort $(wildcard sink/migrations/*.sql))

UNIT_SRC := $(wildcard tests/unit/*_test.c)
IT_SRC   := $(wildcard tests/it/*_test.c)
TEST_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%) $(IT_SRC:tests/it/%.c=$(BUILD)/tests/it/%)
TEST_SUPPORT := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/support/*.c))

.PHONY: all deps run stop test check clean install uninstall format fuzz bench docker-check
all: $(BUILD)/reportpipe

$(BUILD)/reportpipe: $(LIB_OBJ) $(MAIN_OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/migrations.c: $(MIGRATIONS) tools/embed-sql.sh
	@mkdir -p $(dir $@)
	sh tools/embed-sql.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/units.c: parser/units.txt tools/embed-lexicon.sh
	@mkdir -p $(dir $@)
	sh tools/embed-lexicon.sh parser/units.txt > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/units.o: $(BUILD)/gen/units.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/indicators.c: parser/indicators.txt tools/embed-indicators.sh
	@mkdir -p $(dir $@)
	sh tools/embed-indicators.sh parser/indicators.txt > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/divisions.c: parser/divisions.txt tools/embed-divisions.sh
	@mkdir -p $(dir $@)
	sh tools/embed-divisions.sh parser/divisions.txt > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIB_OBJ) $(TEST_SUPPORT)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) -Itests/support $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) \
		$(shell pkg-config --libs cmocka 2>/dev/null)

deps:
	@sh tools/deps.sh

run: deps all
	$(BUILD)/reportpipe run

stop: all
	$(BUILD)/reportpipe db stop

# Tests build under ASan and UBSan in build/san, then run through tests/run.sh.
test: deps
	@$(MAKE) --no-print-directory SAN=1 all san-tests
	@sh tests/run.sh $(SANBUILD)

.PHONY: san-tests
san-tests: $(TEST_BIN)

# The fetch integration tests share one harness for their servers (tests/it/fetch_env.c).
$(filter $(BUILD)/tests/it/fetch% $(BUILD)/tests/it/dead_letters% \
	$(BUILD)/tests/it/operator%,$(TEST_BIN)): \
	$(BUILD)/obj/tests/it/fetch_env.o
$(BUILD)/obj/tests/it/fetch_env.o: CPPFLAGS += -Itests/support

check: test

# Parse benchmark (bench/RESULTS.md): optimised, never sanitised, one core.
bench: $(BUILD)/bench/parse_bench
	@sh bench/run.sh $(BUILD)/bench/parse_bench

# Fetch benchmark (bench/RESULTS.md): reportpipe beside curl --parallel on a local nginx.
.PHONY: bench-fetch
bench-fetch: deps all
	@sh bench/fetch_bench.sh $(BUILD)/reportpipe

$(BUILD)/bench/parse_bench: bench/parse_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Sink benchmark (bench/RESULTS.md): the sink against psql \copy, same rows, one run.
.PHONY: bench-sink
bench-sink: $(BUILD)/bench/sink_bench
	@sh bench/sink_bench.sh $(BUILD)/bench/sink_bench

# End-to-end benchmark (bench/RESULTS.md): reportpipe run, nginx to PostgreSQL, beside psql \copy.
.PHONY: bench-e2e
bench-e2e: deps all
	@sh bench/e2e_bench.sh $(BUILD)/reportpipe

$(BUILD)/bench/sink_bench: bench/sink_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Parse speed per format (bench/RESULTS.md): the seed as text, HTML, PDF and DOCX, one core.
FORMAT_FIXTURES := $(addprefix tests/fixtures/formats/shaoguan-2020-fazhi.,\
		   gbk.html utf8.html pdf docx)
.PHONY: bench-formats
bench-formats: $(BUILD)/bench/format_bench
	$$(command -v taskset >/dev/null && echo taskset -c 0) $(BUILD)/bench/format_bench \
		examples/reports/shaoguan-2020-fazhi.txt $(FORMAT_FIXTURES)

$(BUILD)/bench/format_bench: bench/format_bench.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $(filter %.c %.o,$^) $(LDLIBS)

MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DOCDIR   ?= $(PREFIX)/share/doc/reportpipe
UNITS    := $(wildcard contrib/systemd/*.service contrib/systemd/*.timer)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/examples/reports \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/reportpipe
	install -m 0755 $(BUILD)/reportpipe $(DESTDIR)$(BINDIR)/reportpipe
	install -m 0644 examples/reports/* $(DESTDIR)$(DATADIR)/examples/reports/
	install -m 0644 docs/reportpipe.1 $(DESTDIR)$(MANDIR)/man1/reportpipe.1
	install -m 0644 docs/reportpipe.conf.5 $(DESTDIR)$(MANDIR)/man5/reportpipe.conf.5
	install -m 0644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -m 0644 docs/crontab.example README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 config/reportpipe.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/reportpipe/reportpipe.conf.example

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/reportpipe
	rm -f $(DESTDIR)$(MANDIR)/man1/reportpipe.1 $(DESTDIR)$(MANDIR)/man5/reportpipe.conf.5
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS)))
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SYSCONFDIR)/reportpipe/reportpipe.conf.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/reportpipe 2>/dev/null

# docker/Dockerfile's steps in debootstrap roots (no Docker engine here)
docker-check:
	@sh tools/docker-check.sh

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

# libFuzzer target for the whole parse (tests/fuzz/README.md), built by clang
# from the sources under ASan and UBSan, apart from the gcc objects above.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_DIR     := build/fuzz
FUZZ_SRC     := $(wildcard common/*.c parser/*.c) $(BUILD)/gen/units.c $(BUILD)/gen/indicators.c \
		$(BUILD)/gen/divisions.c tests/fuzz/parse_fuzz.c
FUZZ_FLAGS   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1
FUZZ_SEEDS   := $(wildcard ../shared/fixtures/reports/*.txt examples/reports/* \
		tests/fixtures/formats/*.html tests/fixtures/formats/*.docx \
		tests/fixtures/formats/*.pdf)

fuzz: $(FUZZ_DIR)/parse_fuzz $(FUZZ_DIR)/corpus/.seeded
	$(FUZZ_DIR)/parse_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus

$(FUZZ_DIR)/parse_fuzz: $(FUZZ_SRC) $(wildcard common/*.h parser/*.h)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(WARN) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ \
		$(FUZZ_SRC) $(LDLIBS)

# Seeds: the report and format fixtures whole, the text ones also cut into
# pieces of whole lines (small inputs run many times faster), a report in
# GB18030 and in UTF-16 with a BOM, and a PDF small enough for -max_len.
$(FUZZ_DIR)/corpus/.seeded: $(FUZZ_SEEDS)
	@mkdir -p $(dir $@)
	@for f in $(FUZZ_SEEDS); do install -m 0644 "$$f" $(dir $@) || exit 1; \
		case $$f in *.txt) split -C 4096 -d -a 3 "$$f" \
			$(dir $@)piece-$$(basename "$$f" .txt)- || exit 1;; esac; done
	@printf '%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%b%b%b%b%b' \
		'2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page' \
		'/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font' \
		'<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 70>>stream\nBT /F1 12 Tf 72 720' \
		' Td (1. Total: 12 items, up 86%. 2. Cost 3.5 yuan) Tj ET\nendstream\nendobj' \
		'\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n' \
		> $(dir $@)seed-mini.pdf
	iconv -f UTF-8 -t GB18030 examples/reports/shaoguan-2020-fazhi.txt \
		> $(dir $@)seed-gb18030.txt
	iconv -f UTF-8 -t UTF-16 examples/reports/shaoguan-2020-fazhi.txt \
		> $(dir $@)seed-utf16.txt
	@touch $@

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
