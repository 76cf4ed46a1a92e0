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
PKGS     := libcurl libzmq libpq libxml-2.0 inih json-c libcrypto
# the flags come from pkg-config only once the packages are there (make deps)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD    ?= build
SAN_FLAGS =
ifeq ($(SAN),1)
BUILD    := build/san
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
	    $(BUILD)/obj/gen/units.o
MAIN_OBJ := $(BUILD)/obj/cmd/main.o
MIGRATIONS := $(sort $(wildcard sink/migrations/*.sql))

UNIT_SRC := $(wildcard tests/unit/*_test.c)
IT_SRC   := $(wildcard tests/it/*_test.c)
TEST_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%) $(IT_SRC:tests/it/%.c=$(BUILD)/tests/it/%)
TEST_SUPPORT := $(BUILD)/obj/tests/support/testutil.o

.PHONY: all deps run stop test check clean install uninstall format fuzz bench
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
	@sh tests/run.sh build/san

.PHONY: san-tests
san-tests: $(TEST_BIN)

check: test

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/examples/reports
	install -m 0755 $(BUILD)/reportpipe $(DESTDIR)$(BINDIR)/reportpipe
	install -m 0644 examples/reports/* $(DESTDIR)$(DATADIR)/examples/reports/
	install -d $(DESTDIR)$(SYSCONFDIR)/reportpipe
	install -m 0644 config/reportpipe.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/reportpipe/reportpipe.conf.example

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/reportpipe
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(SYSCONFDIR)/reportpipe/reportpipe.conf.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/reportpipe 2>/dev/null

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
