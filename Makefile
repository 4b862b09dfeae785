# poplar: the two quick-start commands (make run, make test) and their parts.
# Every target installs what it needs from Debian first (scripts/install-deps.sh).

BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: run test deps build build-test demo bench-stat clean

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
	cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOPLAR_SANITIZE=ON -DPOPLAR_WERROR=ON
	cmake --build build/test -j $(JOBS)

demo: build
	./scripts/demo-setup.sh demo

# Connect-to-STAT time on a 10,000-message Maildir, first and later logins.
bench-stat: build
	python3 bench/stat_latency.py --poplar build/release/poplar --messages 10000

clean:
	rm -rf build
