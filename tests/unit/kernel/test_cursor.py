import pytest

from shop_kernel.dynamo import CursorCodec, deserialize, serialize
from shop_kernel.errors import ValidationFailed

KEY = {"pk": {"S": "LIST#cat_1"}, "sk": {"S": "0001#prod_1"}}


def codec(table="shop-local-catalog", index=""):
    return CursorCodec(table, lambda: b"secret-key", index=index)


def test_cursor_round_trips_for_the_same_table_and_scope():
    cursor = codec().encode(KEY, scope="cat_1")
    assert codec().decode(cursor, scope="cat_1") == KEY


@pytest.mark.parametrize(
    ("other", "scope"),
    [(codec(table="shop-local-orders"), "cat_1"), (codec(index="gsi1"), "cat_1"), (codec(), "cat_2")],
)
def test_cursor_from_another_table_index_or_query_is_rejected(other, scope):
    cursor = codec().encode(KEY, scope="cat_1")
    with pytest.raises(ValidationFailed) as err:
        other.decode(cursor, scope=scope)
    assert err.value.errors[0].field == "query.cursor"


@pytest.mark.parametrize(
    # the last two: non-ASCII text in the payload or the signature (found by the API fuzz suite: was a 500)
    "forged",
    [
        "abc",
        "abc.def",
        "",
        "....",
        "eyJ0IjoieCJ9.AAAA",
        "%%%.%%%",
        ".?n\x10\U0008b084m¡ä",
        "eyJ0IjoieCJ9.sïgnature",
    ],
)
def test_forged_cursor_is_rejected(forged):
    if not forged:
        assert codec().decode(forged) is None
        return
    with pytest.raises(ValidationFailed):
        codec().decode(forged)


def test_cursor_signed_with_another_key_is_rejected():
    cursor = CursorCodec("shop-local-catalog", lambda: b"other").encode(KEY)
    with pytest.raises(ValidationFailed):
        codec().decode(cursor)


def test_serialize_round_trips_ints_and_rejects_floats():
    item = {"a": 1, "b": {"c": [1, "x"]}, "d": None, "e": True}
    assert deserialize(serialize(item)) == {"a": 1, "b": {"c": [1, "x"]}, "e": True}
    with pytest.raises(TypeError):
        serialize({"price": 1.5})


def test_attribute_values_cover_every_type_we_store():
    value = {"s": "x", "n": 10**20, "b": False, "l": [1, {"m": "y"}], "ss": {"a", "b"}, "null": None}
    encoded = serialize_value_and_back(value)
    assert encoded == {
        "s": "x",
        "n": 10**20,
        "b": False,
        "l": [1, {"m": "y"}],
        "ss": ["a", "b"],
        "null": None,
    }


def serialize_value_and_back(value):
    from shop_kernel.dynamo import deserialize_value, serialize_value

    return deserialize_value(serialize_value(value))
