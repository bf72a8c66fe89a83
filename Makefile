# The README promises two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser test lint typecheck unit demo bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,plot,tpe,report]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src tests

# The report's test draws the page in headless Chromium (Debian's package); where it
# cannot be installed, that test says so and is skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo "sudo -n" ); \
	  echo "installing chromium for the report's browser test"; \
	  { $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq >/dev/null 2>&1 && \
	      $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; }; } || \
	  echo "chromium could not be installed: the report's browser test will be skipped"; }

# Two workers: most tests wait on mock jobs and servers rather than the CPU, so the
# suite takes about half as long (every test passes on a loaded machine).
unit: $(STAMP) browser
	$(BIN)/pytest -n 2

test: lint typecheck unit

demo: $(STAMP)
	rm -f .demo.ledger.jsonl .demo.ledger.jsonl.mock* .demo.png .demo.html
	@echo '--- submit the 12-job demo sweep to the embedded mock (jobs run 3-8 s; some fail)'
	$(BIN)/sagesweep submit configs/demo.yaml --mock --ledger .demo.ledger.jsonl --rate 20
	@echo '--- the same command again: the ledger says every job is done, so no call is made'
	$(BIN)/sagesweep submit configs/demo.yaml --mock --ledger .demo.ledger.jsonl --rate 20
	@echo '--- where the sweep stands, seconds after the launch'
	$(BIN)/sagesweep status configs/demo.yaml --mock --ledger .demo.ledger.jsonl
	@echo '--- ten seconds later: every job has ended, a few of them failed'
	sleep 10
	$(BIN)/sagesweep status configs/demo.yaml --mock --ledger .demo.ledger.jsonl
	@echo '--- run the failed jobs again, as attempt -r1 (a name is never reused)'
	$(BIN)/sagesweep resubmit configs/demo.yaml --mock --ledger .demo.ledger.jsonl --rate 20
	sleep 9
	$(BIN)/sagesweep status configs/demo.yaml --mock --ledger .demo.ledger.jsonl
	@echo '--- the best jobs by validation:auc, and a plot of it against each parameter'
	$(BIN)/sagesweep results configs/demo.yaml --mock --ledger .demo.ledger.jsonl \
		--sort validation:auc --top 5 --plot .demo.png
	@echo '--- the whole sweep as one page: jobs over time, spend, best so far, each parameter'
	$(BIN)/sagesweep report configs/demo.yaml --mock --ledger .demo.ledger.jsonl -o .demo.html
	@echo "--- open $(CURDIR)/.demo.html in a browser (it needs no network)"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(if $(QUICK),--quick,)
	$(BIN)/python benchmarks/search_bench.py $(if $(QUICK),--quick --seeds 3 --count 30,--seeds 5 --count 30 --count 60)
	$(BIN)/python benchmarks/early_bench.py $(if $(QUICK),--quick --seeds 2 --count 18,--seeds 5 --count 60)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
