"""Network cameras' passwords in the desktop's keyring, the preferences keeping only the address."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

keyring = pytest.importorskip("keyring", reason="keyring is not installed (pip install keyring)")

from keyring.backend import KeyringBackend  # noqa: E402
from keyring.backends import fail  # noqa: E402

from faceapp.settings import Settings  # noqa: E402
from faceapp.storage import credentials  # noqa: E402

PASSWORD = "S3cr3t-pw"
CAMERA = f"rtsp://admin:{PASSWORD}@10.0.0.5:554/stream1"
SHOWN = "rtsp://admin:***@10.0.0.5:554/stream1"
TOKEN_CAMERA = f"http://10.0.0.6/video.mjpg?user=admin&password={PASSWORD}"


class MemoryKeyring(KeyringBackend):
    """A keyring held in this process (a real backend of the keyring library)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A keyring that refuses to store (locked, or the user said no)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password}")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_a_usable_keyring_is_one_with_a_positive_priority(memory_keyring, no_keyring) -> None:
    assert credentials.usable_keyring() is None  # the fail backend: priority 0
    keyring.set_keyring(memory_keyring)
    assert credentials.usable_keyring() is memory_keyring


def test_with_a_keyring_the_file_keeps_only_redacted_addresses(memory_keyring) -> None:
    settings = Settings(source=CAMERA).with_recent(TOKEN_CAMERA).with_recent(CAMERA)
    kept = credentials.settings_for_file(settings)
    assert PASSWORD not in repr(kept)
    assert kept.source == SHOWN
    assert kept.recent() == [SHOWN, "http://10.0.0.6/video.mjpg?user=admin&password=***"]
    assert PASSWORD in repr(memory_keyring.items)
    assert {service for service, _user in memory_keyring.items} == {credentials.SERVICE}
    assert (credentials.SERVICE, SHOWN) in memory_keyring.items
    # Read back: the real addresses, in the same order.
    assert credentials.settings_from_file(kept) == settings


def test_addresses_without_a_secret_are_left_alone(memory_keyring) -> None:
    settings = Settings(source="0").with_recent("rtsp://10.0.0.7/s").with_recent("rtsp://u@cam/s")
    assert credentials.settings_for_file(settings) == settings
    assert memory_keyring.items == {}


def test_without_a_keyring_the_private_file_keeps_the_address(no_keyring) -> None:
    settings = Settings(source=CAMERA).with_recent(CAMERA)
    assert credentials.settings_for_file(settings) == settings  # 0600 file, as before
    assert credentials.settings_from_file(settings) == settings


def test_a_keyring_that_refuses_leaves_the_address_in_the_private_file(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    try:
        settings = Settings().with_recent(CAMERA)
        assert credentials.settings_for_file(settings) == settings
    finally:
        keyring.set_keyring(previous)
    assert SHOWN in caplog.text and PASSWORD not in caplog.text


def test_a_redacted_address_missing_from_the_keyring_stays_redacted(memory_keyring) -> None:
    settings = Settings(source=SHOWN, recent_addresses=SHOWN)
    assert credentials.settings_from_file(settings) == settings
