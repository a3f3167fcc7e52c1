# Every target bootstraps the same virtual environment from pyproject.toml when it is missing or
# stale, so `make review` and `make test` work on a fresh machine with only python3 and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PIPE   := $(PY) -m pipeline
# PROTOCOL= and OUTPUTS= on any target that runs the pipeline: another protocol file or outputs folder
# (`make screen PROTOCOL=queries/other.toml OUTPUTS=out2`); unset, the defaults (queries/review.toml, outputs/).
quote   = '$(subst ','\'',$(1))'
OPTIONS = $(strip $(if $(PROTOCOL),--protocol $(call quote,$(PROTOCOL))) $(if $(OUTPUTS),--outputs $(call quote,$(OUTPUTS))))

.DEFAULT_GOAL := help
.PHONY: help venv review search check records dedup screen screen-app extract report report-check status test lint browser bench bench-parse bench-dedup bench-screen bench-extract bench-app train-dedup clean

help: ## List the targets
	@echo "make review       run the whole review offline on what the repo ships -> outputs/report/index.html"
	@echo "make test         run the test suite (installs Debian's chromium for the browser check if missing)"
	@echo "make lint         ruff and mypy, as configured in pyproject.toml"
	@echo "make search       refresh every live search: PubMed, ClinicalTrials.gov, Europe PMC (needs NCBI_EMAIL)"
	@echo "make check        look up included studies in Crossref for retractions (live; needs CONTACT_EMAIL or NCBI_EMAIL)"
	@echo "make status       what each reviewer has screened, what remains, and the next step"
	@echo "make screen-app   screen in the browser (http://127.0.0.1:8765), on the same sheets; Ctrl+C stops"
	@echo "make bench        parse, dedup, screen and extraction benchmarks (vs Bio.Entrez.read, bib-dedupe, ASReview LAB) and the app"
	@echo "make bench-parse  PubMed XML parse throughput vs Bio.Entrez.read"
	@echo "make bench-dedup  dedup accuracy (in sample and leave-one-dataset-out), time and memory vs bib-dedupe"
	@echo "make train-dedup  choose the dedup thresholds on ../shared/benchmarks/dedup -> pipeline/dedup/thresholds.json"
	@echo "make bench-screen prioritisation vs ASReview LAB on ../shared/benchmarks/screening (ARGS='--datasets ADHD --seeds 2')"
	@echo "make bench-extract precision and coverage of each suggested extraction field"
	@echo "make bench-app    the screening app: 2 reviewers x 2,000 decisions over HTTP, p50/p95 latency"
	@echo "make clean        remove what can be regenerated (never snapshots, sheets or decisions)"
	@echo "make report-check the report, checked in headless Chromium (console, requests, numbers) + screenshot"
	@echo "Stages one by one: make records | dedup | screen | extract | report"
	@echo "Any of them with PROTOCOL=file.toml and/or OUTPUTS=folder: another protocol or outputs folder"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the pipeline and its dependencies into $(VENV) ..."
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create or refresh the virtual environment

review: $(STAMP) ## The whole chain, offline
	@$(PIPE) import $(OPTIONS)
	@$(PIPE) dedup $(OPTIONS)
	@$(PIPE) screen $(OPTIONS)
	@$(PIPE) extract $(OPTIONS)
	@$(PIPE) report $(OPTIONS)
	@echo "Done: open $(abspath $(or $(OUTPUTS),outputs))/report/index.html in a browser."

search: $(STAMP) ## Live refresh: a new dated snapshot per PubMed, ClinicalTrials.gov and Europe PMC source
	@$(PIPE) search $(OPTIONS)

check: $(STAMP) ## Live retraction check of included studies in Crossref: a new dated snapshot
	@$(PIPE) check $(OPTIONS)

records: $(STAMP)
	@$(PIPE) import $(OPTIONS)

dedup: $(STAMP)
	@$(PIPE) dedup $(OPTIONS)

screen: $(STAMP)
	@$(PIPE) screen $(OPTIONS)

# The sheets are refreshed first (new studies, full-text rows), then the app serves them.
screen-app: $(STAMP)
	@$(PIPE) screen $(OPTIONS)
	@$(PIPE) app $(OPTIONS) $(ARGS)
extract: $(STAMP)
	@$(PIPE) extract $(OPTIONS)

report: $(STAMP)
	@$(PIPE) report $(OPTIONS)

report-check: $(STAMP) browser ## The report, then its check in headless Chromium (+ screenshot.png)
	@$(PIPE) report --check $(OPTIONS)

status: $(STAMP)
	@$(PIPE) status $(OPTIONS)

# Without apt-get (not Debian) nothing is installed: outside CI the browser tests then skip with one
# line; inside CI (CI set) a missing chromium is an error.
browser: ## Debian's chromium for the report check (root or sudo needed when missing)
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || { \
	  if ! command -v apt-get >/dev/null 2>&1; then \
	    if [ -n "$$CI" ]; then echo "chromium is missing and there is no apt-get to install it (CI is set)"; exit 1; fi; \
	    echo "chromium not found and no apt-get (not Debian): the browser checks will be skipped"; exit 0; \
	  fi; \
	  echo "Installing Debian's chromium for the report's browser check ..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	@$(PY) -m pytest -q

lint: $(STAMP) ## ruff (style, imports, bug patterns) and mypy (types of pipeline/)
	@$(PY) -m ruff check .
	@$(PY) -m mypy

bench: bench-parse bench-dedup bench-screen bench-extract bench-app

bench-parse: $(STAMP)
	@$(PY) -m benchmarks.parse

bench-dedup: $(STAMP)
	@$(PY) -m benchmarks.dedup

bench-app: $(STAMP)
	@$(PY) -m benchmarks.app $(ARGS)

bench-extract: $(STAMP)
	@$(PY) -m benchmarks.extract

bench-screen: $(STAMP)
	@$(PY) -m benchmarks.screen $(ARGS)

train-dedup: $(STAMP)
	@$(PY) -m benchmarks.dedup_train

clean: $(STAMP) ## Only what the pipeline regenerates
	@$(PIPE) clean $(OPTIONS)
