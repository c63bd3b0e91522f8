"""The cookie jar: which Set-Cookie values are kept, and which cookies go where."""

from __future__ import annotations

from swarm.protocols.fast.cookies import CookieJar


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0  # November 2023

    def __call__(self) -> float:
        return self.now


def test_an_empty_jar_sends_nothing() -> None:
    assert CookieJar().header("shop.test", "/", secure=False) is None


def test_a_host_only_cookie_goes_back_to_that_host_only() -> None:
    jar = CookieJar()
    jar.store(["sid=abc; Path=/; HttpOnly"], "Shop.Test", "/login")
    assert jar.header("shop.test", "/cart", secure=False) == "sid=abc"
    assert jar.header("api.shop.test", "/cart", secure=False) is None
    assert jar["sid"] == "abc"


def test_a_domain_cookie_covers_subdomains_and_another_site_is_refused() -> None:
    jar = CookieJar()
    jar.store(["a=1; Domain=.shop.test", "b=2; Domain=evil.test"], "www.shop.test", "/")
    assert jar.header("api.shop.test", "/", secure=False) == "a=1"
    assert "b" not in jar


def test_paths_default_to_the_request_directory_and_longer_paths_come_first() -> None:
    jar = CookieJar()
    jar.store(["deep=1"], "shop.test", "/account/settings?tab=2")
    jar.store(["root=2; Path=/"], "shop.test", "/")
    assert jar.header("shop.test", "/account/orders", secure=False) == "deep=1; root=2"
    assert jar.header("shop.test", "/accounting", secure=False) == "root=2"
    assert jar.header("shop.test", "/", secure=False) == "root=2"


def test_secure_cookies_go_over_https_only() -> None:
    jar = CookieJar()
    jar.store(["s=1; Secure"], "shop.test", "/")
    assert jar.header("shop.test", "/", secure=False) is None
    assert jar.header("shop.test", "/", secure=True) == "s=1"


def test_max_age_and_expires_end_a_cookie_and_zero_deletes_it() -> None:
    clock = Clock()
    jar = CookieJar(clock)
    jar.store(["short=1; Max-Age=60", "dated=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"], "h", "/")
    assert jar.header("h", "/", secure=False) == "short=1"  # dated was already past
    clock.now += 61
    assert jar.header("h", "/", secure=False) is None
    jar.store(["sid=x"], "h", "/")
    jar.store(["sid=; Max-Age=0"], "h", "/")
    assert len(jar) == 0


def test_max_age_wins_over_expires() -> None:
    jar = CookieJar(Clock())
    jar.store(["k=v; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=100"], "h", "/")
    assert jar.get("k") == "v"


def test_a_value_without_a_name_is_ignored() -> None:
    jar = CookieJar()
    jar.store(["novalue", "=x", "ok=1; Max-Age=bogus"], "h", "/")
    assert jar.get_dict() == {"ok": "1"}


def test_user_code_sets_cookies_for_every_host_or_one_domain() -> None:
    jar = CookieJar()
    jar["everywhere"] = "1"
    jar.set("only", "2", domain="shop.test")
    assert jar.header("other.test", "/x", secure=False) == "everywhere=1"
    assert sorted(jar.header("shop.test", "/x", secure=False).split("; ")) == [  # type: ignore[union-attr]  # both apply here
        "everywhere=1",
        "only=2",
    ]
    jar.clear()
    assert jar.get("everywhere") is None
