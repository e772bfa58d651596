"""The command line on a shared PostgreSQL gallery: ``--gallery postgresql://…``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faceapp.storage.gallery import GalleryStore
from tests.conftest import cli, person_photos
from tests.storage.conftest import APP_PASSWORD, APP_ROLE


def last_json(out: str):
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.model
def test_enrol_list_identify_rename_remove_export_through_the_cli(
    capsys, pg_uri: str, tmp_path: Path, celebrity_dir: Path
) -> None:
    train, val = person_photos(celebrity_dir, "train"), person_photos(celebrity_dir, "val")
    g = ("--gallery", pg_uri)
    for person in ("madonna", "jerry_seinfeld"):
        code, out, err = cli(capsys, "enroll", person, str(train[person][1]), *g, "--json")
        assert code == 0 and last_json(out)["added"] == 1, err

    code, out, _ = cli(capsys, "gallery", "list", *g, "--json")
    assert code == 0 and {p["name"]: p["samples"] for p in last_json(out)} == {
        "jerry_seinfeld": 1,
        "madonna": 1,
    }
    code, out, _ = cli(capsys, "identify", str(val["jerry_seinfeld"][0]), *g, "--json")
    faces = last_json(out)[0]["faces"]
    assert code == 0 and [f["name"] for f in faces] == ["jerry_seinfeld"]

    # Export from the database, import into a file: the same people and samples.
    archive, copy = tmp_path / "g.faceapp", tmp_path / "copy.sqlite3"
    assert cli(capsys, "gallery", "export", str(archive), *g)[0] == 0
    code, _, err = cli(capsys, "gallery", "import", str(archive), "--gallery", str(copy))
    assert code == 0, err
    from faceapp.storage.postgres import PostgresStore

    pg = PostgresStore(pg_uri)
    for person in pg.people():
        theirs = GalleryStore(copy).samples(person.name)
        ours = pg.samples(person.name)
        assert [s.embedding.tobytes() for s in theirs] == [s.embedding.tobytes() for s in ours]
        assert [s.thumbnail for s in theirs] == [s.thumbnail for s in ours]

    assert cli(capsys, "gallery", "rename", "madonna", "Madonna", *g)[0] == 0
    code, out, _ = cli(capsys, "identify", str(val["madonna"][2]), *g, "--json")
    assert code == 0 and [f["name"] for f in last_json(out)[0]["faces"]] == ["Madonna"]
    code, _, err = cli(capsys, "gallery", "remove", "jerry_seinfeld", *g)
    assert code == 0 and "removed jerry_seinfeld" in err + _
    code, out, _ = cli(capsys, "gallery", "list", *g, "--json")
    assert [p["name"] for p in last_json(out)] == ["Madonna"]
    code, out, err = cli(capsys, "gallery", "wipe", "--yes", *g)
    assert code == 0 and pg.people() == []


def test_a_password_in_the_address_is_never_printed(capsys, pg_server) -> None:
    uri = pg_server.new_database()
    with_password = uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:{APP_PASSWORD}@")
    code, out, err = cli(capsys, "gallery", "list", "-v", "--gallery", with_password)
    assert code == 0 and "the gallery is empty" in out
    assert "postgresql://faceapp:***@" in out + err  # the location is shown, hidden
    assert APP_PASSWORD not in out + err

    wrong = uri.replace(f"{APP_ROLE}@", f"{APP_ROLE}:Wr0ng-Secret@")
    code, out, err = cli(capsys, "gallery", "list", "-v", "--gallery", wrong)
    lines = err.strip().splitlines()
    assert code != 0 and "Traceback" not in err and "cannot connect" in err
    assert "Wr0ng-Secret" not in out + err and len([ln for ln in lines if "Wr0ng" in ln]) == 0


def test_an_unreachable_server_is_one_clear_line(capsys, pg_server) -> None:
    dead = f"postgresql://{APP_ROLE}@127.0.0.1:1/nowhere?connect_timeout=2"
    code, out, err = cli(capsys, "gallery", "list", "--gallery", dead)
    assert code != 0 and out == "" and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "cannot connect" in err
