# linklab - see README.md. `make` builds build/linklab and build/labfs;
# `sudo make check` runs every test; `sudo make lab` runs the lab's main job.
#
# The front door: every goal but clean first runs scripts/deps (as root it
# installs the Debian packages it misses; otherwise it names them), while
# make reads this file and before pkg-config is asked for any flags, so a
# fresh machine builds on the first try. deps prints progress on stdout and
# its one fatal line on stderr, which becomes make's one error line. DEPS
# names the deps command (tests give a stand-in); sub-makes do not repeat it.
DEPS    ?= scripts/deps
front_goals := $(filter-out clean,$(or $(MAKECMDGOALS),all))
ifneq ($(front_goals),)
# goals that make loop devices and mounts: say so before building anything
root_goals := $(filter lab bench regressions check check-asan,$(front_goals))
ifneq ($(root_goals),)
ifneq ($(shell id -u),0)
$(error make $(firstword $(root_goals)) needs root (it makes loop devices and mounts): run sudo make $(firstword $(root_goals)))
endif
endif
ifndef LINKLAB_DEPS_DONE
ifeq ($(findstring n,$(firstword -$(MAKEFLAGS))),)
# plain `make` needs only the build packages; every other goal needs all
deps_said := $(shell $(DEPS) $(if $(filter-out all,$(front_goals)),all,build) 3>&1 1>&2 2>&3; echo "[$$?]")
ifneq ($(lastword $(deps_said)),[0])
$(error $(or $(filter-out $(lastword $(deps_said)),$(deps_said)),$(DEPS) failed $(lastword $(deps_said))))
endif
endif
endif
export LINKLAB_DEPS_DONE := 1
endif

