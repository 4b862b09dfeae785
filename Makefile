# poplar: the two quick-start commands (make run, make test) and their parts.
# Every target installs what it needs from Debian first (scripts/install-deps.sh).

BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

FUZZ_SECONDS ?= 60

.PHONY: run test deps build build-test demo bench bench-quick bench-deps bench-build bench-stat clean build-fuzz fuzz fuzz-ci

run: build demo
	./build/release/poplar serve --config demo/poplar.toml

test: build-test
	cd build/test && ctest --output-on-failure -j $(JOBS) --timeout 300

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPOPLAR_TESTS=OFF
	cmake --build build/release -j $(JOBS)

# The test build: warnings are errors, ASan and UBSan on.
build-test: deps
	cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOPLAR_SANITIZE=ON -DPOPLAR_WERROR=ON -DPOPLAR_FAULT_POINTS=ON
	cmake --build build/test -j $(JOBS)

# The libFuzzer targets (docs/fuzzing.md): clang, ASan and UBSan.
build-fuzz:
	./scripts/install-deps.sh fuzz
	CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DPOPLAR_FUZZ=ON -DPOPLAR_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build/fuzz -j $(JOBS)

# Each target for FUZZ_SECONDS on a scratch copy of its seeds; fails on a crash.
fuzz: build-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

# What CI runs: every target for 30 s (about 6 minutes in all).
fuzz-ci:
	$(MAKE) fuzz FUZZ_SECONDS=30

demo: build
	./scripts/demo-setup.sh demo

# The benchmark against Dovecot (bench/run.py): installs Dovecot's pop3d,
# builds poplar and the load generator, generates the data once (bench/data),
# runs every figure 3 times and writes bench/RESULTS.md. BENCH_QUICK=1 (or
# `make bench-quick`) runs small counts in a few minutes to check the pipeline.
bench: bench-build
	python3 bench/run.py $(if $(filter 1,$(BENCH_QUICK)),--quick)

bench-quick: bench-build
	python3 bench/run.py --quick

bench-deps: deps
	./scripts/install-bench-deps.sh

bench-build: bench-deps
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPOPLAR_TESTS=OFF -DPOPLAR_BENCH=ON
	cmake --build build/release -j $(JOBS)

# Connect-to-STAT time on a 10,000-message Maildir, first and later logins.
bench-stat: build
	python3 bench/stat_latency.py --poplar build/release/poplar --messages 10000

clean:
	rm -rf build
