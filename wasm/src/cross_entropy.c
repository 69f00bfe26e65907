// Fused softmax cross-entropy on class indices, as the native addon's (native/src/cross_entropy.cc):
// logits [N, C], int32 targets [N] (checked by the caller). Forward writes each row's log-sum-exp
// and the loss; backward dlogits[n, c] = s_n · (softmax(x_n)[c] − [c = t_n]). Exponentials and
// sums are in double. There is no libm here: exp and log are JavaScript's Math.exp and Math.log,
// imported, so they are the very functions the cpu backend's composite path calls.

#include "kernels.h"

__attribute__((import_module("env"), import_name("exp"))) double hostExp(double);
__attribute__((import_module("env"), import_name("log"))) double hostLog(double);

enum { NONE, SUM, MEAN };

static int kept(const int* target, int rows, int ignoreIndex) {
  int count = 0;
  for (int n = 0; n < rows; n++) count += target[n] != ignoreIndex;
  return count;
}

EXPORT("crossEntropy")
int crossEntropy(int rows, int classes, int ignoreIndex, int reduction, const float* x, const int* target, float* lse, float* out) {
  double total = 0;
  for (int n = 0; n < rows; n++) {
    const float* row = x + (size_t)n * classes;
    double m = -__builtin_inf();
    for (int c = 0; c < classes; c++) {
      const double v = row[c];
      if (v > m || v != v) m = v;
    }
    double sum = 0;
    for (int c = 0; c < classes; c++) sum += hostExp((double)row[c] - m);
    lse[n] = (float)(m + hostLog(sum));
    const int t = target[n];
    const double loss = t == ignoreIndex ? 0.0 : (double)lse[n] - row[t];
    if (reduction == NONE) out[n] = (float)loss;
    else total += loss;
  }
  // 0/0 = NaN for an all-ignored batch, as torch.
  if (reduction != NONE) out[0] = (float)(reduction == SUM ? total : total / kept(target, rows, ignoreIndex));
  return 0;
}

EXPORT("crossEntropyBackward")
int crossEntropyBackward(int rows, int classes, int ignoreIndex, int reduction, const float* x, const int* target, const float* lse,
                         const float* gy, float* gx) {
  // Reduced losses share one upstream gradient; per-sample ones read theirs.
  double shared = 0;
  if (reduction != NONE) shared = reduction == MEAN ? (double)gy[0] / kept(target, rows, ignoreIndex) : gy[0];
  for (int n = 0; n < rows; n++) {
    const int t = target[n];
    float* drow = gx + (size_t)n * classes;
    if (t == ignoreIndex) {
      for (int c = 0; c < classes; c++) drow[c] = 0.0f;
      continue;
    }
    const double s = reduction == NONE ? (double)gy[n] : shared;
    const float* row = x + (size_t)n * classes;
    const double shift = lse[n];
    for (int c = 0; c < classes; c++) {
      const double p = hostExp((double)row[c] - shift);
      drow[c] = (float)(s * (c == t ? p - 1.0 : p));
    }
  }
  return 0;
}
