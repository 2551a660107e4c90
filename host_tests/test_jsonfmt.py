# evse/jsonfmt.py: the same JSON bytes on CPython, the MicroPython unix port and the 32-bit webassembly port,
# whichever path a string takes (the C-speed one for plain printable ASCII, the escaping loop otherwise).
# Plain asserts.
from evse import jsonfmt
from evse.jsonfmt import Fixed


def test_plain_ascii_is_quoted_as_it_is():
    assert jsonfmt.dumps("") == '""'
    assert jsonfmt.dumps("abc def ~ !") == '"abc def ~ !"'
    assert jsonfmt.dumps(["a", "B2"]) == '["a", "B2"]'


def test_every_character_that_needs_an_escape_gets_one():
    assert jsonfmt.dumps('say "hi"') == '"say \\"hi\\""'
    assert jsonfmt.dumps("a\\b") == '"a\\\\b"'
    assert jsonfmt.dumps("l1\nl2\r\t") == '"l1\\nl2\\r\\t"'
    assert jsonfmt.dumps("\x00\x1f\x7f") == '"\\u0000\\u001f\\u007f"'
    assert jsonfmt.dumps("caf\u00e9") == '"caf\\u00e9"'
    assert jsonfmt.dumps("\U0001f600") == '"\\ud83d\\ude00"'  # outside the BMP: a surrogate pair
    assert jsonfmt.dumps("ok \x01") == '"ok \\u0001"'  # one control character sends the whole string the slow way


def test_keys_sorted_and_escaped_compact_or_not():
    d = {"b": 1, "a": [True, False, None], 'k"': Fixed(16500, 3)}
    assert jsonfmt.dumps(d) == '{"a": [true, false, null], "b": 1, "k\\"": 16.5}'
    assert jsonfmt.dumps(d, True) == '{"a":[true,false,null],"b":1,"k\\"":16.5}'


def test_a_float_is_refused():
    try:
        jsonfmt.dumps({"x": 1.5})
    except TypeError:
        return
    assert False, "a float was written"
