/* Unit tests for lib/data/csv: the format, type inference, schema overrides
 * and the errors, read from memory and from files. The malformed-file corpus
 * has its own test (csv_bad_test.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/base/strbuf.h"

#include "lib/data/csv.h"
#include "lib/data/frame.h"

static aia_frame *read_ok_opts(const char *text, const aia_csv_options *opts)
{
    aia_frame *f = NULL;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_csv_read_buffer(text, strlen(text), opts, &f, &err);
    if (st != AIA_OK) fail_msg("unexpected error %s: %s", aia_status_name(st), err.message);
    assert_non_null(f);
    return f;
}

static aia_frame *read_ok(const char *text)
{
    return read_ok_opts(text, NULL);
}

/* Reads text expecting `code` and a message containing `needle`. */
static void read_fails_opts(const char *text, const aia_csv_options *opts, aia_status code,
                            const char *needle)
{
    aia_frame *f = (aia_frame *)1;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_csv_read_buffer(text, strlen(text), opts, &f, &err);
    assert_null(f);
    if (st != code) fail_msg("expected %s, got %s: %s", aia_status_name(code),
                             aia_status_name(st), err.message);
    assert_int_equal(err.code, code);
    if (!strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void read_fails(const char *text, aia_status code, const char *needle)
{
    read_fails_opts(text, NULL, code, needle);
}

static const aia_column *col(const aia_frame *f, size_t i)
{
    const aia_column *c = aia_frame_column(f, i);
    assert_non_null(c);
    return c;
}

/* ---- format ----------------------------------------------------------------------- */

static void numeric_columns(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b\n1,2.5\n-3,4e2\n");
    assert_int_equal(aia_frame_n_rows(f), 2);
    assert_int_equal(aia_frame_n_cols(f), 2);
    assert_string_equal(col(f, 0)->name, "a");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_NUMERIC);
    assert_true(col(f, 0)->numeric[0] == 1.0 && col(f, 0)->numeric[1] == -3.0);
    assert_true(col(f, 1)->numeric[0] == 2.5 && col(f, 1)->numeric[1] == 400.0);
    assert_int_equal(col(f, 0)->n_missing, 0);
    assert_null(col(f, 0)->codes);
    assert_null(col(f, 0)->boolean);
    assert_string_equal(aia_frame_source(f), "<memory>");
    aia_frame_free(f);
}

static void rfc4180_quoting(void **state)
{
    (void)state;
    aia_frame *f = read_ok("name,note\n"
                           "\"Smith, J\",\"said \"\"hi\"\"\"\n"
                           "\"multi\nline\",\"\"\"\"\n"
                           "plain,\"a\r\nb\"\n");
    const aia_column *name = col(f, 0), *note = col(f, 1);
    assert_int_equal(name->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(aia_frame_n_rows(f), 3);
    assert_string_equal(name->dictionary[name->codes[0]], "Smith, J");
    assert_string_equal(name->dictionary[name->codes[1]], "multi\nline");
    assert_string_equal(name->dictionary[name->codes[2]], "plain");
    assert_string_equal(note->dictionary[note->codes[0]], "said \"hi\"");
    assert_string_equal(note->dictionary[note->codes[1]], "\"");
    assert_string_equal(note->dictionary[note->codes[2]], "a\r\nb");
    aia_frame_free(f);
}

static void crlf_bom_and_no_final_newline(void **state)
{
    (void)state;
    aia_frame *f = read_ok("\xEF\xBB\xBFx,y\r\n1,a\r\n2,b");
    assert_string_equal(col(f, 0)->name, "x"); /* the BOM is not part of the name */
    assert_int_equal(aia_frame_n_rows(f), 2);
    assert_true(col(f, 0)->numeric[1] == 2.0);
    assert_string_equal(col(f, 1)->dictionary[col(f, 1)->codes[1]], "b");
    aia_frame_free(f);
}

static void quoted_fields_at_line_and_input_ends(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b\r\n\"x\",\"y\"\r\n\"z\",\"\"\"w\"\"\"");
    assert_int_equal(aia_frame_n_rows(f), 2);
    const aia_column *a = col(f, 0), *b = col(f, 1);
    assert_string_equal(a->dictionary[a->codes[0]], "x");
    assert_string_equal(b->dictionary[b->codes[0]], "y");
    assert_string_equal(a->dictionary[a->codes[1]], "z");
    assert_string_equal(b->dictionary[b->codes[1]], "\"w\"");
    aia_frame_free(f);
    /* A trailing delimiter means one more (empty, so missing) field. */
    f = read_ok("a,b\n1,\n");
    assert_true(aia_frame_is_missing(f, 1, 0));
    aia_frame_free(f);
}

static void empty_lines_are_skipped(void **state)
{
    (void)state;
    aia_frame *f = read_ok("\n\na,b\n\n1,2\n\r\n3,4\n\n\n");
    assert_int_equal(aia_frame_n_rows(f), 2);
    assert_true(col(f, 1)->numeric[1] == 4.0);
    aia_frame_free(f);
}

static void delimiter_detection(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a\tb\tc\n1\t2\t3\n");
    assert_int_equal(aia_frame_n_cols(f), 3);
    aia_frame_free(f);
    f = read_ok("a;b;c\n1,5;2,5;x\n"); /* European decimals: ';' wins, "1,5" is text */
    assert_int_equal(aia_frame_n_cols(f), 3);
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_CATEGORICAL);
    assert_string_equal(col(f, 0)->dictionary[0], "1,5");
    aia_frame_free(f);
    /* Delimiters inside quotes do not count: two ';' outside beat three ',' inside. */
    f = read_ok("\"a,b,c,d\";e;f\n1;2;3\n");
    assert_int_equal(aia_frame_n_cols(f), 3);
    assert_string_equal(col(f, 0)->name, "a,b,c,d");
    aia_frame_free(f);
    /* Ties go to ',' then tab. */
    f = read_ok("a,b\tc\n1,2\t3\n");
    assert_int_equal(aia_frame_n_cols(f), 2);
    assert_string_equal(col(f, 1)->name, "b\tc");
    aia_frame_free(f);
    /* Empty lines before the header do not hide its delimiter. */
    f = read_ok("\r\n\na\tb\n1\t2\n");
    assert_int_equal(aia_frame_n_cols(f), 2);
    aia_frame_free(f);
    /* No delimiter at all: one column. */
    f = read_ok("only\n1\n2\n");
    assert_int_equal(aia_frame_n_cols(f), 1);
    aia_frame_free(f);
}

