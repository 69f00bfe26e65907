// Elementwise float32 kernels whose float32 results are exact, so they equal the cpu backend's
// (which computes in double and rounds once: the same for + − × ÷, sqrt and comparisons). Binary
// operands are "periodic": an operand of n elements repeats every `period` elements of the
// output (period n: same shape; 1: a scalar; the last dims' size: a broadcast row, as a bias).
// Loops are written plainly for the compiler to vectorise with SIMD.

#include "kernels.h"

enum { ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, RELU_GRAD };
enum { NEG, ABS, RELU, SQRT, SQUARE };

static inline float apply(int op, float a, float b) {
  switch (op) {
    case ADD: return a + b;
    case SUB: return a - b;
    case MUL: return a * b;
    case DIV: return a / b;
    case MAXIMUM: return a != a || b != b ? __builtin_nanf("") : a > b ? a : b;
    case MINIMUM: return a != a || b != b ? __builtin_nanf("") : a < b ? a : b;
    default: return a * (b > 0 ? 1.0f : 0.0f);
  }
}

/** One op over a run: a and b each step (1) or stay (0), so the switch is hoisted out of the loop. */
#define RUN(OP_EXPR)                                                                  \
  for (int i = 0; i < n; i++) {                                                       \
    const float x = a[i * as], y = b[i * bs];                                          \
    out[i] = OP_EXPR;                                                                  \
  }

static void run(int op, const float* a, int as, const float* b, int bs, float* out, int n) {
  switch (op) {
    case ADD: RUN(x + y) break;
    case SUB: RUN(x - y) break;
    case MUL: RUN(x * y) break;
    case DIV: RUN(x / y) break;
    default: RUN(apply(op, x, y)) break;
  }
}

/** out[i] = op(a[i mod aPeriod], b[i mod bPeriod]) for i < n; each period divides n. */
EXPORT("binary") int binary(int op, const float* a, int aPeriod, const float* b, int bPeriod, float* out, int n) {
  if (aPeriod == n && bPeriod == n) {
    run(op, a, 1, b, 1, out, n);
  } else if (aPeriod == n) {
    // b repeats: per block of bPeriod (a scalar is a block of 1, read as a stride-0 run).
    if (bPeriod == 1) run(op, a, 1, b, 0, out, n);
    else for (int i = 0; i < n; i += bPeriod) run(op, a + i, 1, b, 1, out + i, bPeriod);
  } else {
    if (aPeriod == 1) run(op, a, 0, b, 1, out, n);
    else for (int i = 0; i < n; i += aPeriod) run(op, a, 1, b + i, 1, out + i, aPeriod);
  }
  return 0;
}

EXPORT("unary") int unary(int op, const float* x, float* out, int n) {
  switch (op) {
    case NEG: for (int i = 0; i < n; i++) out[i] = -x[i]; break;
    case ABS: for (int i = 0; i < n; i++) out[i] = __builtin_fabsf(x[i]); break;
    // relu keeps a NaN and turns −0 into +0, as the cpu backend's x > 0 ? x : x ≠ x ? x : 0.
    case RELU: for (int i = 0; i < n; i++) { const float v = x[i]; out[i] = v > 0 ? v : v != v ? v : 0.0f; } break;
    case SQRT: for (int i = 0; i < n; i++) out[i] = __builtin_sqrtf(x[i]); break;
    default: for (int i = 0; i < n; i++) out[i] = x[i] * x[i]; break;
  }
  return 0;
}
