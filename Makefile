# SPDX-License-Identifier: Apache-2.0
# The README's two commands: `make run` (demo service) and `make test` (whole suite, sanitizers).
# Both install missing Debian packages first (apt-get update once; we run as root).

BUILD      ?= build
TEST_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local

DEB_PACKAGES = build-essential cmake pkg-config libuv1-dev libcurl4-openssl-dev libhttp-parser-dev \
               libjansson-dev curl

.PHONY: all deps build run test install static bench clean fuzz

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

test: deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGK_SANITIZE=ON >/dev/null
	cmake --build $(TEST_BUILD) -j $(JOBS)
	GK_BUILD=$(TEST_BUILD) bash tests/run.sh

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bash bench/run.sh

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
