# vigil — top-level driver around meson/ninja.
#   make         build everything into build/ (the CLI is build/vigil)
#   make run     the demo: build a bank from demo/known, scan demo/uploads
#   make check   every test, then the same under ASan+UBSan
#   make install the binary and the man page (meson install)
#   make bench   the benchmarks (prints ratios; see bench/README.md)
#   make fuzz    run the libFuzzer targets for FUZZ_SECONDS each (clang)
BUILD ?= build
ASAN ?= build-asan
FUZZ_SECONDS ?= 60

.PHONY: all deps run check test test-asan bench fuzz clean install

# deps installs meson and ninja on a fresh machine, so it must finish before
# either runs, also under make -j: the setup rules take it as an order-only
# prerequisite (a phony target as a normal one would redo the setup).
all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) --buildtype=release

$(ASAN)/build.ninja: | deps
	meson setup $(ASAN) --buildtype=debugoptimized -Db_sanitize=address,undefined \
		-Db_lundef=false

# The binary and the man page (vigil.1), under PREFIX (meson's prefix,
# /usr/local by default; DESTDIR is honoured).
install: all
	meson install -C $(BUILD)

run: all
	sh demo/run.sh $(BUILD)/vigil

test: all
	sh tests/run.sh $(BUILD)

test-asan: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp sh tests/run.sh $(ASAN)

check: all
	@sh tests/check.sh $(BUILD) $(ASAN)

bench: all
	sh bench/run.sh $(BUILD)

fuzz: deps
	sh fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN) build-fuzz
