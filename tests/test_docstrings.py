"""The API reference reads every docstring as numpydoc: `name : type`, then the description
indented below. A description written after the colon renders as the parameter's type (issue 12),
so every entry's type must be a type: the words below, shapes, literals and class names."""

import importlib
import inspect
import pkgutil
import re

import pytest

import rnnlib

SECTION = re.compile(r"^(Parameters|Returns|Yields|Other Parameters|Attributes)\n-+\n(.*?)(?=\n\n[A-Z][a-z ]+\n-+\n|\Z)", re.M | re.S)
ENTRY = re.compile(r"^([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*) : (.*)$")
TYPE_WORDS = {
    "ndarray", "ndarrays", "int", "ints", "float", "floats", "str", "bool", "dict", "dicts", "list", "lists",
    "tuple", "tuples", "callable", "None", "object", "sequence", "collection", "iterable", "iterator", "path-like",
    "np.random.Generator", "np.dtype", "np.float64", "np.float32", "float32", "float64", "int64", "integer",
    "boolean", "optional", "any", "shape", "positive", "non-negative", "Path", "type", "matplotlib",
}
# Pieces a type may contain besides those words: shapes, literal values and sets of them, class names.
ATOMS = re.compile(
    r"\((?:[^()]|\([^()]*\))*\)"  # a shape such as (N, T, D) or (N, T) (or (N,)) nested once
    r"|\{[^}]*\}"  # a set of allowed values, {"rnn", "lstm", "gru"}
    r"|\"[^\"]*\"|'[^']*'"  # a literal
    r"|\b[A-Z][a-z]+[A-Za-z0-9]*\b"  # a class name such as CharLM or Vocabulary (not a dimension such as N)
    r"|\bmatplotlib(?:\.\w+)+\b|\bnp\.\w+(?:\.\w+)*|\bipywidgets\.\w+"
)
SEPARATORS = re.compile(r"\s*(?:\||,|\bor\b|\bof\b|->|\[|\]|\.\.\.)\s*|\s+")


def sections():
    """(where, section name, section body) of every public function, class and method."""
    for info in pkgutil.iter_modules(rnnlib.__path__):
        module = importlib.import_module(f"rnnlib.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            members = [(name, obj)]
            if inspect.isclass(obj):
                members += [(f"{name}.{k}", v) for k, v in vars(obj).items() if inspect.isfunction(v)]
            for qualname, member in members:
                for section in SECTION.finditer(inspect.getdoc(member) or ""):
                    yield f"{module.__name__}.{qualname}", section.group(1), section.group(2)


def entries():
    for where, _, body in sections():
        for line in body.splitlines():
            match = ENTRY.match(line)
            if match:
                yield where, match.group(1), match.group(2)


SHAPE_WORDS = {"directions", "updates", "chunks"}  # lower-case words that name a dimension inside a shape


def is_type(text: str) -> bool:
    text = text.translate(str.maketrans("\u201c\u201d\u2018\u2019", "\"\"''"))  # as Sphinx renders quotes
    for group in re.findall(r"\((?:[^()]|\([^()]*\))*\)", text):
        # a shape names dimensions (N, T, 2H, num_layers * directions); "(default)" is a description
        words = re.findall(r"[A-Za-z_]+", group)
        if any(w[0].islower() and "_" not in w and len(w) > 2 and w not in SHAPE_WORDS for w in words):
            return False
    rest = ATOMS.sub(" ", text)
    return all(word in TYPE_WORDS for word in SEPARATORS.split(rest) if word)


def test_the_type_checker_tells_types_from_descriptions():
    for good in ("ndarray of shape (N, T, D)", "int | None", 'optional {"rnn", "lstm"}', "dict of str -> ndarray",
                 "np.random.Generator", "CharLM", "ndarray of shape (N, T) (or (N,))", "tuple of int", "float, optional",
                 "optional ndarray of shape (num_layers * directions, N, H)", "\u201cgru\u201d"):
        assert is_type(good), good
    for bad in ("largest relative error accepted", "N", "also return delta_t", "ndarray of shape (N,), targets in [0, 1]",
                "np.random.Generator for the initial weights", "the :class:`CharLM` to train",
                '"rnn" (default), "lstm" or "gru"', "\u201crnn\u201d (default)"):
        assert not is_type(bad), bad


def test_every_parameter_entry_puts_a_type_after_the_colon():
    garbled = [f"{where}: {names} : {text}" for where, names, text in entries() if not is_type(text)]
    assert not garbled, f"{len(garbled)} entries put a description where the type goes:\n" + "\n".join(garbled)


def test_no_prose_paragraph_hides_inside_a_parameters_or_returns_section():
    """After a blank line, a paragraph at the entries' indentation is read as one more entry
    whose name is its first words: prose about the arguments goes before the section."""
    stray = []
    for where, _, body in sections():
        for paragraph in body.split("\n\n")[1:]:
            first = paragraph.strip("\n").splitlines()[0] if paragraph.strip() else ""
            if first and not first.startswith((" ", ">>>", "...")):
                stray.append(f"{where}: {first[:70]}")
    assert not stray, "prose inside a section:\n" + "\n".join(stray)


@pytest.mark.parametrize("name", ["lstm_backward", "gru_backward", "rnn_backward"])
def test_backward_functions_document_their_cache(name):
    doc = inspect.getdoc(getattr(rnnlib, name))
    assert re.search(r"^cache : dict$", doc, re.M), name