static void explicit_delimiter_overrides(void **state)
{
    (void)state;
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.delimiter = '|';
    aia_frame *f = read_ok_opts("a|b,c\n1|2,5\n", &opts);
    assert_int_equal(aia_frame_n_cols(f), 2);
    assert_string_equal(col(f, 1)->name, "b,c");
    aia_frame_free(f);
    opts.delimiter = ';';
    f = read_ok_opts("a,b;c\n1,2;3\n", &opts);
    assert_int_equal(aia_frame_n_cols(f), 2);
    aia_frame_free(f);
    opts.delimiter = '"';
    read_fails_opts("a\n1\n", &opts, AIA_INVALID_ARGUMENT, "cannot be the delimiter");
}

static void utf8_is_kept(void **state)
{
    (void)state;
    aia_frame *f = read_ok("città,名前\nRoma,東京\n\"Zürich\",😀\n");
    assert_string_equal(col(f, 0)->name, "città");
    assert_string_equal(col(f, 1)->name, "名前");
    assert_string_equal(col(f, 1)->dictionary[1], "😀");
    assert_string_equal(col(f, 0)->dictionary[1], "Zürich");
    aia_frame_free(f);
}

/* ---- missing values -------------------------------------------------------------- */

static void missing_spellings(void **state)
{
    (void)state;
    aia_frame *f = read_ok("x,y\n1.5,a\n,NA\nNaN,null\nNone,\"\"\n\"NA\",b\n");
    const aia_column *x = col(f, 0), *y = col(f, 1);
    assert_int_equal(x->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(x->n_missing, 4);
    assert_false(aia_frame_is_missing(f, 0, 0));
    for (size_t r = 1; r <= 4; r++) {
        assert_true(aia_frame_is_missing(f, 0, r));
        assert_true(isnan(x->numeric[r]));
    }
    assert_int_equal(y->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(y->n_missing, 3);
    assert_int_equal(y->codes[1], -1);
    assert_int_equal(y->codes[2], -1);
    assert_int_equal(y->codes[3], -1);
    assert_int_equal(y->dictionary_size, 2);
    assert_true(aia_frame_is_missing(f, 1, 1));
    assert_false(aia_frame_is_missing(f, 1, 4));
    assert_true(aia_frame_is_missing(f, 5, 0)); /* out of range */
    aia_frame_free(f);
}

static void missing_spellings_are_case_sensitive(void **state)
{
    (void)state;
    aia_frame *f = read_ok("x\n1\nna\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(col(f, 0)->n_missing, 0);
    aia_frame_free(f);
    f = read_ok("x\n1\nnan\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_CATEGORICAL);
    aia_frame_free(f);
    f = read_ok("x\n1\nNULL\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_CATEGORICAL);
    aia_frame_free(f);
}

static void all_missing_column_is_numeric(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b\n,1\nNA,2\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(col(f, 0)->n_missing, 2);
    aia_frame_free(f);
}

/* ---- inference ---------------------------------------------------------------------- */

static void boolean_words(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b,c\ntrue,yes,TRUE\nFalse,no,FALSE\nTrue,NA,true\n");
    for (size_t j = 0; j < 3; j++) assert_int_equal(col(f, j)->type, AIA_COLUMN_BOOLEAN);
    assert_int_equal(col(f, 0)->boolean[0], 1);
    assert_int_equal(col(f, 0)->boolean[1], 0);
    assert_int_equal(col(f, 0)->boolean[2], 1);
    assert_int_equal(col(f, 1)->boolean[1], 0);
    assert_true(aia_frame_is_missing(f, 1, 2));
    assert_int_equal(col(f, 1)->n_missing, 1);
    aia_frame_free(f);
    /* Spellings outside the list are text. */
    f = read_ok("a\nYes\nNo\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_CATEGORICAL);
    aia_frame_free(f);
}

static void zero_one_columns_are_boolean(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b,c,d\n0,0,0,1\n1,1.0,2,true\n1,0,1,0\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_BOOLEAN); /* only "0"/"1" */
    assert_int_equal(col(f, 0)->boolean[1], 1);
    assert_int_equal(col(f, 1)->type, AIA_COLUMN_NUMERIC); /* "1.0" is a number */
    assert_int_equal(col(f, 2)->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(col(f, 3)->type, AIA_COLUMN_CATEGORICAL); /* 0/1 mixed with words */
    assert_string_equal(col(f, 3)->dictionary[0], "1");
    assert_string_equal(col(f, 3)->dictionary[1], "true");
    aia_frame_free(f);
}

static void inf_and_overflow_are_not_numbers(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b,c\n1,1,1\ninf,1e999,-Infinity\n");
    for (size_t j = 0; j < 3; j++) assert_int_equal(col(f, j)->type, AIA_COLUMN_CATEGORICAL);
    aia_frame_free(f);
}

static void spaces_are_not_trimmed(void **state)
{
    (void)state;
    aia_frame *f = read_ok("a,b\n1, 2\n3,4\n");
    assert_int_equal(col(f, 0)->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(col(f, 1)->type, AIA_COLUMN_CATEGORICAL);
    assert_string_equal(col(f, 1)->dictionary[0], " 2");
    aia_frame_free(f);
}

/* A column that looks numeric for a while, then is not: codes for the early
 * rows come from the second pass and the dictionary stays in first-seen
 * order. */
static void late_categorical_keeps_first_seen_order(void **state)
{
    (void)state;
    aia_frame *f = read_ok("id,v\n10,1\n20,2\n10,NA\n30,3\nabc,4\n20,5\nzz,6\n");
    const aia_column *id = col(f, 0);
    assert_int_equal(id->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(id->dictionary_size, 5);
    const char *expected_dict[] = {"10", "20", "30", "abc", "zz"};
    for (size_t i = 0; i < 5; i++) assert_string_equal(id->dictionary[i], expected_dict[i]);
    const int32_t expected_codes[] = {0, 1, 0, 2, 3, 1, 4};
    for (size_t r = 0; r < 7; r++) assert_int_equal(id->codes[r], expected_codes[r]);
    assert_int_equal(col(f, 1)->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(col(f, 1)->n_missing, 1);
    aia_frame_free(f);

    /* Booleans then text, with missing cells before the switch. */
    f = read_ok("b\ntrue\nNA\nfalse\nmaybe\ntrue\n");
    const aia_column *b = col(f, 0);
    assert_int_equal(b->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(b->dictionary_size, 3);
    assert_string_equal(b->dictionary[0], "true");
    assert_string_equal(b->dictionary[1], "false");
    assert_string_equal(b->dictionary[2], "maybe");
    const int32_t bc[] = {0, -1, 1, 2, 0};
    for (size_t r = 0; r < 5; r++) assert_int_equal(b->codes[r], bc[r]);
    assert_int_equal(b->n_missing, 1);
    aia_frame_free(f);
}

static void numbers_are_exact(void **state)
{
    (void)state;
    aia_frame *f = read_ok("x\n0.1\n1.7976931348623157e308\n4.9e-324\n-0\n123456789012345678901234\n");
    const double *v = col(f, 0)->numeric;
    assert_true(v[0] == 0.1);
    assert_true(v[1] == 1.7976931348623157e308);
    assert_true(v[2] == 4.9e-324);
    assert_true(v[3] == 0.0 && signbit(v[3]));
    assert_true(v[4] == 123456789012345678901234.0);
    aia_frame_free(f);
}

/* ---- schema overrides -------------------------------------------------------------- */

static void schema_forces_types(void **state)
{
    (void)state;
    aia_csv_schema_entry schema[] = {
        {"zip", AIA_COLUMN_CATEGORICAL},
        {"flag", AIA_COLUMN_BOOLEAN},
        {"score", AIA_COLUMN_NUMERIC},
    };
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.schema = schema;
    opts.schema_len = 3;
    aia_frame *f = read_ok_opts("zip,flag,score\n01234,1,NA\n1234,true,7\n01234,no,1\n", &opts);
    const aia_column *zip = col(f, 0), *flag = col(f, 1), *score = col(f, 2);
    assert_int_equal(zip->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(zip->dictionary_size, 2);
    assert_string_equal(zip->dictionary[0], "01234");
    assert_int_equal(zip->codes[2], 0);
    assert_int_equal(flag->type, AIA_COLUMN_BOOLEAN);
    assert_int_equal(flag->boolean[0], 1);
    assert_int_equal(flag->boolean[1], 1);
    assert_int_equal(flag->boolean[2], 0);
    assert_int_equal(score->type, AIA_COLUMN_NUMERIC); /* would be boolean by inference */
    assert_true(isnan(score->numeric[0]) && score->numeric[1] == 7.0);
    aia_frame_free(f);
}

static void schema_mismatch_is_an_error(void **state)
{
    (void)state;
    aia_csv_schema_entry num[] = {{"age", AIA_COLUMN_NUMERIC}};
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.schema = num;
    opts.schema_len = 1;
    opts.name = "people.csv";
    read_fails_opts("id,age\n1,30\n2,abc\n", &opts, AIA_INVALID_ARGUMENT,
                    "people.csv:3:2 'age': 'abc' is not a number");
    read_fails_opts("id,age\n1,30\n2,1e999\n", &opts, AIA_INVALID_ARGUMENT,
                    "people.csv:3:2 'age': '1e999' is too large for a double");
    read_fails_opts("id,age\n1,30\n2,inf\n", &opts, AIA_INVALID_ARGUMENT, "'inf' is not a number");
    aia_csv_schema_entry boolean[] = {{"ok", AIA_COLUMN_BOOLEAN}};
    opts.schema = boolean;
    read_fails_opts("ok\ntrue\n2\n", &opts, AIA_INVALID_ARGUMENT,
                    "people.csv:3:1 'ok': '2' is not a boolean");
    aia_csv_schema_entry missing[] = {{"nope", AIA_COLUMN_NUMERIC}};
    opts.schema = missing;
    read_fails_opts("a,b\n1,2\n", &opts, AIA_NOT_FOUND,
                    "the schema names column 'nope', which the header does not have");
    aia_csv_schema_entry twice[] = {{"a", AIA_COLUMN_NUMERIC}, {"a", AIA_COLUMN_BOOLEAN}};
    opts.schema = twice;
    opts.schema_len = 2;
    read_fails_opts("a,b\n1,2\n", &opts, AIA_INVALID_ARGUMENT, "gives column 'a' a type twice");
    aia_csv_schema_entry unknown[] = {{"a", (aia_column_type)42}};
    opts.schema = unknown;
    opts.schema_len = 1;
    read_fails_opts("a,b\n1,2\n", &opts, AIA_INVALID_ARGUMENT, "unknown type 42");
}

/* ---- errors with positions --------------------------------------------------------- */

static void errors_name_line_and_column(void **state)
{
    (void)state;
    read_fails("", AIA_INVALID_ARGUMENT, "<memory>: the input is empty");
    read_fails("\n\r\n", AIA_INVALID_ARGUMENT, "the input is empty");
    read_fails("\xEF\xBB\xBF", AIA_INVALID_ARGUMENT, "the input is empty");
    read_fails("a,b\n", AIA_INVALID_ARGUMENT, "the header names 2 columns but no data row");
    read_fails("a,b\n1,2\n3\n", AIA_INVALID_ARGUMENT, "<memory>:3: expected 2 fields as in the header, got 1");
    read_fails("a,b\n1,2\n3,4,5\n", AIA_INVALID_ARGUMENT, "<memory>:3: expected 2 fields as in the header, got 3");
    /* Line numbers count the physical lines inside quoted fields. */
    read_fails("a,b\n\"x\ny\nz\",1\n3\n", AIA_INVALID_ARGUMENT, "<memory>:5: expected 2 fields");
    read_fails("a,b\n1,2\n3,\"open\n4,5\n", AIA_INVALID_ARGUMENT,
               "<memory>:3:2 'b': unterminated quoted field: the quote opened on line 3");
    read_fails("a,b\n1,\"x\"y\n", AIA_INVALID_ARGUMENT,
               "<memory>:2:2 'b': unexpected 'y' after the closing quote");
    read_fails("a,b\n1,x\"y\n", AIA_INVALID_ARGUMENT,
               "<memory>:2:2 'b': quote character inside an unquoted field");
    read_fails("a,b\n1,2\r3,4\n", AIA_INVALID_ARGUMENT, "<memory>:2:2 'b': carriage return");
    read_fails("a,,c\n1,2,3\n", AIA_INVALID_ARGUMENT, "<memory>:1:2: header column 2 has an empty name");
    read_fails("a,b,a\n1,2,3\n", AIA_INVALID_ARGUMENT,
               "<memory>:1:3: header column 3 'a' repeats the name of column 1");
    read_fails("a,b\n1,\xff\n", AIA_INVALID_ARGUMENT,
               "<memory>:2:2 'b': invalid UTF-8 byte sequence starting with byte 0xff");
    read_fails("a,b\n1,\"x\n\xc3\x28\"\n", AIA_INVALID_ARGUMENT,
               "<memory>:3:2 'b': invalid UTF-8 byte sequence starting with byte 0xc3");
    read_fails("a,\xed\xa0\x80\n1,2\n", AIA_INVALID_ARGUMENT, "<memory>:1:2: invalid UTF-8");
    static const char nul[] = "a,b\n1,x\0y\n";
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_csv_read_buffer(nul, sizeof nul - 1, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "<memory>:2:2 'b': NUL byte"));
    assert_null(f);
}

static void long_values_are_shortened_in_messages(void **state)
{
    (void)state;
    aia_csv_schema_entry num[] = {{"x", AIA_COLUMN_NUMERIC}};
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.schema = num;
    opts.schema_len = 1;
    read_fails_opts("x\n\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n", &opts,
                    AIA_INVALID_ARGUMENT, "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not a number");
    read_fails_opts("x\n\"a\nb\"\n", &opts, AIA_INVALID_ARGUMENT, "'a\\nb' is not a number");
}

/* ---- files --------------------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

static void reads_files(void **state)
{
    (void)state;
    const char *tmp = getenv("TEST_TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/aia_csv_test_%d.csv", tmp ? tmp : "/tmp", (int)getpid());
    write_file(path, "a,b\n1,x\n2,y\n");
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_csv_read_file(path, NULL, &f, &err), AIA_OK);
    assert_int_equal(aia_frame_n_rows(f), 2);
    assert_string_equal(aia_frame_source(f), path);
    aia_frame_free(f);

    write_file(path, "a,b\n1,x\n2\n");
    assert_int_equal(aia_csv_read_file(path, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s:3: expected 2 fields", path);
    assert_non_null(strstr(err.message, expected));

    write_file(path, "");
    assert_int_equal(aia_csv_read_file(path, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "the input is empty"));
    unlink(path);

    assert_int_equal(aia_csv_read_file(path, NULL, &f, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "cannot read the file"));
    assert_int_equal(aia_csv_read_file(tmp ? tmp : "/tmp", NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "is a directory"));
    assert_null(f);
}

/* A non-regular file (a pipe) is read into memory instead of mapped. */
static void reads_pipes(void **state)
{
    (void)state;
    const char *tmp = getenv("TEST_TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/aia_csv_fifo_%d", tmp ? tmp : "/tmp", (int)getpid());
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int fd = open(path, O_WRONLY);
        static const char text[] = "a;b\n1;x\n2;y\n";
        ssize_t wrote = fd >= 0 ? write(fd, text, sizeof text - 1) : -1;
        _exit(wrote == (ssize_t)(sizeof text - 1) ? 0 : 1);
    }
    aia_frame *f = NULL;
    aia_error err;
    aia_status st = aia_csv_read_file(path, NULL, &f, &err);
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    unlink(path);
    if (st != AIA_OK) fail_msg("%s", err.message);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(aia_frame_n_rows(f), 2);
    assert_int_equal(aia_frame_n_cols(f), 2);
    assert_true(col(f, 0)->numeric[1] == 2.0);
    aia_frame_free(f);
}

/* A column that turns categorical on its last row: the second pass must
 * intern every earlier row, in first-seen order. */
static void late_categorical_over_many_rows(void **state)
{
    (void)state;
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_strbuf_puts(&sb, "id,x\n");
    const size_t n = 20000;
    for (size_t r = 0; r + 1 < n; r++) aia_strbuf_printf(&sb, "%zu,%zu\n", (r * 7) % 1000, r);
    aia_strbuf_puts(&sb, "last,1\n");
    aia_frame *f = read_ok(aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    const aia_column *id = col(f, 0);
    assert_int_equal(id->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(id->dictionary_size, 1001);
    assert_string_equal(id->dictionary[1000], "last");
    char want[32];
    for (size_t r = 0; r + 1 < n; r++) {
        snprintf(want, sizeof want, "%zu", (r * 7) % 1000);
        assert_string_equal(id->dictionary[id->codes[r]], want);
        if (r < 1000) assert_int_equal(id->codes[r], (int32_t)r); /* first seen in row order */
    }
    assert_int_equal(id->codes[n - 1], 1000);
    aia_frame_free(f);
}

/* ---- frame look-ups and target checks ---------------------------------------------- */

static void find_and_target_checks(void **state)
{
    (void)state;
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.name = "train.csv";
    aia_frame *f = read_ok_opts("a,b,c,d,e,f,g,y,same\n1,2,3,4,5,6,7,yes,k\n1,2,3,4,5,6,7,no,k\n", &opts);
    size_t at = 99;
    aia_error err;
    assert_int_equal(aia_frame_find(f, "y", &at, &err), AIA_OK);
    assert_int_equal(at, 7);
    assert_int_equal(aia_frame_find(f, "Y", &at, &err), AIA_NOT_FOUND);
    assert_string_equal(err.message, "train.csv: column 'Y' not found; columns are 'a', 'b', "
                                     "'c', 'd', 'e' (and 4 more)");
    assert_int_equal(aia_frame_check_target(f, "label", NULL, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "train.csv: target column 'label' not found"));
    assert_int_equal(aia_frame_check_classification_target(f, "y", &err), AIA_OK);
    assert_int_equal(aia_frame_check_classification_target(f, "same", &err), AIA_FAILED_PRECONDITION);
    assert_string_equal(err.message, "train.csv: target column 'same' has one class ('k') in all "
                                     "2 rows; classification needs at least two");
    assert_int_equal(aia_frame_check_classification_target(f, "b", &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "one class ('2')"));
    assert_int_equal(aia_frame_check_classification_target(f, "a", &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "one class ('true')")); /* a 0/1 column is boolean */
    assert_int_equal(aia_frame_check_classification_target(f, "nope", &err), AIA_NOT_FOUND);
    aia_frame_free(f);

    f = read_ok("x,y\n1,a\n2,NA\n3,b\n");
    assert_int_equal(aia_frame_check_classification_target(f, "y", &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "target column 'y' is missing in data row 2"));
    aia_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numeric_columns),
        cmocka_unit_test(rfc4180_quoting),
        cmocka_unit_test(crlf_bom_and_no_final_newline),
        cmocka_unit_test(quoted_fields_at_line_and_input_ends),
        cmocka_unit_test(empty_lines_are_skipped),
        cmocka_unit_test(delimiter_detection),
        cmocka_unit_test(explicit_delimiter_overrides),
        cmocka_unit_test(utf8_is_kept),
        cmocka_unit_test(missing_spellings),
        cmocka_unit_test(missing_spellings_are_case_sensitive),
        cmocka_unit_test(all_missing_column_is_numeric),
        cmocka_unit_test(boolean_words),
        cmocka_unit_test(zero_one_columns_are_boolean),
        cmocka_unit_test(inf_and_overflow_are_not_numbers),
        cmocka_unit_test(spaces_are_not_trimmed),
        cmocka_unit_test(late_categorical_keeps_first_seen_order),
        cmocka_unit_test(numbers_are_exact),
        cmocka_unit_test(schema_forces_types),
        cmocka_unit_test(schema_mismatch_is_an_error),
        cmocka_unit_test(errors_name_line_and_column),
        cmocka_unit_test(long_values_are_shortened_in_messages),
        cmocka_unit_test(reads_files),
        cmocka_unit_test(reads_pipes),
        cmocka_unit_test(late_categorical_over_many_rows),
        cmocka_unit_test(find_and_target_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
