# curriculum-teacher: two commands matter, `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: setup test lint typecheck layers pytest contract postgres-binaries browser-binaries screenshots demo bench bench-teachers bench-envs bench-server bench-students bench-dashboard bench-faults bench-client bench-grid bench-parity rllib-venv rllib-example clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# CPU torch must come first: later resolution would otherwise pull a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[all,dev]'
	touch $(STAMP)

lint: setup
	$(BIN)/ruff check teacher envs server students curriculum tests benchmarks examples

typecheck: setup
	$(BIN)/mypy

layers: setup
	$(BIN)/lint-imports

pytest: setup postgres-binaries browser-binaries
	$(BIN)/python -m pytest -q -ra

# The HTTP contract alone: schemathesis against a live server (also part of `make pytest`).
contract: setup
	$(BIN)/python -m pytest -q tests/server/test_schemathesis.py tests/server/test_openapi_contract.py tests/server/test_hostile_input.py

# The PostgreSQL store's tests start a private server from Debian's binaries; install them
# when we can (root with apt), else those tests are skipped (.ci/run makes that an error).
postgres-binaries:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; }; } || \
	echo "No PostgreSQL server binaries: the PostgreSQL store tests will be skipped."

# The dashboard's browser tests drive Debian's Chromium through its chromedriver (never a
# downloaded browser or driver); install them like PostgreSQL, else those tests are skipped.
browser-binaries:
	@{ [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }; }; } || \
	echo "No Chromium: the dashboard's browser tests will be skipped."

# Refresh the dashboard screenshots and the comparison figure shown in the README and docs.
screenshots: setup browser-binaries
	CURRICULUM_SCREENSHOTS=docs/img CURRICULUM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -m browser tests/server/test_dashboard_browser.py
	$(BIN)/python -m benchmarks.compare_figure

test: lint typecheck layers pytest

demo: setup
	$(BIN)/curriculum demo

bench: bench-teachers bench-envs bench-server bench-students bench-dashboard bench-client

bench-teachers: setup
	$(BIN)/python -m benchmarks.bench_teachers

bench-envs: setup
	$(BIN)/python -m benchmarks.bench_envs

bench-server: setup
	# wrk (Debian package) drives the load; without it a weaker Python client is used.
	command -v wrk >/dev/null || (apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)) || true
	$(BIN)/python -m benchmarks.bench_server

bench-students: setup
	$(BIN)/python -m benchmarks.bench_students

bench-dashboard: setup browser-binaries
	$(BIN)/python -m benchmarks.bench_dashboard

# Fault injection (SIGKILLs, cut PostgreSQL connections, database outages) and a 10-minute
# soak; not part of `make bench` (about 15 minutes).
bench-faults: setup
	$(BIN)/python -m benchmarks.bench_faults

bench-client: setup
	$(BIN)/python -m benchmarks.bench_client

# One `curriculum grid` (2 teachers x 2 seeds on a local Ray) against the same runs
# started directly; not part of `make bench` (a few minutes).
bench-grid: setup
	$(BIN)/python benchmarks/bench_grid.py

# Our alp-gmm against the paper's reference code (flowersteam/teachDeepRL), checked out
# OUTSIDE this repository: make bench-parity REF=/path/to/teachDeepRL. Not part of
# `make bench` (about an hour on 2 cores).
REF ?= ../teachDeepRL
bench-parity: setup
	$(BIN)/python -m benchmarks.bench_parity $(REF)

# RLlib as a client (examples/rllib_ppo_teacher.py) in its own virtual environment:
# ray[rllib] pins gymnasium 1.2.2, older than the project's; never downgrade .venv for it.
RLLIB_VENV := .venv-rllib
rllib-venv: $(RLLIB_VENV)/.installed

$(RLLIB_VENV)/.installed: pyproject.toml
	test -x $(RLLIB_VENV)/bin/python || $(PY) -m venv $(RLLIB_VENV)
	$(RLLIB_VENV)/bin/pip install --quiet torch==2.13.0
	# gymnasium 1.2.2's [box2d] extra wants box2d-py (a swig build); the project's Box2D
	# wheel (box2d) provides the same module, so the project goes in without its extras.
	$(RLLIB_VENV)/bin/pip install --quiet 'ray[rllib]==2.60.0' 'gymnasium==1.2.2' 'box2d>=2.3.10' \
	    pygame imageio numpy scipy scikit-learn typer httpx 'pydantic>=2.6' fastapi \
	    'uvicorn[standard]' pydantic-settings prometheus-client
	$(RLLIB_VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

rllib-example: rllib-venv
	$(RLLIB_VENV)/bin/python examples/rllib_ppo_teacher.py --iterations 2 --out runs/rllib-example

clean:
	rm -rf $(VENV) $(RLLIB_VENV) .pytest_cache .mypy_cache .ruff_cache
