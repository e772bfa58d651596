"""The Help menu's texts: the usage guide, About's header, a licence notice, a shortcut row."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence

from faceapp.session.licences import MODEL_FILE, LicenceNotice, model_identity

log = logging.getLogger(__name__)

#: The short usage guide of Help > How to use.
HOW_TO_HTML = """
<h3>How to use faceapp</h3>
<ol>
<li><b>Choose what to watch</b>: File &gt; Change source… (a camera, a video file, a folder
of photos, or the demo).</li>
<li><b>Enrol people</b>: with a face in view, Gallery &gt; Capture face… checks the face
(size, sharpness, facing the camera, head upright) and stores it under a name; or select
a person and use <i>Add photos…</i>.  Two to five samples per person work best.</li>
<li><b>Recognition</b> names every face in view: the name and the distance to the
nearest person; a face near someone but not near enough to be named is <i>maybe X?</i>
(amber), one farther away <i>Unknown</i>.</li>
<li><b>Verification</b> checks one claimed identity: choose the person in the Mode panel;
the face in view is accepted or rejected.</li>
<li><b>Threshold</b>: in recognition, choose how often a stranger may be given someone's
name (1 in 100 by default); the distance follows the number of people enrolled, unless
you fix one.  In verification, a distance: lower is stricter (fewer false accepts, more
misses).</li>
</ol>
<p>Everything runs on this computer; photos and the gallery never leave it.</p>
"""


def about_html(version: str) -> str:
    """Return the About dialog's header (rich text): version, model identity, what follows."""
    return (
        f"<h2>faceapp {html.escape(version)}</h2>"
        "<p>Face recognition on this computer: MTCNN detection, FaceNet embeddings"
        " (Inception-ResNet-v1, 128-d).  faceapp itself is MIT-licensed.</p>"
        f"<p><b>Model</b>: {MODEL_FILE}, SHA-256<br><tt>{model_identity()}</tt></p>"
        "<p><b>Third-party components</b> shipped with the app; select one to read"
        " its licence.</p>"
    )


def notice_item(notice: LicenceNotice) -> tuple[str, str]:
    """Return a component's text in the list (its name, the licence's short name) and tip."""
    licence = notice.licence.split(" (")[0]
    text = f"{notice.component}\n{licence}" if licence else notice.component
    return text, f"{notice.component}\n{notice.licence}"


def notice_text(notice: LicenceNotice) -> str:
    """Return the text of a component's licence notice, or why it cannot be read."""
    path = notice.path
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
        return f"Cannot read {path}: {exc.strerror or exc}"


def shortcut_row(label: str | None, text: str, keys: Sequence[str]) -> tuple[str, str]:
    """Return an action's row of the shortcuts table: what it does, and its keys.

    Parameters
    ----------
    label : str or None
        The action's own name for the table, when its text alone would not do.
    text : str
        The action's text (its ``&`` mnemonic and trailing ellipsis are dropped).
    keys : sequence of str
        Its shortcuts, as shown to the user.
    """
    return label or text.replace("&", "").rstrip("…"), ", ".join(keys)
