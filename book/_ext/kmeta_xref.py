"""Resolve references to kmeta's top-level names (a local Sphinx extension).

kmeta defines its functions in submodules and re-exports the public ones at the top
level, so docstrings and pages naturally write :func:`kmeta.meta_batch` or
:class:`kmeta.MetaResult`. The API page documents each object once, under the module
that defines it (``kmeta.batch.meta_batch``). Sphinx does not know that the two names
are the same object; with ``-n`` the short name is reported as a broken reference.

On a missing Python reference whose target starts with ``kmeta.``, this extension
imports the target, and if it is a kmeta object documented under its defining module
it resolves the reference there. Anything that does not import, or is not documented,
stays a broken reference and still fails the build.
"""
from __future__ import annotations

import importlib


def _lookup(dotted: str):
    """Import ``a.b.c`` as module ``a.b`` attribute ``c`` (or a module); None if absent."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for name in parts[cut:]:
                obj = getattr(obj, name)
        except AttributeError:
            return None
        return obj
    return None


def _canonical_name(target: str) -> str | None:
    obj = _lookup(target)
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname or not module.startswith("kmeta"):
        return None
    canonical = f"{module}.{qualname}"
    return canonical if canonical != target else None


def _resolve_reexport(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("kmeta."):
        return None
    canonical = _canonical_name(target)
    if canonical is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, node, contnode
    )


def setup(app):
    app.connect("missing-reference", _resolve_reexport)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