CC      ?= cc
# the libraries, asked of pkg-config only now that deps has run; a library
# it cannot find is one line naming it, never a linker error
PKGS    := libarchive libcrypto jansson libutf8proc fuse3
ifneq ($(filter-out deps,$(front_goals)),)
pkgs_missing := $(strip $(foreach p,$(PKGS) $(if $(filter-out all,$(front_goals)),cmocka),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p))))
ifneq ($(pkgs_missing),)
$(error pkg-config finds no $(pkgs_missing) (searching $(or $(PKG_CONFIG_LIBDIR),$(shell pkg-config --variable pc_path pkg-config 2>/dev/null))$(if $(PKG_CONFIG_PATH), and $(PKG_CONFIG_PATH))); scripts/deps found their Debian packages installed, so look at pkg-config's search path)
endif
endif
PKG_CFLAGS  := $(shell pkg-config --cflags libarchive libcrypto jansson libutf8proc 2>/dev/null)
# libarchive is not linked: lab/format/lazyarchive.c loads it by its soname
# when a package is first read (loading it took 2.3 ms of every start)
PKG_LIBS    := $(shell pkg-config --libs libcrypto jansson libutf8proc 2>/dev/null)
ARCHIVE_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libarchive 2>/dev/null)/libarchive.so" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
ifneq ($(filter-out deps clean,$(front_goals)),)
ifeq ($(ARCHIVE_SONAME),)
$(error cannot read libarchive's soname from $(shell pkg-config --variable=libdir libarchive 2>/dev/null)/libarchive.so (objdump -p): is libarchive-dev installed?)
endif
endif
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -DLAB_ARCHIVE_SONAME='"$(ARCHIVE_SONAME)"' -pthread -MMD -MP
LDLIBS  := $(PKG_LIBS) -pthread -lm -ldl

BUILD   ?= build
# `make clean all` (also with -j): clean before make looks at any file, or it
# would build on what it saw before clean removed it (not for make -n)
clean_first := $(and $(filter clean,$(firstword $(MAKECMDGOALS))),$(filter-out clean,$(MAKECMDGOALS)),$(if $(findstring n,$(firstword -$(MAKEFLAGS))),,yes))
ifneq ($(clean_first),)
$(shell rm -rf $(BUILD))
endif
# lab/: main.c, cmds/ (one file per subcommand), and one folder per
# subsystem (common, format, engine, policy, observe, report, corpus) that
# together make the library every binary links; labfs/ is its own daemon
MAIN_SRC := lab/main.c
CMD_SRC  := $(wildcard lab/cmds/*.c)
LIB_DIRS := common format engine policy observe report corpus
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard lab/$(d)/*.c))
OBJ      := $(BUILD)/obj
LIB_OBJ  := $(LIB_SRC:lab/%.c=$(OBJ)/%.o)
CMD_OBJ  := $(CMD_SRC:lab/%.c=$(OBJ)/%.o) $(OBJ)/main.o
# labfs: its own binary; faults, names and clone need no FUSE and are unit-tested
LABFS_SRC     := $(wildcard lab/labfs/*.c)
LABFS_OBJ     := $(LABFS_SRC:lab/%.c=$(OBJ)/%.o)
LABFS_LIB_OBJ := $(filter-out $(OBJ)/labfs/ops.o $(OBJ)/labfs/main.o,$(LABFS_OBJ))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
# libFuzzer targets (tests/fuzz/run builds them with clang into build/fuzz)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# the reference installer's policies come from subjects/*.conf (one
# registry for the C build and the bench scripts): scripts/gen-policies
# turns their `policy` lines into the rows of lab/policy/policy.c's table
SUBJECTS := $(sort $(wildcard subjects/*.conf))
GEN      := $(BUILD)/gen
ALL_CFLAGS += -Ilab -I$(GEN)

.PHONY: all check check-asan check-clang unit lab bench regressions fuzz fuzz-bins

all: $(BUILD)/linklab $(BUILD)/labfs

$(BUILD)/linklab: $(LIB_OBJ) $(CMD_OBJ)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: lab/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) $(if $(filter lab/labfs/%,$<),$(FUSE_CFLAGS)) -c -o $@ $<

$(OBJ)/policy/policy.o: $(GEN)/policies.inc

$(GEN)/policies.inc: scripts/gen-policies scripts/lib/common.bash $(SUBJECTS) subjects | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  GEN $@"
	@scripts/gen-policies $(SUBJECTS) >$@.tmp && mv $@.tmp $@

$(BUILD)/labfs: $(LABFS_OBJ) $(OBJ)/common/util.o $(OBJ)/common/strbuf.o
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(FUSE_LIBS)

$(BUILD)/unit/%: tests/unit/%.c $(LIB_OBJ) $(LABFS_LIB_OBJ) | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(CMOCKA_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJ) | $(BUILD)
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BIN)

fuzz-bins: $(BUILD)/linklab $(FUZZ_BIN)

# The fuzz targets for FUZZ_SECONDS each (make check runs them for 20 s each)
FUZZ_SECONDS ?= 600
fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

# Every test: unit tests and integration tests on loop-mounted images,
# first with the normal build, then under AddressSanitizer + UBSan, and a
# warnings-as-errors build with clang.
check:
	tests/run

check-asan:
	tests/run --asan-only

check-clang:
	$(MAKE) BUILD=build/clang CC=clang all unit

# The main job: the sign-off matrix on the real corpus and scaled synthetic
# ones; writes results/TIMESTAMP/ and results/latest, prints the verdict.
# LAB_CONF and LAB_ARGS (for example --out DIR) change what it runs.
LAB_CONF ?= bench/signoff.conf
LAB_ARGS ?=
# the binaries this make built, for the scripts it runs
RUN_ENV = LINKLAB=$(abspath $(BUILD))/linklab LABFS=$(abspath $(BUILD))/labfs LINKLAB_LABFS=$(abspath $(BUILD))/labfs
lab: all
	$(RUN_ENV) bench/run $(LAB_CONF) $(LAB_ARGS)

# The regression gallery (regressions/): each known installer bug's buggy
# release must FAIL the derived sign-off and its fix pass; exits 0 only when
# every row is caught. REGRESSIONS_ARGS (for example --row 003) narrows it.
REGRESSIONS_ARGS ?=
regressions: all
	$(RUN_ENV) bench/regressions $(REGRESSIONS_ARGS)

bench: all
	$(RUN_ENV) bench/install-modes
	$(RUN_ENV) bench/images-up
	$(RUN_ENV) bench/observe

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(LABFS_OBJ:.o=.d)

# deps ran while make read this file
.PHONY: deps clean
deps: ; @:

# the npm tools (.tools) stay: they are pinned downloads, not build output;
# first of several goals, clean was done while make read this file (see BUILD)
clean:
ifeq ($(clean_first),)
	rm -rf $(BUILD)
else
	@:
endif
