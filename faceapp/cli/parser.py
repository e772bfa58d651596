"""The command line's grammar: every subcommand, its arguments and its help."""

from __future__ import annotations

import argparse
from pathlib import Path

from faceapp.cli.common import (
    Parser,
    add_common,
    add_history_flag,
    add_recognition_rule,
    positive_int,
)

#: Seconds ``faceapp video`` keeps reopening a camera or stream that stopped.
RECONNECT_FOR_S = 60.0


def non_negative_float(text: str) -> float:
    """Argparse type: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the ``faceapp`` argument parser with every subcommand."""
    parser = Parser(prog="faceapp", description="Face recognition on your own computer.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("weights", help="fetch, verify and convert the model weights")
    p.add_argument("action", choices=["fetch", "check", "convert"])
    p.add_argument("--force", action="store_true")
    add_common(p)

    p = sub.add_parser(
        "install-desktop", help="add faceapp to the desktop's application menu (this user)"
    )
    p.add_argument("--remove", action="store_true", help="take the launcher and icon away again")
    p.add_argument("--json", action="store_true", help="print one JSON document as the last line")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")

    p = sub.add_parser(
        "enroll",
        aliases=["enrol"],
        help="add photos of a person to the gallery, or of many people from a folder",
        usage="%(prog)s [options] NAME IMAGE [IMAGE ...]\n       %(prog)s [options] --folders DIR",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="who the photos show")
    p.add_argument("images", nargs="*", type=Path, metavar="IMAGE", help="photos of NAME")
    p.add_argument(
        "--folders",
        type=Path,
        default=None,
        metavar="DIR",
        help="enrol everybody in DIR instead: one sub-folder of photos per person, named "
        "after the folder, or photos directly in DIR named after their person "
        "(Ada_Lovelace.jpg, Ada_Lovelace_0002.jpg). Every photo is reported; a bad photo "
        "is skipped. Exit 0 when all were enrolled, 1 when some photos (or names) were "
        "refused and the others enrolled, 2 when DIR is missing or holds no photos",
    )
    p.add_argument("--largest", action="store_true", help="take the largest face of a group photo")
    p.add_argument(
        "--force",
        action="store_true",
        help="enrol a face even when it looks like someone else, or unlike the person's "
        "other samples (refused otherwise: exit 2, or with --folders that photo is "
        "reported and skipped)",
    )
    add_recognition_rule(p)
    add_common(p)

    p = sub.add_parser("identify", help="name every face in photos or folders of photos (1:K)")
    p.add_argument(
        "images",
        nargs="+",
        type=Path,
        metavar="PHOTO_OR_FOLDER",
        help="photos, or folders searched for photos (recursively, by file name extension; "
        "a photo in a folder that cannot be read is reported and skipped)",
    )
    p.add_argument(
        "--csv",
        default=None,
        metavar="FILE",
        help="also write one row per face (image, box x y w h, name, distance) to FILE "
        "('-': standard output instead of the usual answer)",
    )
    add_recognition_rule(p)
    add_history_flag(p)
    add_common(p)

    p = sub.add_parser("verify", help="is the face in a photo or a video the claimed person? (1:1)")
    p.add_argument("name")
    p.add_argument("image", type=Path, nargs="?", help="photo of the face (or give --video)")
    p.add_argument(
        "--video",
        default=None,
        metavar="VIDEO",
        help="a video file of the face instead, or a camera's address (rtsp://, http://...)",
    )
    p.add_argument(
        "--liveness",
        action="store_true",
        help="with --video: accept only when the person turns their head left, then right, "
        "within 6 s, matching the claim throughout (see docs/liveness.md)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="largest distance that still accepts (default: the threshold at which 1 in "
        "10,000 different-person pairs of LFW is accepted, stricter than identify's 1.07)",
    )
    p.add_argument("--largest", action="store_true", help="use the largest face of a group photo")
    add_history_flag(p)
    add_common(p)

    p = sub.add_parser(
        "gallery", help="list, rename or remove enrolled people; export or import the gallery"
    )
    gsub = p.add_subparsers(dest="action", required=True, parser_class=Parser)
    add_common(gsub.add_parser("list"))
    g = gsub.add_parser("rename")
    g.add_argument("old")
    g.add_argument("new")
    add_common(g)
    g = gsub.add_parser("remove")
    g.add_argument("name")
    add_common(g)
    g = gsub.add_parser(
        "export", help="write the gallery to one file (zip: manifest, embeddings, thumbnails)"
    )
    g.add_argument("file", type=Path)
    g.add_argument("--overwrite", action="store_true", help="replace an existing file")
    add_common(g)
    g = gsub.add_parser("import", help="add the people of an exported gallery file")
    g.add_argument("file", type=Path)
    g.add_argument(
        "--on-conflict",
        choices=["merge", "skip", "rename"],
        default=None,
        help="for people already enrolled: add their samples, leave them, or import them "
        "as 'NAME (2)' (without it such an import is refused, exit 2)",
    )
    add_common(g)
    g = gsub.add_parser("wipe", help="delete the whole gallery file")
    g.add_argument("--yes", action="store_true", help="confirm")
    g.add_argument(
        "--no-backup",
        action="store_true",
        help="keep no backup copy (and delete the one kept before): the faces are gone for good",
    )
    add_common(g)

    p = sub.add_parser(
        "video", help="recognise faces in a video file, optionally writing it annotated"
    )
    p.add_argument("input", help="video file, image folder, camera index or 'demo'")
    p.add_argument("--out", type=Path, default=None, help="annotated video to write (.mp4 or .avi)")
    add_recognition_rule(p)
    p.add_argument(
        "--max-frames", type=positive_int, default=None, help="stop after this many frames"
    )
    p.add_argument(
        "--min-face",
        type=positive_int,
        default=None,
        metavar="PX",
        help="report only faces at least PX pixels high and wide (default: any size); the "
        "live mode's detection-score floor applies either way",
    )
    p.add_argument(
        "--reconnect-for",
        type=non_negative_float,
        default=RECONNECT_FOR_S,
        metavar="S",
        help="a camera or network stream that stops is reopened (0.5, 1, 2, 2... s apart) "
        f"for up to S seconds, then the run ends with status 2 (default {RECONNECT_FOR_S:g}; "
        "0: end at once)",
    )
    add_history_flag(p)
    add_common(p)

    p = sub.add_parser(
        "history", help="the recognition history: list, filter, export as CSV, settings"
    )
    p.add_argument(
        "--since",
        default=None,
        help="from this date or time (2026-11-01, 2026-11-01T08:30) "
        "or this long ago (30m, 12h, 7d)",
    )
    p.add_argument("--until", default=None, help="before this date or time (same forms)")
    p.add_argument("--name", default=None, help="only the events of this person")
    p.add_argument(
        "--decision",
        choices=["named", "maybe", "unknown", "corrected", "accepted", "rejected"],
        action="append",
        help="only these decisions (repeatable); 'corrected': kept from being named X by "
        "a 'not X' correction (faceapp correct)",
    )
    p.add_argument("--mode", choices=["recognition", "verification"], default=None)
    p.add_argument(
        "--desk",
        default=None,
        help="only the events recorded by this desk (a shared gallery; a desk's name is "
        "$FACEAPP_DESK, else its host name)",
    )
    p.add_argument("--limit", type=positive_int, default=None, help="the newest N events")
    p.add_argument("--csv", default=None, help="write the events to this CSV file ('-': stdout)")
    p.add_argument(
        "--daily",
        action="store_true",
        help="attendance instead of events: per person and day (local time), the first and "
        "last time seen and the appearances (named and verified faces; with --csv as CSV)",
    )
    on_off = p.add_mutually_exclusive_group()
    on_off.add_argument("--enable", action="store_true", help="record history in this gallery")
    on_off.add_argument(
        "--disable",
        action="store_true",
        help="record no history in this gallery (what was recorded stays)",
    )
    p.add_argument(
        "--retention", type=positive_int, default=None, help="keep events this many days (30)"
    )
    p.add_argument("--clear", action="store_true", help="delete every event (with --yes)")
    p.add_argument("--yes", action="store_true", help="confirm --clear")
    add_common(p)

    add_unknown(sub)
    add_correct(sub)

    p = sub.add_parser("report", help="how well the thresholds separate your people: an HTML page")
    p.add_argument("--out", type=Path, required=True, help="HTML file to write")
    p.add_argument(
        "--threshold", type=float, default=None, help="recognition threshold to mark (1.07)"
    )
    p.add_argument(
        "--verification-threshold",
        type=float,
        default=None,
        help="verification threshold to mark (default: 1 in 10,000 false accepts on LFW)",
    )
    add_common(p)

    p = sub.add_parser(
        "eval-lfw", help="LFW verification protocol (10-fold accuracy, TAR@FAR, AUC)"
    )
    p.add_argument("dir", type=Path)
    p.add_argument("--pairs", type=Path, default=None, help="pairs file (default: DIR/pairs.txt)")
    p.add_argument("--align", choices=["box", "similarity"], default=None)
    p.add_argument("--no-flip", action="store_true", help="embed without flip fusion")
    p.add_argument("--detector", choices=["mtcnn", "mtcnn-package"], default="mtcnn")
    p.add_argument("--save-distances", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument(
        "--embeddings",
        type=Path,
        default=None,
        help="score the embeddings an earlier --save-distances run saved instead of running "
        "the models (give the same --align/--no-flip/--detector as that run)",
    )
    p.add_argument(
        "--write-operating-points",
        type=Path,
        default=None,
        help="count every pair of the protocol images (same / different person) and write "
        "the FAR/TAR table that verification's default and the threshold panel use (JSON)",
    )
    p.add_argument(
        "--open-set",
        action="store_true",
        help="also run the open-set benchmark: galleries of 10 .. all people (one photo each, "
        "and three), probed with another photo of each and with people never enrolled; "
        "named right / wrongly / maybe / unknown and strangers named, at the app's default",
    )
    p.add_argument(
        "--seeds",
        type=positive_int,
        default=3,
        help="with --open-set: galleries drawn per size (seeds 0 .. N-1; default 3)",
    )
    p.add_argument(
        "--write-open-set-table",
        type=Path,
        default=None,
        help="calibrate recognition's automatic threshold (per gallery size and rate of "
        "strangers named) and write the table it is read from (JSON)",
    )
    add_common(p)

    p = sub.add_parser("bench", help="speed benchmark against peers measured in the same run")
    p.add_argument("--quick", action="store_true", help="fewer frames and repeats")
    add_common(p)
    return parser


def add_correct(sub: argparse._SubParsersAction) -> None:
    """Add ``faceapp correct IMAGE... --not NAME`` ("this face is not NAME"), --list, --remove."""
    p = sub.add_parser(
        "correct",
        help="tell the gallery a face is NOT someone: 'faceapp correct IMAGE --not NAME'; "
        "see them with --list, undo one with --remove ID",
        description="Store the face in each photo as a 'not NAME' correction: from then on "
        "a face nearer to a correction of NAME than to NAME's own nearest sample is never "
        "named NAME (history records it as 'corrected'). In each photo the face taken is "
        "the one recognition names NAME, or the only face. --list shows the corrections "
        "(of NAME with --not), --remove ID undoes them.",
    )
    p.add_argument("images", nargs="*", type=Path, metavar="IMAGE", help="photos of the face")
    p.add_argument(
        "--not",
        dest="not_name",
        metavar="NAME",
        help="the enrolled person the face is not",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--list", action="store_true", help="list the corrections stored")
    mode.add_argument(
        "--remove",
        type=int,
        nargs="+",
        metavar="ID",
        help="undo corrections (ids from --list)",
    )
    add_recognition_rule(p)
    add_common(p)


def add_unknown(sub: argparse._SubParsersAction) -> None:
    """Add ``faceapp unknown``: the unknown faces of the history, grouped by person."""
    p = sub.add_parser(
        "unknown",
        help="unknown faces seen with --history, grouped by person: list, name, add, "
        "ignore, merge, remove",
    )
    usub = p.add_subparsers(dest="action", required=True, parser_class=Parser)
    add_common(usub.add_parser("list", help="the groups, largest and most recently seen first"))
    for action, help_text in (
        ("name", "enrol a group's best faces as a new person"),
        ("add", "add a group's best faces to an enrolled person"),
    ):
        u = usub.add_parser(action, help=help_text)
        u.add_argument("group", type=int, metavar="GROUP", help="group number (unknown list)")
        u.add_argument("name", metavar="NAME")
        u.add_argument(
            "--samples", type=positive_int, default=5, help="most faces enrolled (default 5)"
        )
        u.add_argument(
            "--force",
            action="store_true",
            help="enrol even when the faces look like someone else or fail the quality checks",
        )
        add_recognition_rule(u)
        add_common(u)
    u = usub.add_parser("ignore", help="forget a group: its faces' embeddings and crops")
    u.add_argument("group", type=int, metavar="GROUP")
    add_common(u)
    u = usub.add_parser("merge", help="put two or more groups together (one person)")
    u.add_argument("groups", type=int, nargs="+", metavar="GROUP")
    add_common(u)
    u = usub.add_parser("remove", help="take one face (history event id) out of its group")
    u.add_argument("event", type=int, metavar="EVENT")
    add_common(u)
