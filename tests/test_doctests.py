"""Every example in a kmeta docstring runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest

import kmeta

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(kmeta.__path__, prefix="kmeta.") if not m.name.split(".")[-1].startswith("_")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} failing example(s) in {name}"
