/* lib/data/number.h — decimal text to double, fast and exactly as strtod.
 *
 * The CSV reader parses tens of millions of numbers, and glibc's strtod is
 * the slow part of that. aia_number_parse() accepts a strict subset of
 * strtod's syntax and returns exactly strtod's correctly rounded result:
 *
 *   [+|-] digits [. [digits]] [(e|E) [+|-] digits]     or
 *   [+|-] . digits [(e|E) [+|-] digits]
 *
 * i.e. at least one mantissa digit, a '.' as the decimal point whatever the
 * process locale, and nothing else: no surrounding spaces, no hexadecimal,
 * no "inf"/"infinity"/"nan" (a CSV "NaN" is a missing value, handled before
 * this is called; infinities are not data we can train on), no digit
 * separators.
 *
 * How: the significant digits (at most 19, read eight at a time) go into a
 * uint64 m, and the value is m * 10^e. When m <= 2^53 and |e| <= 22, both
 * are exact doubles and one double operation rounds correctly (Clinger's
 * fast path). Otherwise, when |e| <= 27, 10^|e| is exact in x87 extended
 * precision (64 mantissa bits), so one extended multiplication or division
 * rounds the exact value once; rounding that to double is then correct
 * unless the extended result sits exactly on a midpoint between two
 * doubles, which is checked. Everything else (more than 19 digits, large exponents, the
 * midpoint case, platforms without 64-bit long double) goes to strtod_l in
 * the C locale. tests/unit/data/number_test.c compares the result with
 * strtod's on about two million random inputs.
 *
 * Thread-safe; allocates only for inputs longer than 128 bytes that reach
 * the strtod fallback.
 */
#ifndef AIA_DATA_NUMBER_H
#define AIA_DATA_NUMBER_H

#include <stddef.h>

typedef enum aia_number_result {
    AIA_NUMBER_OK = 0,
    AIA_NUMBER_SYNTAX = 1, /* not a decimal number in the syntax above */
    AIA_NUMBER_RANGE = 2,  /* a number, but its magnitude overflows a double */
    AIA_NUMBER_NOMEM = 3,  /* out of memory copying a very long input */
} aia_number_result;

/* Parses s[0..n) (not NUL-terminated) in full. On AIA_NUMBER_OK stores the
 * value in *out (underflow gives a correctly rounded subnormal or a signed
 * zero, as strtod does); otherwise leaves *out unchanged. */
aia_number_result aia_number_parse(const char *s, size_t n, double *out);

#endif
