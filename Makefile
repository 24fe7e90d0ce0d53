# Two commands on a fresh machine: `make synth` and `make test`. Both set everything up and are idempotent.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.deps-installed
NPM_STAMP := node_modules/.deps-installed
# The pinned CLI from package.json, called directly (npx would add its own start-up and warnings).
CDK   := node_modules/.bin/cdk

# aws-cdk-lib runs on jsii, which prints a Node.js end-of-life banner on every run under Node 20.
# The variable holds the silenced major versions, comma-separated.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 18,20
export CDK_DISABLE_CLI_TELEMETRY := true
# The CDK CLI runs `python3 app.py` (cdk.json): the venv comes first on PATH so that it finds aws-cdk-lib.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: setup synth test diff deploy destroy rehearse bench regenerate clean

setup: $(PIP_STAMP) $(NPM_STAMP)

$(PIP_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

synth: setup
	@$(CDK) synth --quiet --no-notices
	@echo "Synthesized into cdk.out/: $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

test: setup
	@$(PY) -m pytest $(PYTEST_ARGS)

diff: setup
	@$(CDK) diff --no-notices $(ARGS)

deploy: setup
	@$(CDK) deploy --no-notices $(ARGS)

destroy: setup
	@$(CDK) destroy --no-notices $(ARGS)

rehearse: setup
	@$(PY) scripts/rehearse.py $(ARGS)

bench: setup
	@$(PY) bench/run.py $(ARGS)

regenerate: setup
	@$(PY) scripts/generate_image_registry.py
	@$(PY) scripts/generate_labeling_registry.py

clean:
	rm -rf cdk.out .pytest_cache .hypothesis bench/out
