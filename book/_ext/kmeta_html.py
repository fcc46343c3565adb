"""Small fixes to the HTML pages (a local Sphinx extension, see _config.yml).

Inline scripts are emitted twice. With Jupyter Book 1.0.4 on Sphinx 7.4, the inline
``<script>`` bodies that extensions register (sphinx-thebe's configuration,
sphinx-togglebutton's selector) appear twice in every page's ``<head>``. For
sphinx-thebe this is a real JavaScript error in the browser console
("Identifier 'THEBE_JS_URL' has already been declared"), which scripts/check_site.py
reports. This extension drops exact duplicates (same file or same inline body, same
attributes; an inline script's file name may be None or "") from the list of scripts of
each page before it is rendered; the order of the first occurrences is kept.
"""
from __future__ import annotations


def _script_key(script):
    # An inline script has filename None or "" depending on who registered it.
    filename = getattr(script, "filename", script) or None
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(filename) if filename is not None else None,
        tuple(sorted((k, str(v)) for k, v in attributes.items() if k != "priority")),
    )


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    # Run late, after the theme and other extensions have added their scripts.
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
