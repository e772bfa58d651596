"""Every file the command line writes (issue 17): never the gallery, never through a link,
never blocking on a FIFO, private (0600) and whole or not at all."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from faceapp.cli import run
from faceapp.cli.common import UsageError, checked_output
from faceapp.storage.outputs import open_private
from tests.conftest import cli, person_photos

#: Hang guard of an in-process command, in seconds (never a measured goal).
GUARD_S = 120.0


def cli_unless_it_hangs(capsys, *argv: str, fifos: tuple[Path, ...]) -> tuple[int, str, str]:
    """Run ``faceapp ARGV...`` in this process; fail if it is still running after GUARD_S.

    A command that opened one of ``fifos`` to write would wait for a reader for ever: the
    guard opens them to read (which lets such a writer go on) before failing the test.
    """
    done: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: done.append(cli(capsys, *argv)), daemon=True)
    worker.start()
    worker.join(GUARD_S)
    if worker.is_alive():
        for fifo in fifos:
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        worker.join(GUARD_S)
        pytest.fail(f"{argv}: still running after {GUARD_S:g} s (blocked on a FIFO?)")
    assert done, f"{argv}: raised instead of returning an exit status: {capsys.readouterr().err}"
    return done[0]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory, celebrity_dir: Path) -> Path:
    """A gallery of two people (three photos each), built once; tests use copies."""
    gallery = tmp_path_factory.mktemp("enrolled") / "g.db"
    train = person_photos(celebrity_dir, "train")
    for person in ("madonna", "elton_john"):
        code = run(["enroll", person, *map(str, train[person][:3]), "--gallery", str(gallery)])
        assert code == 0
    return gallery


@pytest.fixture()
def gallery(tmp_path: Path, enrolled: Path) -> Path:
    copy = tmp_path / "g.db"
    shutil.copy(enrolled, copy)
    return copy


# -- the gallery is never an output ----------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("suffix", ["", "-wal", "-journal"])
def test_history_csv_and_report_refuse_the_gallery_and_its_journals(
    capsys, gallery: Path, suffix: str
) -> None:
    before = sha(gallery)
    target = gallery.with_name(gallery.name + suffix)
    code, _, err = cli(capsys, "history", "--csv", str(target), "--gallery", str(gallery))
    assert code == 2 and "is the gallery file" in err, err
    code, _, err = cli(capsys, "report", "--out", str(target), "--gallery", str(gallery))
    assert code == 2 and "is the gallery file" in err, err
    assert sha(gallery) == before
    assert not target.exists() or suffix == ""


@pytest.mark.model
def test_the_gallery_is_refused_under_another_name(capsys, tmp_path: Path, gallery: Path) -> None:
    """Through a linked gallery, a hard link, or a path through a linked folder."""
    before = sha(gallery)
    link = tmp_path / "link.db"
    link.symlink_to(gallery)
    hard = tmp_path / "hard.db"
    os.link(gallery, hard)
    folder_link = tmp_path / "there"
    folder_link.symlink_to(tmp_path)
    for out, given in ((gallery, link), (hard, gallery), (folder_link / "g.db", gallery)):
        code, _, err = cli(capsys, "history", "--csv", str(out), "--gallery", str(given))
        assert code == 2 and "is the gallery file" in err, (out, given, err)
        code, _, err = cli(capsys, "report", "--out", str(out), "--gallery", str(given))
        assert code == 2 and "is the gallery file" in err, (out, given, err)
    assert sha(gallery) == before


# -- links and FIFOs -------------------------------------------------------------------------


@pytest.mark.model
def test_outputs_are_never_written_through_a_symbolic_link(
    capsys, tmp_path: Path, gallery: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for command, option, name in (
        ("history", "--csv", "link.csv"),
        ("report", "--out", "link.html"),
        ("video", "--out", "link.mp4"),
        ("identify", "--csv", "link2.csv"),
    ):
        link = tmp_path / name
        link.symlink_to(victim)
        extra = {"video": ["demo"], "identify": [str(tmp_path)]}.get(command, [])
        argv = [command, *extra, option, str(link), "--gallery", str(gallery)]
        code, _, err = cli(capsys, *argv)
        assert code == 2 and "symbolic link" in err, (argv, err)
        assert victim.read_text() == "keep me" and link.is_symlink()


@pytest.mark.model
def test_a_fifo_as_output_is_refused_at_once(capsys, tmp_path: Path, gallery: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    photo = tmp_path / "none.jpg"
    for argv in (
        ["history", "--csv", str(fifo)],
        ["report", "--out", str(fifo)],
        ["identify", str(photo), "--csv", str(fifo)],
    ):
        code, _, err = cli_unless_it_hangs(capsys, *argv, "--gallery", str(gallery), fifos=(fifo,))
        assert code == 2, (argv, err)
        assert "not a regular file" in err, err
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
    video_fifo = tmp_path / "out.mp4"
    os.mkfifo(video_fifo)
    argv = ("video", "demo", "--out", str(video_fifo), "--gallery", str(gallery))
    code, _, err = cli_unless_it_hangs(capsys, *argv, fifos=(video_fifo,))
    assert code == 2 and "not a regular file" in err, err


# -- private and whole -----------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.model
def test_outputs_are_private_and_replace_an_old_file_whole(
    capsys, tmp_path: Path, gallery: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    csv_file, page, video = out / "h.csv", out / "r.html", out / "v.avi"
    for old in (csv_file, page, video):
        old.write_text("old")
        old.chmod(0o644)
    argv = ["--gallery", str(gallery)]
    assert cli(capsys, "history", "--csv", str(csv_file), *argv)[0] == 0
    assert cli(capsys, "report", "--out", str(page), *argv)[0] == 0
    code, _, err = cli(capsys, "video", "demo", "--max-frames", "2", "--out", str(video), *argv)
    assert code in (0, 1), err
    for made in (csv_file, page, video):
        assert mode_of(made) == 0o600, made
        assert made.read_bytes() != b"old"
    assert csv_file.read_text().startswith("time_utc,")
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert video.read_bytes()[:4] == b"RIFF"
    assert leftovers(out) == []


def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    out.write_text("the old export")
    with pytest.raises(OSError), open_private(out) as fh:
        fh.write("half of the new one")
        raise OSError(28, "No space left on device")
    assert out.read_text() == "the old export"
    assert leftovers(tmp_path) == []


def test_checked_output_refuses_what_cannot_be_written(tmp_path: Path) -> None:
    args = argparse.Namespace(gallery=tmp_path / "g.db")
    with pytest.raises(UsageError, match="is a folder"):
        checked_output(args, tmp_path, "--csv")
    with pytest.raises(UsageError, match="does not exist"):
        checked_output(args, tmp_path / "nowhere" / "x.csv", "--csv")
    assert checked_output(args, tmp_path / "x.csv", "--csv") == tmp_path / "x.csv"


# -- gallery wipe on a linked gallery --------------------------------------------------------


@pytest.mark.model
def test_wipe_of_a_linked_gallery_deletes_the_faces_it_points_to(
    capsys, tmp_path: Path, gallery: Path
) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(gallery)
    code, out, err = cli(capsys, "gallery", "wipe", "--yes", "--no-backup", "--gallery", str(link))
    assert code == 0, err
    assert not gallery.exists(), "the faces stayed in the file the link points to"
    assert f"deleted {gallery}" in out and "is a link to" in out, out
    code, out, _ = cli(capsys, "gallery", "list", "--gallery", str(link))
    assert code == 0 and "the gallery is empty" in out


# -- smaller command-line findings -----------------------------------------------------------


@pytest.mark.parametrize("since", ["99999999999d", "999999999999w", "0001-01-01T00:00+23:59"])
def test_a_since_out_of_range_is_a_usage_error(capsys, tmp_path: Path, since: str) -> None:
    code, out, err = cli(capsys, "history", "--since", since, "--gallery", str(tmp_path / "g.db"))
    assert code == 2 and out == ""
    assert "unexpected error" not in err and "--since" in err and len(err.splitlines()) == 1


@pytest.mark.model
def test_enroll_force_says_enrolled_only_once_stored(
    capsys, monkeypatch, gallery: Path, celebrity_dir: Path
) -> None:
    """A gallery that cannot be written (as a read-only file does for a user): no "enrolled"."""
    from faceapp.storage.gallery import GalleryError, GalleryStore

    def read_only(*args, **kwargs):
        raise GalleryError(f"{gallery}: attempt to write a readonly database")

    monkeypatch.setattr(GalleryStore, "add_samples", read_only)
    elton = person_photos(celebrity_dir, "val")["elton_john"][2]
    code, out, err = cli(
        capsys, "enroll", "madonna", str(elton), "--force", "--gallery", str(gallery)
    )
    assert code == 2 and "readonly" in err
    assert "enrolled" not in out + err, (out, err)


@pytest.mark.model
def test_enroll_refuses_a_read_only_gallery_before_loading_the_models(
    capsys, monkeypatch, tmp_path: Path, gallery: Path
) -> None:
    """``os.access`` answers as for a user (the tests may run as root, who can write anything)."""
    from faceapp.cli import photos

    real_access = os.access

    def access(path, mode):
        return False if Path(path) == gallery else real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(photos, "loaded_pipeline", lambda args: pytest.fail("models loaded"))
    argv = ["enroll", "Ann", str(tmp_path / "x.jpg"), "--gallery", str(gallery)]
    code, _, err = cli(capsys, *argv)
    assert code == 2 and "read-only" in err and "nothing enrolled" in err, err


def test_printed_paths_and_names_cannot_drive_the_terminal(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "a\x1b[2Jb\nfake: Madonna (distance 0.100)"
    folder.mkdir()
    gallery = folder / "g.db"
    code, out, _ = cli(capsys, "gallery", "list", "-v", "--gallery", str(gallery))
    assert code == 0 and "\x1b" not in out and len(out.splitlines()) == 2, out
    assert "\\x1b[2J" in out
    missing = str(folder / "x\x1b]0;t\x07" / "x.csv")
    code, _, err = cli(capsys, "history", "--csv", missing, "--gallery", str(gallery))
    assert code == 2 and "\x1b" not in err and "\x07" not in err and len(err.splitlines()) == 1


def test_terminal_line_escapes_controls_and_keeps_joined_text() -> None:
    from faceapp.cli.common import terminal_line

    assert terminal_line("a\x1b[31m\nb\u202ec\x9b") == "a\\x1b[31m\\nb\\u202ec\\x9b"
    for kept in ("Madonna (distance 0.655)", "\U0001f469\u200d\U0001f4bb", "Jos\u00e9 \u00e0 b"):
        assert terminal_line(kept) == kept


@pytest.mark.model
def test_identify_prints_one_line_per_face_whatever_the_file_names(
    capsys, tmp_path: Path, gallery: Path, celebrity_dir: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    source = person_photos(celebrity_dir, "val")["madonna"][0]
    shutil.copy(source, photos / "a\x1b[31mred\nb.jpg: elton_john (distance 0.1) at [1].jpg")
    (photos / "c\u202egpj.exe.jpg").write_bytes(b"not a photo")
    code, out, err = cli(capsys, "identify", str(photos), "--gallery", str(gallery))
    assert code == 0
    assert "\x1b" not in out + err and "\u202e" not in out + err
    assert len(out.splitlines()) == 1 and "madonna (distance" in out, out


def test_eval_lfw_outputs_follow_the_same_rules(capsys, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "d.npz"
    link.symlink_to(victim)
    for flag in ("--save-distances", "--write-operating-points", "--write-open-set-table"):
        code, _, err = cli(capsys, "eval-lfw", str(tmp_path), flag, str(link))
        assert code == 2 and "symbolic link" in err, err
    assert victim.read_text() == "keep me"
