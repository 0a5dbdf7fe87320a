# SPDX-License-Identifier: Apache-2.0
# The README's two commands: `make run` (demo service) and `make test` (whole suite, sanitizers).
# Both install missing Debian packages first (apt-get update once; we run as root).

BUILD      ?= build
TEST_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local

# libmbedtls-dev: the native HTTP client's TLS (static archives); openssl: the TLS tests' servers.
DEB_PACKAGES = build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev libhttp-parser-dev \
               libmbedtls-dev libjansson-dev libfyaml-dev curl openssl

# `make static`: the fully static recipe binary. Its archives (libuv, http-parser, libfyaml,
# mbedTLS) come with DEB_PACKAGES: no curl, no OpenSSL.
STATIC_BUILD    ?= build-static

.PHONY: all deps test-deps build run test install bench clean fuzz tsan static

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DGK_TESTS=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/examples/recipe

# The integration tests drive npm tools (genkit-cli, the genkit JS client, an OpenAPI validator):
# Debian's nodejs and npm, unless a node and an npm are already on PATH (NodeSource's, say).
test-deps: deps
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	    echo "installing Debian packages: nodejs npm"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm; \
	fi

test: test-deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGK_SANITIZE=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	GK_BUILD=$(TEST_BUILD) bash tests/run.sh

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bash bench/run.sh

# genkit-c against Genkit JS, FastAPI + Pydantic and nginx in one run (installs what is missing:
# Debian packages, npm ci in bench/peers/genkit-js, the static binary). SECS=5 for a short run.
.PHONY: bench-peers
bench-peers: build
	BUILD=$(BUILD) STATIC_BUILD=$(STATIC_BUILD) bash bench/peers/run.sh

# libFuzzer (clang) over every parser: FUZZ_SECONDS each, seeded from fuzz/corpus/<name>/; the
# grown corpus stays in build-fuzz/corpus/<name>/ and crashes in build-fuzz/crash-<name>-*: a crash
# becomes a small file in fuzz/corpus/<name>/ (replayed by make test) once fixed.
FUZZ_SECONDS ?= 60
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGK_FUZZ=ON -DGK_TESTS=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	@for f in build-fuzz/fuzz/fuzz_*; do n=$$(basename $$f); n=$${n#fuzz_}; \
	    echo "fuzzing $$n for $(FUZZ_SECONDS) s"; mkdir -p build-fuzz/corpus/$$n; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build-fuzz/crash-$$n- \
	        build-fuzz/corpus/$$n fuzz/corpus/$$n || exit 1; done

# ThreadSanitizer build of the suite (the multi-loop server and runtime tests).
tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DGK_TSAN=ON >/dev/null
	cmake --build build-tsan -j $(JOBS) --target gk_tests
	TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/gk_tests

# A fully static recipe binary (glibc, libuv, libfyaml, http-parser, mbedTLS; the native HTTP
# client) for FROM scratch images: $(STATIC_BUILD)/recipe-static, stripped. See deploy/Dockerfile.
static: deps
	cmake -S . -B $(STATIC_BUILD) -DCMAKE_BUILD_TYPE=Release -DGK_TESTS=OFF -DGK_STATIC=ON >/dev/null
	cmake --build $(STATIC_BUILD) -j $(JOBS) --target recipe
	strip -o $(STATIC_BUILD)/recipe-static $(STATIC_BUILD)/examples/recipe
	@ls -l $(STATIC_BUILD)/recipe-static

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(STATIC_BUILD)
