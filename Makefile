# Two commands on a fresh machine: `make book` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# A TeX error fails the PDF build instead of waiting for input.
LATEXOPTS ?= -interaction=nonstopmode -halt-on-error

.PHONY: book pdf test serve setup system-deps vendor exercises clean

setup: $(STAMP) vendor

# Reinstall when the pins change; constraints.txt pins every transitive package too.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e .
	@touch $@

# JavaScript the site loads (MathJax, RequireJS, the ipywidgets HTML manager) comes from npm, pinned
# in package-lock.json, and is copied into the build: the site never calls a CDN. axe-core (a
# devDependency) stays in node_modules: the accessibility tests inject it, the site never loads it.
vendor: book/_static/vendor/.stamp
book/_static/vendor/.stamp: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	mkdir -p book/_static/vendor
	cp node_modules/requirejs/require.js book/_static/vendor/require.js
	cp node_modules/@jupyter-widgets/html-manager/dist/{embed-amd.js,*.woff,*.woff2,*.eot,*.ttf,*.svg} book/_static/vendor/
	rm -rf book/_static/vendor/mathjax && cp -r node_modules/mathjax/es5 book/_static/vendor/mathjax
	@touch $@

# Debian packages the tests need: Chromium for the browser test, bubblewrap for the grading sandbox.
system-deps:
	@bash scripts/install-system-deps.sh

book: setup
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# The printed book (_build/latex/seqbook.pdf, Sphinx's LaTeX builder with TeX Live from Debian),
# then the website, which copies it into _build/html and links it. Both builds share the
# notebooks' execution cache: whichever runs second executes nothing.
pdf: setup system-deps
	LATEXOPTS="$(LATEXOPTS)" $(BIN)/jupyter-book build . --builder pdflatex -W -n --keep-going
	$(MAKE) book

# One pytest-xdist worker per core; tests sharing a module's fixture stay on one (tests/conftest.py).
test: setup system-deps
	$(BIN)/python -m pytest -n auto --dist loadgroup

# Regenerate the student notebooks (exercises/) from the instructor notebooks (solutions/).
exercises: setup
	@for dir in solutions/*/; do \
	  name=$$(basename $$dir); \
	  (cd autograder && PATH="$(CURDIR)/$(BIN):$$PATH" nbgrader generate_assignment $$name --force --no-db) || exit 1; \
	done

serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "Serving http://localhost:$(PORT)/"
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

clean:
	rm -rf _build book/_static/vendor node_modules
