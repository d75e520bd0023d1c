# tenlayer — `make demo` and `make test` do all the set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMPS := .cache/stamps
DEBIAN_PACKAGES := docker-registry skopeo umoci buildah podman runc debootstrap nftables \
	rpm db5.3-util apache2-utils ca-certificates openjdk-17-jdk-headless maven nodejs time \
	postgresql nginx-light

.PHONY: help demo test fixtures lint typecheck unit bench system-deps venv checkov clean

help:
	@echo "make demo      install what is needed, build a real image, list its packages, scan it, check example manifests and Dockerfiles, sign and verify an image"
	@echo "make test      install what is needed, build fixtures, run lint, types and all tests"
	@echo "make fixtures  build the test images (cached under .cache/fixtures)"
	@echo "make bench     run the side-by-side benchmarks against trivy, syft and checkov (builds a 2 GB image)"

system-deps: $(STAMPS)/system-deps
$(STAMPS)/system-deps: scripts/install-system-deps.sh Makefile
	scripts/install-system-deps.sh $(DEBIAN_PACKAGES)
	@mkdir -p $(STAMPS) && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --upgrade pip
	$(PYTHON) -m pip install -q -e '.[dev]'
	@touch $@

fixtures: system-deps venv
	$(PYTHON) scripts/fixtures/build.py

demo: system-deps venv
	$(PYTHON) scripts/fixtures/build.py --only app
	scripts/demo.sh

lint: venv
	$(VENV)/bin/ruff check src tests scripts bench

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(VENV)/bin/pytest

test: system-deps venv fixtures lint typecheck
	$(VENV)/bin/pytest

# checkov, a peer of `tenlayer k8s check`, is large: its own virtualenv, for make bench only.
CHECKOV_VENV := .cache/peers/checkov
checkov: $(CHECKOV_VENV)/.installed
$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q checkov
	@touch $@

bench: system-deps venv fixtures checkov
	$(PYTHON) scripts/fixtures/build.py --only big
	$(PYTHON) bench/run_all.py

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
