"""ThumbnailCache: what is held, wanted and asked for (no Qt)."""

from __future__ import annotations

from faceapp.session.thumbnail_cache import ThumbnailCache


def test_a_row_shown_wants_its_thumbnail_once_until_it_arrives():
    cache: ThumbnailCache[str] = ThumbnailCache()
    assert cache.held(1, "Ann") == (None, True)
    assert cache.held(1, "Ann") == (None, False)  # wanted already
    assert cache.take_wanted() == (1,)
    assert cache.take_wanted() == ()
    assert cache.held(1, "Ann") == (None, False)  # asked for already
    assert cache.arrived([(1, "ann.jpg")]) == [(1, "Ann")]
    assert cache.held(1, "Ann") == ("ann.jpg", False)


def test_a_person_without_a_thumbnail_is_not_asked_for_again():
    cache: ThumbnailCache[str] = ThumbnailCache()
    cache.held(2, "Bob")
    cache.take_wanted()
    assert cache.arrived([(2, None)]) == []  # nothing to draw
    assert cache.held(2, "Bob") == (None, False)


def test_thumbnails_nobody_asked_for_are_ignored():
    cache: ThumbnailCache[str] = ThumbnailCache()
    cache.held(1, "Ann")
    cache.take_wanted()
    cache.clear()  # the people were read again meanwhile
    assert cache.arrived([(1, "ann.jpg"), (9, "x.jpg")]) == []
    assert len(cache) == 0
    assert cache.held(1, "Ann") == (None, True)


def test_the_least_recently_shown_go_first():
    cache: ThumbnailCache[str] = ThumbnailCache(size=2)
    for i in (1, 2):
        cache.held(i, str(i))
    cache.take_wanted()
    cache.arrived([(1, "a"), (2, "b")])
    cache.held(1, "1")  # shown again: now the newest
    cache.held(3, "3")
    cache.take_wanted()
    cache.arrived([(3, "c")])
    assert len(cache) == 2
    assert cache.held(2, "2") == (None, True)  # dropped
    assert cache.held(1, "1") == ("a", False)


def test_forget_asks_again_for_a_newer_thumbnail():
    cache: ThumbnailCache[str] = ThumbnailCache()
    cache.held(1, "Ann")
    cache.take_wanted()
    cache.arrived([(1, "old.jpg")])
    cache.forget(1)
    assert cache.held(1, "Ann") == (None, True)
