# symroute: `bin/run <target>` installs the Debian packages first; `make <target>` assumes them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PYTHON ?= python3
# podman on the lab machines: runc instead of crun, explicit ulimits (molecule/resources/containers.conf).
export CONTAINERS_CONF ?= $(CURDIR)/molecule/resources/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(BIN):$(PATH)
HOST ?= edge
# The benchmarks share the tests' helpers (tests/) and the router package (module_utils/).
BENCH := PYTHONPATH=$(CURDIR)/tests:$(CURDIR)/module_utils:$(CURDIR) $(BIN)/python

.PHONY: help setup test lint format sanity unit integration molecule bench-smoke bench demo lab-up lab-down lab-shell plan clean molecule-router molecule-incident molecule-fleet molecule-ha collection

help:
	@echo "bin/run demo    the incident lab: the failing request, symmetric-routing.yml, the working request"
	@echo "bin/run test    every test and linter (what CI runs)"
	@echo "make plan       bin/symroute plan --inventory inventories/lab"
	@echo "make bench      benchmarks -> docs/performance.md"
	@echo "make lab-down   remove the lab; make lab-shell HOST=edge opens a shell in a lab container"

$(VENV)/.installed: requirements.txt requirements.yml pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --editable .
	$(BIN)/ansible-galaxy collection install -r requirements.yml >/dev/null
	$(BIN)/python bin/get-pip-offline --install
	touch $@

setup: $(VENV)/.installed

test: setup lint unit integration bench-smoke molecule
	@echo "symroute: all tests passed"

# The code gates (CONTRIBUTING.md): YAML and Ansible, ruff (lint and format), mypy (engine and router
# package), and ansible-test sanity on the built collection (bin/sanity).
lint: setup
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --offline --profile production
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	BIN=$(BIN) bin/sanity

sanity: setup
	BIN=$(BIN) bin/sanity

format: setup
	$(BIN)/ruff format .

unit: setup
	$(BIN)/pytest -q tests/unit

integration: setup
	$(BIN)/pytest -q tests/integration

bench-smoke: setup
	$(BENCH) bench/plan_scale.py --smoke
	$(BENCH) bench/nft_load.py --smoke
	$(BENCH) bench/dataplane.py --smoke
	$(BENCH) bench/converge_time.py --smoke
	$(BENCH) bench/fleet_scale.py --smoke --rounds 1
	$(BENCH) bench/address_change.py --smoke

molecule: molecule-router molecule-incident molecule-fleet molecule-ha

molecule-router: setup
	$(BIN)/molecule test -s router

molecule-incident: setup
	$(BIN)/molecule test -s incident

molecule-fleet: setup
	$(BIN)/molecule test -s fleet

# The HA pair: its real-packet tests (tests/ha) run here, in the scenario's lab, and nowhere else in CI.
molecule-ha: setup
	$(BIN)/molecule test -s ha

demo: setup
	molecule/resources/demo.sh

lab-up: setup
	molecule/resources/lab.sh up

lab-down:
	molecule/resources/lab.sh down

lab-shell:
	molecule/resources/lab.sh shell $(HOST)

bench: setup
	$(BENCH) bench/plan_scale.py --markdown docs/results/plan_scale.md
	$(BENCH) bench/nft_load.py --markdown docs/results/nft_load.md
	$(BENCH) bench/dataplane.py --markdown docs/results/dataplane.md
	$(BENCH) bench/converge_time.py --markdown docs/results/converge_time.md
	$(BENCH) bench/fleet_scale.py --markdown docs/results/fleet_scale.md
	$(BENCH) bench/address_change.py --markdown docs/results/address_change.md
	molecule/resources/lab.sh up
	$(BIN)/ansible-playbook -i inventories/lab symmetric-routing.yml
	$(BENCH) bench/failover.py --markdown docs/results/failover.md
	$(BENCH) bench/ha_switchover.py --markdown docs/results/ha_switchover.md
	$(BENCH) bench/record.py

plan: setup
	bin/symroute plan --inventory inventories/lab

# The collection symroute.router and the engine's sdist: build/collection/, build/python/ (bin/build-collection).
collection: setup
	$(BIN)/python bin/build-collection

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
