// The AVX-512F micro-kernel: a 12×32 tile of C in 24 zmm registers (two 16-float vectors per row),
// two 16-float loads of B and twelve broadcasts of A per step of depth, 24 fused multiply-adds. The
// same scheme as the 6×16 AVX2 kernel with twice the vector width and twice the rows. This
// translation unit is the only one compiled for AVX-512 (through target attributes); gemm.cc calls
// it only when activeIsa() (cpu_features.h) is AVX-512, i.e. the CPU has AVX-512F and the OS saves
// the ZMM registers.
// scripts/emulated-avx512.sh builds it against SIMDe's portable intrinsics (NABLA_EMULATE_AVX512)
// to run its logic on CPUs without AVX-512.

#include "gemm.h"

#if defined(NABLA_EMULATE_AVX512)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#include <xmmintrin.h>
#define NABLA_AVX512
#define NABLA_HAS_AVX512_KERNEL 1
#elif defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NABLA_AVX512 __attribute__((target("avx512f")))
#define NABLA_HAS_AVX512_KERNEL 1
#endif

#if defined(NABLA_HAS_AVX512_KERNEL)

namespace nabla {

static_assert(kMR512 == 12 && kNR512 == 32, "the AVX-512 kernel is written for a 12x32 tile");

namespace {

NABLA_AVX512 inline void storeRow(float* c, __m512 lo, __m512 hi, __m512 va, float beta) {
  lo = _mm512_mul_ps(lo, va);
  hi = _mm512_mul_ps(hi, va);
  if (beta != 0.0f) {
    const __m512 vb = _mm512_set1_ps(beta);
    lo = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), lo);
    hi = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16), hi);
  }
  _mm512_storeu_ps(c, lo);
  _mm512_storeu_ps(c + 16, hi);
}

NABLA_AVX512 void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t rsc, int64_t csc, int mr, int nr, float alpha,
                         float beta) {
  __m512 lo0 = _mm512_setzero_ps(), hi0 = _mm512_setzero_ps();
  __m512 lo1 = _mm512_setzero_ps(), hi1 = _mm512_setzero_ps();
  __m512 lo2 = _mm512_setzero_ps(), hi2 = _mm512_setzero_ps();
  __m512 lo3 = _mm512_setzero_ps(), hi3 = _mm512_setzero_ps();
  __m512 lo4 = _mm512_setzero_ps(), hi4 = _mm512_setzero_ps();
  __m512 lo5 = _mm512_setzero_ps(), hi5 = _mm512_setzero_ps();
  __m512 lo6 = _mm512_setzero_ps(), hi6 = _mm512_setzero_ps();
  __m512 lo7 = _mm512_setzero_ps(), hi7 = _mm512_setzero_ps();
  __m512 lo8 = _mm512_setzero_ps(), hi8 = _mm512_setzero_ps();
  __m512 lo9 = _mm512_setzero_ps(), hi9 = _mm512_setzero_ps();
  __m512 lo10 = _mm512_setzero_ps(), hi10 = _mm512_setzero_ps();
  __m512 lo11 = _mm512_setzero_ps(), hi11 = _mm512_setzero_ps();
  // Row i of the tile gains a[i]·(b0, b1).
#define NABLA_ROW(A, i)                      \
  av = _mm512_set1_ps((A)[i]);               \
  lo##i = _mm512_fmadd_ps(av, b0, lo##i);    \
  hi##i = _mm512_fmadd_ps(av, b1, hi##i);
#define NABLA_STEP(A, B)                       \
  {                                            \
    const __m512 b0 = _mm512_loadu_ps(B);      \
    const __m512 b1 = _mm512_loadu_ps((B) + 16); \
    __m512 av;                                 \
    NABLA_ROW(A, 0) NABLA_ROW(A, 1) NABLA_ROW(A, 2) NABLA_ROW(A, 3)   \
    NABLA_ROW(A, 4) NABLA_ROW(A, 5) NABLA_ROW(A, 6) NABLA_ROW(A, 7)   \
    NABLA_ROW(A, 8) NABLA_ROW(A, 9) NABLA_ROW(A, 10) NABLA_ROW(A, 11) \
  }
  // C's rows are a leading dimension apart (often a multiple of 4 KiB, so they share cache sets):
  // start fetching them now so that the tile's update at the end does not wait for memory.
  if (csc == 1) {
    for (int i = 0; i < mr; i++) {
      _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * rsc + kNR512 - 1), _MM_HINT_T0);
    }
  }
  int64_t p = 0;
  for (; p + 4 <= kc; p += 4, a += 4 * kMR512, b += 4 * kNR512) {
    // Each step reads a 128-byte row of B (two cache lines): fetch the four rows eight steps ahead.
    for (int ahead = 8; ahead < 12; ahead++) {
      _mm_prefetch(reinterpret_cast<const char*>(b + ahead * kNR512), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + ahead * kNR512 + 16), _MM_HINT_T0);
    }
    NABLA_STEP(a, b);
    NABLA_STEP(a + kMR512, b + kNR512);
    NABLA_STEP(a + 2 * kMR512, b + 2 * kNR512);
    NABLA_STEP(a + 3 * kMR512, b + 3 * kNR512);
  }
  for (; p < kc; p++, a += kMR512, b += kNR512) NABLA_STEP(a, b);
#undef NABLA_STEP
#undef NABLA_ROW

  if (mr == kMR512 && nr == kNR512 && csc == 1) {
    const __m512 va = _mm512_set1_ps(alpha);
#define NABLA_STORE(i) storeRow(c + i * rsc, lo##i, hi##i, va, beta);
    NABLA_STORE(0) NABLA_STORE(1) NABLA_STORE(2) NABLA_STORE(3) NABLA_STORE(4) NABLA_STORE(5)
    NABLA_STORE(6) NABLA_STORE(7) NABLA_STORE(8) NABLA_STORE(9) NABLA_STORE(10) NABLA_STORE(11)
#undef NABLA_STORE
    return;
  }
  // Edge tile or strided C: go through a local tile.
  alignas(64) float t[kMR512][kNR512];
#define NABLA_SPILL(i)              \
  _mm512_store_ps(t[i], lo##i);     \
  _mm512_store_ps(t[i] + 16, hi##i);
  NABLA_SPILL(0) NABLA_SPILL(1) NABLA_SPILL(2) NABLA_SPILL(3) NABLA_SPILL(4) NABLA_SPILL(5)
  NABLA_SPILL(6) NABLA_SPILL(7) NABLA_SPILL(8) NABLA_SPILL(9) NABLA_SPILL(10) NABLA_SPILL(11)
#undef NABLA_SPILL
  for (int i = 0; i < mr; i++) {
    float* row = c + i * rsc;
    if (beta == 0.0f) for (int j = 0; j < nr; j++) row[j * csc] = alpha * t[i][j];
    else for (int j = 0; j < nr; j++) row[j * csc] = alpha * t[i][j] + beta * row[j * csc];
  }
}

}  // namespace

MicroKernel microKernelAvx512() { return kernel; }

}  // namespace nabla

#else

namespace nabla {
MicroKernel microKernelAvx512() { return nullptr; }
}  // namespace nabla

#endif
