# linklab - see README.md. `make` builds build/linklab; `sudo make check`
# runs every test; `sudo make lab` runs the lab's main job.
CC      ?= cc
PKGS    := libarchive libcrypto jansson libutf8proc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -pthread -MMD -MP
LDLIBS  := $(PKG_LIBS) -pthread -lm

BUILD   ?= build
MAIN_SRC := lab/main.c
CMD_SRC  := $(wildcard lab/cmd_*.c)
LIB_SRC  := $(filter-out $(MAIN_SRC) $(CMD_SRC),$(wildcard lab/*.c))
LIB_OBJ  := $(LIB_SRC:lab/%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:lab/%.c=$(BUILD)/%.o) $(BUILD)/main.o
# labfs: its own binary; faults, names and clone need no FUSE and are unit-tested
LABFS_SRC     := $(wildcard lab/labfs/*.c)
LABFS_OBJ     := $(LABFS_SRC:lab/labfs/%.c=$(BUILD)/labfs.d/%.o)
LABFS_LIB_OBJ := $(filter-out $(BUILD)/labfs.d/ops.o $(BUILD)/labfs.d/main.o,$(LABFS_OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps check check-asan check-clang unit lab bench clean

all: $(BUILD)/linklab $(BUILD)/labfs

$(BUILD)/linklab: $(LIB_OBJ) $(CMD_OBJ)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: lab/%.c | $(BUILD)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/labfs: $(LABFS_OBJ) $(BUILD)/util.o
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(FUSE_LIBS)

$(BUILD)/labfs.d/%.o: lab/labfs/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) $(FUSE_CFLAGS) -c -o $@ $<

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ) $(LABFS_LIB_OBJ) | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -Ilab -Ilab/labfs -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BIN)

deps:
	scripts/deps

# Every test: unit tests and integration tests on loop-mounted images,
# first with the normal build, then under AddressSanitizer + UBSan, and a
# warnings-as-errors build with clang.
check: deps
	tests/run

check-asan: deps
	tests/run --asan-only

check-clang:
	$(MAKE) BUILD=build/clang CC=clang all unit

# The main job: the sign-off matrix on the real corpus and scaled synthetic
# ones; writes results/TIMESTAMP/ and results/latest, prints the verdict.
lab: deps all
	bench/run bench/signoff.conf

bench: deps all
	bench/install-modes
	bench/images-up
	bench/observe

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(LABFS_OBJ:.o=.d)
