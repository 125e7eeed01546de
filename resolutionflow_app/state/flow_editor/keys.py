"""EditorKeysState: the editor's page-wide listeners (leave guard, undo/redo keys), installed once the page runs."""

from __future__ import annotations

import reflex as rx

from resolutionflow_app.state.auth import AuthState

_UNSAVED_GUARD = """
if (!window.__rfUnsavedGuard) {
  window.__rfUnsavedGuard = true;
  window.addEventListener('beforeunload', function (e) {
    var el = document.querySelector('[data-unsaved="1"]');
    if (el) { e.preventDefault(); e.returnValue = ''; return ''; }
  });
}
if (!window.__rfUndoKeys) {
  window.__rfUndoKeys = true;
  // Ctrl/Cmd+Z undoes the last structure edit, Ctrl/Cmd+Shift+Z (or Ctrl+Y) redoes it; inside a text field the
  // browser's own text undo applies.
  window.addEventListener('keydown', function (e) {
    if (!(e.ctrlKey || e.metaKey)) return;
    var key = (e.key || '').toLowerCase();
    if (key !== 'z' && key !== 'y') return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(input|textarea|select)$/i.test(t.tagName))) return;
    var id = (key === 'y' || e.shiftKey) ? 'redo' : 'undo';
    var button = document.querySelector('[data-testid="' + id + '"]');
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  });
}
"""


class EditorKeysState(AuthState):
    """Installs the listeners; the keys click the Undo/Redo buttons, so they obey the same guard as the buttons."""

    @rx.event
    def install(self):
        """Run the listeners' script once the page is live (each listener guards against a second install)."""
        return rx.call_script(_UNSAVED_GUARD)
