import time

import pytest
from django.core.cache.backends.redis import RedisCache

from npq_portal import cache as tolerant
from npq_portal.cache import TolerantRedisCache


@pytest.fixture
def dead_redis(monkeypatch):
    """A cache pointed at a port where nothing listens (Redis is down)."""
    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    return TolerantRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})


def test_with_redis_down_the_cache_answers_as_an_empty_one(dead_redis):
    assert dead_redis.get("session", "fallback") == "fallback"
    assert dead_redis.set("session", "data") is None
    assert dead_redis.add("counter", 1) is True  # an empty cache takes a new key
    assert dead_redis.incr("counter") == 1
    assert dead_redis.get_many(["a", "b"]) == {}
    assert dead_redis.delete("session") is False


def test_after_a_failure_it_stops_trying_for_a_while(dead_redis, monkeypatch):
    dead_redis.get("warm")  # fails once, and marks Redis as down
    calls = []
    monkeypatch.setattr(RedisCache, "get", lambda *args, **kwargs: calls.append(args))

    started = time.monotonic()
    for _ in range(100):
        dead_redis.get("key")

    assert calls == [] and time.monotonic() - started < 0.1
    monkeypatch.setattr(tolerant.TolerantRedisCache, "_down_until", 0.0)
    dead_redis.get("key")
    assert len(calls) == 1  # tried again once the pause is over


@pytest.mark.django_db
def test_people_can_sign_in_while_redis_is_down(client, settings, monkeypatch):
    from django.urls import reverse

    from npq_portal.tests.factories import PASSWORD, UserFactory

    monkeypatch.setattr(TolerantRedisCache, "_down_until", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "npq_portal.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }
    teacher = UserFactory()

    response = client.post(reverse("account_login"), {"login": teacher.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("participants:teacher-home")).status_code == 200


def test_one_redis_client_serves_every_call():
    # Django makes a redis.Redis a call; redis-py 8 builds a table of some 170 reply handlers
    # in each, which cost more than the round trip.
    cache = TolerantRedisCache("redis://127.0.0.1:1/0", {})

    assert cache._cache.get_client() is cache._cache.get_client(write=True)
