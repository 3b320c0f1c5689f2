/* lib/ml/matrix.h — a read-only view of a numeric design matrix, column by
 * column, as the learners consume it.
 *
 * Columns are borrowed (a frame's numeric columns, or the output of the
 * preprocessing), never copied: col[j][i] is feature j of row i, NaN when
 * missing. The view owns nothing; its arrays must outlive every call that
 * receives it. Reading a view from several threads at once is safe.
 */
#ifndef AIA_ML_MATRIX_H
#define AIA_ML_MATRIX_H

#include <stddef.h>

typedef struct aia_matrix {
    size_t n_rows;
    size_t n_cols;
    const double *const *col; /* n_cols pointers to n_rows values each */
} aia_matrix;

#endif
