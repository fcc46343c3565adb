"""Let ``{glue:text}`key:.2f``` format numpy scalars (a local Sphinx extension).

myst-nb 1.4 formats a glued value from its ``text/plain`` representation, which it
parses with ``ast.literal_eval``. Since numpy 2.0 the representation of a numpy scalar
is ``np.float64(0.134...)`` rather than ``0.134...``, which ``literal_eval`` cannot read,
so a format specification such as ``:.2f`` fails with "Failed to format text/plain data"
(a build warning, so a failed build) whenever a chapter glues a value that came out of
numpy. Chapters may still glue ``float(x)``; this shim makes the natural
``glue("mu", res.estimate)`` work too.

It wraps myst-nb's ``format_plain_text`` so that a text that is exactly one numpy scalar
representation (``np.float64(...)``, ``np.int64(...)``, ``np.True_`` ...) is reduced to
the literal inside before formatting. Any other text is passed through unchanged, and
the number is not altered: ``repr`` of a numpy float holds its shortest round-trip
digits, exactly like ``repr`` of a Python float.
"""
from __future__ import annotations

import re

_NUMPY_SCALAR = re.compile(
    r"^np\.(?:float(?:16|32|64|128)|longdouble|int(?:8|16|32|64)|uint(?:8|16|32|64)|"
    r"intp|uintp|complex(?:64|128|256))\((?P<literal>[^()]*)\)$"
)
_NUMPY_BOOL = {"np.True_": "True", "np.False_": "False"}


def unwrap_numpy_scalar(text: str) -> str:
    """``"np.float64(1.5)"`` -> ``"1.5"``; anything else unchanged."""
    stripped = text.strip()
    if stripped in _NUMPY_BOOL:
        return _NUMPY_BOOL[stripped]
    match = _NUMPY_SCALAR.match(stripped)
    return match.group("literal") if match else text


def _patch():
    from myst_nb.ext.glue import crossref, roles

    original = roles.format_plain_text
    if getattr(original, "_kmeta_numpy_aware", False):
        return

    def format_plain_text(text: str, fmt_spec: str) -> str:
        return original(unwrap_numpy_scalar(text), fmt_spec)

    format_plain_text._kmeta_numpy_aware = True
    roles.format_plain_text = format_plain_text
    crossref.format_plain_text = format_plain_text


def setup(app):
    _patch()
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
