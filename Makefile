# Multitrack — every set-up step lives here. `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
OUT ?= out
PROMPT ?= 国风流行歌,古筝和笛子,贝斯和鼓
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: install demo test lint typecheck pytest sysdeps-test sysdeps-corpus sysdeps-demo corpus train bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet --no-deps tinysoundfont==0.3.7
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests need (CI runs as root); installed only when missing.
sysdeps-test:
	@command -v oscsend >/dev/null && command -v oscdump >/dev/null && command -v lua5.4 >/dev/null \
	  && command -v mma >/dev/null || \
	  { $(APT_GET) update -qq && $(APT_GET) install -y -qq liblo-tools lua5.4 mma >/dev/null; }

sysdeps-corpus:
	@command -v mma >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq mma >/dev/null; }

# A better General MIDI font than the 6 MB TimGM6mb for the demo (multitrack.render.best_soundfont).
sysdeps-demo:
	@test -f /usr/share/sounds/sf2/FluidR3_GM.sf2 || \
	  { $(APT_GET) update -qq && $(APT_GET) install -y -qq fluid-soundfont-gm >/dev/null; }

demo: install sysdeps-demo
	$(VENV)/bin/multitrack demo --out $(OUT) --prompt "$(PROMPT)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --config-file tests/examples/mypy_live.ini  # the Ableton script vs ableton-live-stubs

pytest: install sysdeps-test
	$(VENV)/bin/pytest -q -x --durations=15

test: lint typecheck pytest

corpus: install sysdeps-corpus
	$(VENV)/bin/multitrack corpus build --out data/corpus

train: install
	$(VENV)/bin/multitrack train --corpus data/corpus --out models/checkpoints --run-dir runs/default \
		--ae-steps 6000 --decoder-steps 600 --diffusion-steps 32750 --threads 1  # from scratch (docs/model.md)

bench: install
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
