#!/usr/bin/env python3
"""Writes the malformed-CSV corpus of tests/data/csv_bad and its EXPECTED index.

Run by hand from the repository root when a case is added or changed:

    python3 tests/data/csv_bad/make_corpus.py

Each case is a file and the error lib/data must give for it. The index,
EXPECTED, has one line per file:

    file<TAB>status<TAB>message substring[<TAB>options]

where options are space-separated key=value pairs the test applies:
    schema=column:type[,column:type]   force column types (numeric, boolean, categorical)
    delimiter=;                        explicit delimiter (\\t for tab)
    target=column                      aia_frame_check_target after reading
    classification_target=column       aia_frame_check_classification_target after reading
    stratified_kfold=column:k          labels from column, then stratified k-fold

No randomness and no third-party library: the bytes below are the corpus.
tests/unit/data/csv_bad_test.c reads EXPECTED and checks every file.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# (file name, bytes, status, expected message substring, options)
CASES = [
    ("empty.csv", b"", "INVALID_ARGUMENT", "empty.csv: the input is empty; a header row", ""),
    ("only_bom.csv", b"\xef\xbb\xbf", "INVALID_ARGUMENT", "only_bom.csv: the input is empty", ""),
    ("blank_lines_only.csv", b"\n\r\n\n", "INVALID_ARGUMENT", "blank_lines_only.csv: the input is empty", ""),
    ("header_only.csv", b"a,b,c\n", "INVALID_ARGUMENT",
     "header_only.csv: the header names 3 columns but no data row follows it", ""),
    ("header_only_no_newline.csv", b"a,b,c", "INVALID_ARGUMENT",
     "header_only_no_newline.csv: the header names 3 columns but no data row", ""),
    ("header_then_blank_lines.csv", b"x\n\n\n", "INVALID_ARGUMENT",
     "header_then_blank_lines.csv: the header names 1 column but no data row", ""),
    ("ragged_short.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8\n", "INVALID_ARGUMENT",
     "ragged_short.csv:3: expected 3 fields as in the header, got 2", ""),
    ("ragged_long.csv", b"a,b,c\n1,2,3\n4,5,6,7\n", "INVALID_ARGUMENT",
     "ragged_long.csv:3: expected 3 fields as in the header, got 4", ""),
    ("ragged_after_multiline_field.csv", b'id,text\n1,"line one\nline two\nline three"\n2\n', "INVALID_ARGUMENT",
     "ragged_after_multiline_field.csv:5: expected 2 fields as in the header, got 1", ""),
    ("ragged_crlf.csv", b"a,b\r\n1,2\r\n3,4,5\r\n", "INVALID_ARGUMENT",
     "ragged_crlf.csv:3: expected 2 fields as in the header, got 3", ""),
    ("ragged_tab.csv", b"a\tb\tc\n1\t2\t3\n4\t5\n", "INVALID_ARGUMENT",
     "ragged_tab.csv:3: expected 3 fields as in the header, got 2", ""),
    ("whitespace_line.csv", b"a,b\n1,2\n   \n3,4\n", "INVALID_ARGUMENT",
     "whitespace_line.csv:3: expected 2 fields as in the header, got 1", ""),
    ("unterminated_quote.csv", b'a,b\n1,2\n3,"four\n5,6\n', "INVALID_ARGUMENT",
     "unterminated_quote.csv:3:2 'b': unterminated quoted field: the quote opened on line 3", ""),
    ("unterminated_quote_in_header.csv", b'a,"b\n1,2\n', "INVALID_ARGUMENT",
     "unterminated_quote_in_header.csv:1:2: unterminated quoted field: the quote opened on line 1", ""),
    ("unterminated_quote_after_escapes.csv", b'a\n"say ""hi"" and\nnever close\n', "INVALID_ARGUMENT",
     "unterminated_quote_after_escapes.csv:2:1 'a': unterminated quoted field: the quote opened on line 2", ""),
    ("text_after_closing_quote.csv", b'a,b\n"x"y,2\n', "INVALID_ARGUMENT",
     "text_after_closing_quote.csv:2:1 'a': unexpected 'y' after the closing quote", ""),
    ("space_after_closing_quote.csv", b'a,b\n1,"x" \n', "INVALID_ARGUMENT",
     "space_after_closing_quote.csv:2:2 'b': unexpected ' ' after the closing quote", ""),
    ("quote_in_unquoted_field.csv", b'name,height\nann,5\'10"\n', "INVALID_ARGUMENT",
     "quote_in_unquoted_field.csv:2:2 'height': quote character inside an unquoted field", ""),
    ("quote_in_unquoted_header.csv", b'a,b"c\n1,2\n', "INVALID_ARGUMENT",
     "quote_in_unquoted_header.csv:1:2: quote character inside an unquoted field", ""),
    ("bare_cr_line_endings.csv", b"a,b\r1,2\r3,4\r", "INVALID_ARGUMENT",
     "bare_cr_line_endings.csv:1:2: carriage return not followed by a line feed", ""),
    ("empty_header_name.csv", b"a,,c\n1,2,3\n", "INVALID_ARGUMENT",
     "empty_header_name.csv:1:2: header column 2 has an empty name", ""),
    ("trailing_delimiter_in_header.csv", b"a,b,\n1,2,3\n", "INVALID_ARGUMENT",
     "trailing_delimiter_in_header.csv:1:3: header column 3 has an empty name", ""),
    ("empty_quoted_header_name.csv", b'a,""\n1,2\n', "INVALID_ARGUMENT",
     "empty_quoted_header_name.csv:1:2: header column 2 has an empty name", ""),
    ("duplicate_header.csv", b"a,b,a\n1,2,3\n", "INVALID_ARGUMENT",
     "duplicate_header.csv:1:3: header column 3 'a' repeats the name of column 1", ""),
    ("duplicate_header_quoted.csv", b'x,y,"x"\n1,2,3\n', "INVALID_ARGUMENT",
     "duplicate_header_quoted.csv:1:3: header column 3 'x' repeats the name of column 1", ""),
    ("utf8_lone_continuation.csv", b"a,b\n1,\x80\n", "INVALID_ARGUMENT",
     "utf8_lone_continuation.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0x80", ""),
    ("utf8_overlong.csv", b"a,b\n1,\xc0\xaf\n", "INVALID_ARGUMENT",
     "utf8_overlong.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xc0", ""),
    ("utf8_overlong_3byte.csv", b"a,b\n1,\xe0\x80\xaf\n", "INVALID_ARGUMENT",
     "utf8_overlong_3byte.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xe0", ""),
    ("utf8_surrogate.csv", b"a,b\n1,\xed\xa0\x80\n", "INVALID_ARGUMENT",
     "utf8_surrogate.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xed", ""),
    ("utf8_above_max.csv", b"a,b\n1,\xf4\x90\x80\x80\n", "INVALID_ARGUMENT",
     "utf8_above_max.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xf4", ""),
    ("utf8_truncated_at_eof.csv", b"a,b\n1,\xe2\x82", "INVALID_ARGUMENT",
     "utf8_truncated_at_eof.csv:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xe2", ""),
    ("utf8_in_header.csv", b"a,caf\xe9\n1,2\n", "INVALID_ARGUMENT",
     "utf8_in_header.csv:1:2: invalid UTF-8 byte sequence starting with byte 0xe9", ""),
    ("utf8_in_quoted_multiline.csv", b'a,b\n1,"ok\nstill ok\nbad \xff"\n', "INVALID_ARGUMENT",
     "utf8_in_quoted_multiline.csv:4:2 'b': invalid UTF-8 byte sequence starting with byte 0xff", ""),
    ("latin1_encoded.csv", b"city,n\nM\xfcnchen,1\n", "INVALID_ARGUMENT",
     "latin1_encoded.csv:2:1 'city': invalid UTF-8 byte sequence starting with byte 0xfc", ""),
    ("utf16le_with_bom.csv", "a,b\n1,2\n".encode("utf-16"), "INVALID_ARGUMENT",
     "utf16le_with_bom.csv:1:1: invalid UTF-8 byte sequence starting with byte 0xff", ""),
    ("nul_byte.csv", b"a,b\n1,x\x00y\n", "INVALID_ARGUMENT",
     "nul_byte.csv:2:2 'b': NUL byte in the text", ""),
    ("schema_not_a_number.csv", b"id,age\n1,31\n2,abc\n3,40\n", "INVALID_ARGUMENT",
     "schema_not_a_number.csv:3:2 'age': 'abc' is not a number", "schema=age:numeric"),
    ("schema_number_with_spaces.csv", b"id,age\n1, 42\n", "INVALID_ARGUMENT",
     "schema_number_with_spaces.csv:2:2 'age': ' 42' is not a number", "schema=age:numeric"),
    ("schema_infinity.csv", b"x\n1\ninf\n", "INVALID_ARGUMENT",
     "schema_infinity.csv:3:1 'x': 'inf' is not a number", "schema=x:numeric"),
    ("schema_overflow.csv", b"x\n1\n1e400\n", "INVALID_ARGUMENT",
     "schema_overflow.csv:3:1 'x': '1e400' is too large for a double", "schema=x:numeric"),
    ("schema_decimal_comma.csv", b"x;y\n1,5;2\n", "INVALID_ARGUMENT",
     "schema_decimal_comma.csv:2:1 'x': '1,5' is not a number", "schema=x:numeric delimiter=;"),
    ("schema_not_a_boolean.csv", b"flag\ntrue\nmaybe\n", "INVALID_ARGUMENT",
     "schema_not_a_boolean.csv:3:1 'flag': 'maybe' is not a boolean", "schema=flag:boolean"),
    ("schema_number_after_multiline.csv", b'note,v\n"a\nb",1\nc,x1\n', "INVALID_ARGUMENT",
     "schema_number_after_multiline.csv:4:2 'v': 'x1' is not a number", "schema=v:numeric"),
    ("schema_unknown_column.csv", b"a,b\n1,2\n", "NOT_FOUND",
     "schema_unknown_column.csv: the schema names column 'nope', which the header does not have",
     "schema=nope:numeric"),
    ("missing_target_column.csv", b"a,b,c\n1,2,3\n", "NOT_FOUND",
     "missing_target_column.csv: target column 'label' not found; columns are 'a', 'b', 'c'",
     "target=label"),
    ("one_class_target.csv", b"x,y\n1,spam\n2,spam\n3,spam\n4,spam\n", "FAILED_PRECONDITION",
     "one_class_target.csv: target column 'y' has one class ('spam') in all 4 rows", "classification_target=y"),
    ("one_class_numeric_target.csv", b"x,y\n1,2\n2,2\n", "FAILED_PRECONDITION",
     "one_class_numeric_target.csv: target column 'y' has one class ('2') in all 2 rows",
     "classification_target=y"),
    ("target_with_missing.csv", b"x,y\n1,a\n2,b\n3,NA\n", "INVALID_ARGUMENT",
     "target_with_missing.csv: target column 'y' is missing in data row 3", "classification_target=y"),
    ("stratify_small_class.csv", b"x,y\n1,a\n2,a\n3,a\n4,a\n5,a\n6,b\n7,b\n", "INVALID_ARGUMENT",
     "class 'b' has 2 rows, fewer than the 5 folds", "stratified_kfold=y:5"),
]


def main():
    names = set()
    lines = [
        "# Malformed CSV files and the error each must give (written by make_corpus.py).",
        "# file<TAB>status<TAB>message substring[<TAB>options]",
    ]
    for name, data, status, needle, options in CASES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        fields = [name, status, needle] + ([options] if options else [])
        lines.append("\t".join(fields))
    with open(os.path.join(HERE, "EXPECTED"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(CASES)} files and EXPECTED to {HERE}")


if __name__ == "__main__":
    main()
