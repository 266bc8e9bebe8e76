"""Similar strings: groups of similar source strings, and auto-translation from the most similar
translated string."""

from __future__ import annotations

from engine.tools.base import Function, Tool
from engine.tools.similar_strings import autotranslate, groups

TOOL = Tool(
    name="similar_strings",
    title="Similar strings",
    description="Find groups of similar source strings; fill untranslated strings from similar "
    "translated ones.",
    functions=(
        Function(
            name="find_groups",
            title="Find groups",
            description="Groups of similar source strings (threshold, minimum length, optionally "
            "only across categories: file or StringID prefix).",
            run=groups.find_groups,
            params=groups.GroupParams,
        ),
        Function(
            name="auto_translate",
            title="Auto-translate",
            description="Fill untranslated strings from the most similar translated string, "
            "keeping the source's line structure; report what was filled and from where.",
            run=autotranslate.auto_translate,
            params=autotranslate.AutoTranslateParams,
        ),
    ),
)
