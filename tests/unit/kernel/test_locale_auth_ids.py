import pytest

from shop_kernel.auth import Group, caller_from_event, require
from shop_kernel.errors import Forbidden, Unauthorized
from shop_kernel.ids import is_prefixed_id, new_id
from shop_kernel.locale import localise, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("uk-UA,uk;q=0.9,en;q=0.8", "uk"),
        ("de-DE,en;q=0.5", "en"),
        ("en;q=0.1, uk;q=0.9", "uk"),
        ("fr", "en"),
        ("uk;q=0", "en"),
        ("garbage;q=abc", "en"),
    ],
)
def test_accept_language_negotiation(header, expected):
    assert negotiate(header) == expected


def test_localise_falls_back_to_default_locale():
    assert localise({"en": "Laptop"}, "uk") == "Laptop"
    assert localise({"en": "Laptop", "uk": "Ноутбук"}, "uk") == "Ноутбук"
    assert localise({}, "uk") is None


def _event(groups):
    return {"requestContext": {"authorizer": {"claims": {"sub": "u1", "cognito:groups": groups}}}}


@pytest.mark.parametrize(
    "groups", ["merchandisers", "[merchandisers, ops]", "ops,merchandisers", ["merchandisers"]]
)
def test_groups_are_read_in_every_shape_api_gateway_sends(groups):
    caller = caller_from_event(_event(groups))
    assert caller is not None
    assert caller.in_any(Group.MERCHANDISERS)


def test_require_rejects_missing_token_and_wrong_group():
    with pytest.raises(Unauthorized):
        require({"requestContext": {}}, Group.MERCHANDISERS)
    with pytest.raises(Forbidden):
        require(_event("customers"), Group.MERCHANDISERS)
    assert require(_event("ops"), Group.OPS, Group.MERCHANDISERS).subject == "u1"


def test_prefixed_ids_are_ulids():
    value = new_id("prod")
    assert is_prefixed_id(value, "prod")
    assert not is_prefixed_id(value, "cat")
    assert not is_prefixed_id("prod_123")
    assert new_id("prod") != value
