"""Reading JSON Lines and CSV into rows and bad lines, with no server."""

import pytest

from search_service.indexing.source import BadLine, Parsed, Row, batches, read_csv, read_json_lines, rows_from_documents


def test_json_lines_become_rows_numbered_from_one_with_their_id_taken_out():
    lines = [b'{"_id": "a", "title": "x"}\n', b'{"title": "y"}\n', b'{"_id": 7, "n": 1}\r\n']

    assert list(read_json_lines(lines)) == [
        Row(1, "a", {"title": "x"}),
        Row(2, None, {"title": "y"}),
        Row(3, "7", {"n": 1}),
    ]


def test_the_source_given_keeps_its_id_only_in_the_row():
    document = {"_id": "a", "title": "x"}
    (row,) = rows_from_documents([document])

    assert row == Row(1, "a", {"title": "x"})
    assert document == {"_id": "a", "title": "x"}  # the caller's dict is left alone


def test_blank_lines_are_skipped_but_still_counted():
    assert list(read_json_lines([b"\n", b'{"a": 1}\n', b"   \n", b'{"a": 2}'])) == [
        Row(2, None, {"a": 1}),
        Row(4, None, {"a": 2}),
    ]


def test_a_byte_order_mark_on_the_first_line_is_not_an_error():
    assert list(read_json_lines([b'\xef\xbb\xbf{"a": 1}\n'])) == [Row(1, None, {"a": 1})]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"title": "x"', "not JSON (unexpected end of data at column 14)"),
        (b"title: x", "not JSON ("),
        (b'{"a": 1} {"b": 2}', "not JSON (unexpected content after document at column"),
        (b'{"a": "\xff"}', "not JSON (str is not valid UTF-8"),
        (b"[1, 2]", "not a JSON object (a JSON array)"),
        (b'"text"', "not a JSON object (a JSON string)"),
        (b"42", "not a JSON object (a JSON number)"),
        (b"null", "not a JSON object (a JSON null)"),
        (b"true", "not a JSON object (a JSON boolean)"),
        (b'{"_id": ""}', "_id must be a non-empty string"),
        (b'{"_id": true}', "_id must be a non-empty string, not true"),
        (b'{"_id": {"a": 1}}', "_id must be a non-empty string, not {"),
    ],
)
def test_a_bad_line_says_which_and_why(raw, reason):
    _, bad = read_json_lines([b'{"ok": 1}\n', raw])

    assert isinstance(bad, BadLine)
    assert bad.line == 2
    assert bad.reason.startswith(reason)
    assert "line 1" not in bad.reason  # orjson's own position would name the wrong line


def test_csv_rows_take_their_names_from_the_header_and_skip_empty_cells():
    text = ["_id,title,price\n", "a,Kettle,9.99\n", ',"Toaster, retro",\n', 'c,"Lamp\n', 'two lines",5\n', "d,x\n"]

    assert list(read_csv(text)) == [
        Row(2, "a", {"title": "Kettle", "price": "9.99"}),
        Row(3, None, {"title": "Toaster, retro"}),
        Row(4, "c", {"title": "Lamp\ntwo lines", "price": "5"}),
        Row(6, "d", {"title": "x"}),
    ]


def test_a_csv_row_with_more_fields_than_the_header_is_a_bad_line():
    assert list(read_csv(["a,b\n", "1,2,3\n", "4,5\n"])) == [
        BadLine(2, "3 fields where the header names 2"),
        Row(3, None, {"a": "4", "b": "5"}),
    ]


def test_an_empty_csv_has_no_rows():
    assert list(read_csv([])) == []
    assert list(read_csv(["a,b\n"])) == []


def test_batches_hold_chunk_size_rows_with_the_bad_lines_met_on_the_way():
    parsed: list[Parsed] = [Row(1, None, {}), BadLine(2, "x"), Row(3, None, {}), Row(4, None, {}), BadLine(5, "y")]

    found = [(len(b.rows), [bad.line for bad in b.bad], b.lines) for b in batches(parsed, 2)]

    assert found == [(2, [2], 3), (1, [5], 2)]


def test_a_batch_also_ends_after_chunk_size_bad_lines():
    parsed = [BadLine(n, "x") for n in range(1, 6)]

    assert [len(b.bad) for b in batches(parsed, 2)] == [2, 2, 1]
