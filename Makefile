# Two commands on a fresh machine: `make synth` and `make test`. Both set everything up and are idempotent.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.deps-installed
NPM_STAMP := node_modules/.deps-installed
# The pinned CLI from package.json, called directly (npx would add its own start-up and warnings).
CDK   := node_modules/.bin/cdk

# aws-cdk-lib runs on jsii, which prints a Node.js end-of-life banner on every run under Node 20 (jsii dropped it on
# 2026-10-30). Only END_OF_LIFE silences that banner, and only when it lists the running major version (comma-separated;
# "1" or "true" do not work). DEPRECATED covers the earlier "deprecated" phase of a version (any value).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 18,20
export CDK_DISABLE_CLI_TELEMETRY := true
# The CDK CLI runs `python3 app.py` (cdk.json): the venv comes first on PATH so that it finds aws-cdk-lib.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: setup synth test dist diff deploy destroy rehearse bench regenerate clean checkov checkov-setup mutation readme

setup: $(PIP_STAMP) $(NPM_STAMP)

$(PIP_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# checkov (requirements-checkov.txt) lives in its own venv: it pins an older botocore than the project's.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.deps-installed
CHECKOV_OUT   := cdk.out/checkov

$(CHECKOV_STAMP): requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $@

checkov-setup: $(CHECKOV_STAMP)

# Scans the synthesized templates (CloudFormation framework, offline); JSON for `make review` in cdk.out/checkov/.
# Skips come from the templates' Metadata.checkov.skip, which the library writes with each acknowledgement.
checkov: synth checkov-setup
	@$(PY) scripts/run_checkov.py cdk.out --output $(CHECKOV_OUT)

synth: setup
	@$(CDK) synth --quiet --no-notices
	@echo "Synthesized into cdk.out/: $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

# One pytest-xdist worker per core, at most 4 (each runs its own jsii runtime); PYTEST_WORKERS=0 runs in one process.
# Whole test modules go to a worker, the reference app's together (tests/xdist_scheduling.py).
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))

test: setup checkov-setup
	@$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# The sdist and the wheel (handlers, registry data and py.typed inside), built in an isolated environment and
# checked with twine as PyPI would.
dist: setup
	@rm -rf dist build && mkdir dist
	@$(PY) -m build --outdir dist . > dist/build.log 2>&1 || { cat dist/build.log; exit 1; }
	@rm dist/build.log
	@$(PY) -m twine check --strict dist/*

diff: setup
	@$(CDK) diff --no-notices $(ARGS)

deploy: setup
	@$(CDK) deploy --no-notices $(ARGS)

destroy: setup
	@$(CDK) destroy --no-notices $(ARGS)

# Checks your account's SageMaker and Lambda quotas against what cdk.out needs (README: First deploy on a new account).
# Exit 1: a quota is short (the table names it and where to request more); exit 2: no credentials or no access.
.PHONY: preflight iam-lint
preflight: synth
	@$(PY) scripts/preflight.py $(ARGS)

# The IAM lint of `make test`, on cdk.out: every policy document checked against AWS's IAM data (parliament).
iam-lint: synth
	@$(PY) tests/iam_lint.py cdk.out/*.template.json

# One offline HTML page of what cdk.out deploys: diagrams, IAM, exposure, keys, capacity, every scanner's findings
# (README: Reviewing a change). Open cdk.out/review/index.html in a browser.
.PHONY: review
review: checkov
	@$(PY) scripts/review.py $(ARGS)

rehearse: setup
	@$(PY) scripts/rehearse.py $(ARGS)

bench: setup
	@$(PY) bench/run.py $(ARGS)

# Mutation testing of the handlers and validation modules (mutmut): minutes, not for make test. Writes
# mutation/scores/<target>.json and the README's generated figures (also when a target misses its goal).
mutation: setup
	@$(PY) scripts/mutation.py $(ARGS); status=$$?; $(PY) scripts/readme_figures.py; exit $$status

readme: setup
	@$(PY) scripts/readme_figures.py

regenerate: setup
	@$(PY) scripts/generate_image_registry.py
	@$(PY) scripts/generate_labeling_registry.py

clean:
	rm -rf cdk.out .pytest_cache .hypothesis bench/out .mutation dist build
