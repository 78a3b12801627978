# childguard: the two commands of the README, and a few more. CMake does the real work.
#   make demo   install Debian packages if missing, build, run the demo
#   make test   install, build, run every test (release + ASan/UBSan builds, fuzz smoke run)
BUILD       ?= build
BUILD_ASAN  ?= build-asan
JOBS        ?= $(shell nproc)
FUZZ_SECONDS ?= 10
CMAKE_FLAGS ?=
MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo test test-release test-asan fuzz-smoke bench install clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/programs/childguard

test-release: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE bench

test-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCG_SANITIZE=address,undefined \
		$(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) -LE 'bench|reference'

fuzz-smoke: deps
	@bash scripts/fuzz-smoke.sh $(FUZZ_SECONDS)

# Each phase prints how long it took (CI keeps the whole under 30 minutes on 2 cores).
test:
	@set -e; t0=$$(date +%s); $(MAKE) test-release; t1=$$(date +%s); \
	$(MAKE) test-asan; t2=$$(date +%s); \
	$(MAKE) fuzz-smoke; t3=$$(date +%s); \
	echo "make test: release build+tests $$((t1 - t0)) s, ASan+UBSan build+tests $$((t2 - t1)) s, fuzz $$((t3 - t2)) s, total $$((t3 - t0)) s"

bench: deps
	@bash scripts/install-deps.sh --bench
	@cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCG_BUILD_BENCH=ON >/dev/null
	@cmake --build build-bench -j $(JOBS)
	@build-bench/bench/hash_bench --synth 40
	@build-bench/bench/match_bench --n 1000000 --queries 2000 --radius 31 --kind mih --threads 2
	@build-bench/bench/update_bench --n 200000 --trials 20
	@build-bench/bench/engine_bench --min-seconds 2
	@build-bench/bench/vision_bench --min-seconds 2 $$(find /usr/share/desktop-base -type f \
		\( -name '*.png' -o -name '*.jpg' \) | LC_ALL=C sort)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-bench build-fuzz
