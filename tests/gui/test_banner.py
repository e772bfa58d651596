"""Banner: dismissing it, and an action hiding it before it runs."""

from __future__ import annotations

from faceapp.gui.widgets.banner import Banner


def test_the_close_button_dismisses_and_an_action_hides_then_runs(qtbot) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    seen: list[bool] = []
    retry = ("Retry", lambda: seen.append(banner.isVisible()))
    banner.show_message("error", "Camera lost", [retry])
    assert not banner.isHidden() and banner.kind() == "error"
    banner.close_button.click()
    assert banner.isHidden()
    banner.show_message("warning", "Again", [retry])
    banner.trigger("Retry")
    assert seen == [False] and banner.isHidden()
