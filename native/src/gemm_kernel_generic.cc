// The portable micro-kernel: plain C++ loops over an MR×NR tile held in a local array. Compilers
// vectorise the NR-wide inner loop with whatever baseline SIMD the target has (SSE2 on x86-64,
// NEON on arm64); it is the fallback where AVX2/FMA is missing, and the reference the tests use
// to check the AVX2 kernel.

#include "gemm.h"

namespace nabla {

/** Write an accumulated tile into C: alpha·acc (+ beta·C). */
static inline void storeTile(const float (*acc)[kNR], float* c, int64_t rsc, int64_t csc, int mr, int nr, float alpha, float beta) {
  for (int i = 0; i < mr; i++) {
    float* row = c + i * rsc;
    if (beta == 0.0f) {
      for (int j = 0; j < nr; j++) row[j * csc] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < nr; j++) row[j * csc] = alpha * acc[i][j] + beta * row[j * csc];
    }
  }
}

void microKernelGeneric(int64_t kc, const float* a, const float* b, float* c, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                        float beta) {
  float acc[kMR][kNR] = {};
  for (int64_t p = 0; p < kc; p++, a += kMR, b += kNR) {
    for (int i = 0; i < kMR; i++) {
      const float ai = a[i];
      for (int j = 0; j < kNR; j++) acc[i][j] += ai * b[j];
    }
  }
  storeTile(acc, c, rsc, csc, mr, nr, alpha, beta);
}

}  // namespace nabla
