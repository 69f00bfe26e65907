// The AVX2/FMA micro-kernel: a 6×16 tile of C in twelve ymm registers, two 8-float loads of B and
// six broadcasts of A per step of depth, twelve fused multiply-adds. This translation unit is the
// only one compiled for AVX2 (through target attributes, so the rest of the addon stays portable);
// gemm.cc calls it only when activeIsa() (cpu_features.h) is AVX2 or above.

#include "gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define NABLA_AVX2 __attribute__((target("avx2,fma")))

namespace nabla {

static_assert(kMR == 6 && kNR == 16, "the AVX2 kernel is written for a 6x16 tile");

namespace {

NABLA_AVX2 inline void storeRow(float* c, __m256 lo, __m256 hi, __m256 va, float beta) {
  lo = _mm256_mul_ps(lo, va);
  hi = _mm256_mul_ps(hi, va);
  if (beta != 0.0f) {
    const __m256 vb = _mm256_set1_ps(beta);
    lo = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), lo);
    hi = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), hi);
  }
  _mm256_storeu_ps(c, lo);
  _mm256_storeu_ps(c + 8, hi);
}

NABLA_AVX2 void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                       float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define NABLA_STEP(A, B)                                   \
  {                                                        \
    const __m256 b0 = _mm256_load_ps(B);                   \
    const __m256 b1 = _mm256_load_ps((B) + 8);             \
    __m256 av = _mm256_broadcast_ss(A);                    \
    c00 = _mm256_fmadd_ps(av, b0, c00);                    \
    c01 = _mm256_fmadd_ps(av, b1, c01);                    \
    av = _mm256_broadcast_ss((A) + 1);                     \
    c10 = _mm256_fmadd_ps(av, b0, c10);                    \
    c11 = _mm256_fmadd_ps(av, b1, c11);                    \
    av = _mm256_broadcast_ss((A) + 2);                     \
    c20 = _mm256_fmadd_ps(av, b0, c20);                    \
    c21 = _mm256_fmadd_ps(av, b1, c21);                    \
    av = _mm256_broadcast_ss((A) + 3);                     \
    c30 = _mm256_fmadd_ps(av, b0, c30);                    \
    c31 = _mm256_fmadd_ps(av, b1, c31);                    \
    av = _mm256_broadcast_ss((A) + 4);                     \
    c40 = _mm256_fmadd_ps(av, b0, c40);                    \
    c41 = _mm256_fmadd_ps(av, b1, c41);                    \
    av = _mm256_broadcast_ss((A) + 5);                     \
    c50 = _mm256_fmadd_ps(av, b0, c50);                    \
    c51 = _mm256_fmadd_ps(av, b1, c51);                    \
  }
  // C's rows are a leading dimension apart (often a multiple of 4 KiB, so they share cache sets):
  // start fetching them now so that the tile's update at the end does not wait for memory.
  if (csc == 1) {
    for (int i = 0; i < mr; i++) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc + kNR - 1), _MM_HINT_T0);
    }
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 4 * kMR, b += 4 * kNR) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNR), _MM_HINT_T0);
    NABLA_STEP(a, b);
    NABLA_STEP(a + kMR, b + kNR);
    NABLA_STEP(a + 2 * kMR, b + 2 * kNR);
    NABLA_STEP(a + 3 * kMR, b + 3 * kNR);
  }
  for (; p < kc; p++, a += kMR, b += kNR) NABLA_STEP(a, b);
#undef NABLA_STEP

  const __m256 va = _mm256_set1_ps(alpha);
  if (mr == kMR && nr == kNR && csc == 1) {
    storeRow(c, c00, c01, va, beta);
    storeRow(c + rsc, c10, c11, va, beta);
    storeRow(c + 2 * rsc, c20, c21, va, beta);
    storeRow(c + 3 * rsc, c30, c31, va, beta);
    storeRow(c + 4 * rsc, c40, c41, va, beta);
    storeRow(c + 5 * rsc, c50, c51, va, beta);
    return;
  }
  // Edge tile or strided C: go through a local tile.
  alignas(32) float t[kMR][kNR];
  _mm256_store_ps(t[0], c00); _mm256_store_ps(t[0] + 8, c01);
  _mm256_store_ps(t[1], c10); _mm256_store_ps(t[1] + 8, c11);
  _mm256_store_ps(t[2], c20); _mm256_store_ps(t[2] + 8, c21);
  _mm256_store_ps(t[3], c30); _mm256_store_ps(t[3] + 8, c31);
  _mm256_store_ps(t[4], c40); _mm256_store_ps(t[4] + 8, c41);
  _mm256_store_ps(t[5], c50); _mm256_store_ps(t[5] + 8, c51);
  for (int i = 0; i < mr; i++) {
    float* row = c + i * rsc;
    if (beta == 0.0f) for (int j = 0; j < nr; j++) row[j * csc] = alpha * t[i][j];
    else for (int j = 0; j < nr; j++) row[j * csc] = alpha * t[i][j] + beta * row[j * csc];
  }
}

}  // namespace

MicroKernel microKernelAvx2() { return kernel; }

}  // namespace nabla

#else

namespace nabla {
MicroKernel microKernelAvx2() { return nullptr; }
}  // namespace nabla

#endif
