# The front door. `make` builds build/coroner; `make check` installs what is
# missing (apt as root), builds, makes the lab dumps, and runs every test,
# also under ASan+UBSan; `make demo` analyzes the bundled sample dump.
BUILD     ?= build
ASAN      ?= build-asan
FUZZBUILD ?= build-fuzz
LAB       ?= $(abspath $(BUILD))/lab
FUZZ_SECONDS ?= 600

APT_PACKAGES = build-essential meson ninja-build pkg-config libedit-dev libcurl4-openssl-dev libmspack-dev libcapstone-dev clang lld llvm python3 \
               libclang-rt-14-dev xz-utils lldb time gcc-mingw-w64-x86-64 wine wine64

.PHONY: all deps build check test lab asan demo fuzz bench clean

all: build

# Installs only what is missing, so a prepared machine skips apt entirely.
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: run as root to install:$$missing" >&2; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

lab: build
	@if [ -x tests/lab/build-lab.sh ]; then tests/lab/build-lab.sh $(LAB); fi

test: build
	COR_LAB_REQUIRED=1 meson test -C $(BUILD) --print-errorlogs

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false -Dlab_dir=$(LAB)

asan: $(ASAN)/build.ninja
	ninja -C $(ASAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	  COR_LAB_REQUIRED=1 meson test -C $(ASAN) --print-errorlogs

check: deps
	$(MAKE) build
	$(MAKE) lab
	$(MAKE) test
	$(MAKE) asan

demo: build
	@mkdir -p $(BUILD)/sample
	@if [ -f samples/w3wp-hang.dmp.xz ]; then \
	  xz -dkc samples/w3wp-hang.dmp.xz > $(BUILD)/sample/w3wp-hang.dmp; \
	  ./$(BUILD)/coroner analyze $(BUILD)/sample/w3wp-hang.dmp; \
	else \
	  ./$(BUILD)/coroner analyze ../shared/corpus/google__breakpad/src__processor__testdata__minidump2.dmp; \
	fi

$(FUZZBUILD)/build.ninja:
	CC=clang meson setup $(FUZZBUILD) -Dfuzz=true -Db_lundef=false

fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh $(FUZZBUILD)

# The managed lab dump (.NET Core 2.2 under Wine, over 100 MB) is the
# benchmark's large input; it needs npm and the npm registry.
bench: build lab
	tests/lab/build-managed.sh $(LAB)
	bench/run.sh $(BUILD) $(LAB)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZBUILD)
