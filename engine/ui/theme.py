"""The two themes of the desktop app, "dark matte" (the default, as in the original tool) and
light, and the switch between them. The choice is a local setting of this install (``ui_theme``),
so it is remembered across reloads and restarts, in the window and in a browser alike."""

from __future__ import annotations

from nicegui import ui

from engine import local_settings
from engine.context import EngineContext

SETTING = "ui_theme"
DARK, LIGHT = "dark", "light"

PALETTES = {
    # Greys that are not black, a muted steel blue, softened state colours: easy on the eyes for
    # a day of reading strings.
    DARK: {
        "primary": "#7f9cc0",
        "secondary": "#7fa89a",
        "accent": "#b59acb",
        "dark": "#2a2c31",
        "dark_page": "#1f2024",
        "positive": "#6aa77f",
        "negative": "#d46a63",
        "info": "#6ea6c8",
        "warning": "#d9a85a",
    },
    LIGHT: {
        "primary": "#3b6ea5",
        "secondary": "#2f7d6d",
        "accent": "#7b4ea3",
        "positive": "#2e7d4f",
        "negative": "#b3261e",
        "info": "#1f6f9f",
        "warning": "#b26a00",
    },
}

# Colours Quasar's palette does not cover: the header bar, the surfaces of both themes, the
# difference marks of match reviews. Shared by every page.
CSS = """
body.body--dark { --lx-header: #26282d; --lx-header-text: #d9dce1; --lx-muted: #9aa0a8;
  --lx-surface: #2a2c31; --lx-del: #5a2f2f; --lx-ins: #2f4f3a; color: #d9dce1; }
body.body--light { --lx-header: #3b6ea5; --lx-header-text: #ffffff; --lx-muted: #5f6670;
  --lx-surface: #ffffff; --lx-del: #f6d5d2; --lx-ins: #d3ecd9; background: #f4f5f7; }
.lx-header { background: var(--lx-header) !important; color: var(--lx-header-text) !important; }
.lx-header a { color: var(--lx-header-text) !important; }
.lx-muted { color: var(--lx-muted); }
.lx-nav-current { font-weight: 700; text-decoration: underline; text-underline-offset: 6px; }
.lx-diff-del { background: var(--lx-del); text-decoration: line-through; }
.lx-diff-ins { background: var(--lx-ins); }
body { font-family: "Noto Sans", "Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo",
  system-ui, sans-serif; }
.lx-mono { font-family: "Noto Sans Mono", "Noto Sans Mono CJK KR", ui-monospace, monospace; }
"""


def current(ctx: EngineContext) -> str:
    with ctx.db.read() as conn:
        value = local_settings.get(conn, SETTING, DARK)
    return value if value in PALETTES else DARK


def remember(ctx: EngineContext, theme: str) -> None:
    with ctx.db.write() as conn:
        local_settings.put(conn, SETTING, theme)


def apply(ctx: EngineContext) -> str:
    """Set this page's theme from the remembered choice; returns it."""
    theme = current(ctx)
    ui.dark_mode(theme == DARK)
    ui.colors(**PALETTES[theme])
    return theme


def toggle_button(ctx: EngineContext, theme: str) -> None:
    """A header button that switches to the other theme, remembers it and reloads the page."""
    other = LIGHT if theme == DARK else DARK

    def switch() -> None:
        remember(ctx, other)
        ui.navigate.reload()

    icon = "light_mode" if other == LIGHT else "dark_mode"
    button = ui.button(icon=icon, on_click=switch).props(
        f"flat round dense color=white data-testid=theme-toggle aria-label='{other} theme'"
    )
    button.tooltip(f"Switch to the {other} theme")
