// Vectorised exp, sigmoid and tanh (see vmath.h). exp: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split
// in two for an exact reduction), e^r by its Taylor polynomial to r⁷ (truncation ≈ 0.1 ulp), and
// 2^n placed in the exponent bits. sigmoid: e = exp(−|x|), then 1/(1 + e) or e/(1 + e), never
// overflowing. tanh: expm1(2|x|)/(expm1(2|x|) + 2) with expm1 by its Taylor polynomial below ln2
// (no cancellation for small x) and exp(y) − 1 above; |x| is clamped at 9, where the result
// already rounds to 1, and the sign restored.

#include "vmath.h"

#include "cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace nabla {

namespace {

#define NABLA_AVX2 __attribute__((target("avx2,fma")))

// exp's reduction holds n in [−126, 127], so 2^n is a normal float: x in [−87.33, 88.3].
constexpr float kExpLo = -87.33f, kExpHi = 88.3f;

NABLA_AVX2 inline __m256 expCore(__m256 x) {
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln2's first 9 bits: n·hi is exact
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/** expm1(y) for 0 ≤ y < ln2 by Taylor to y¹⁰ (truncation below 1e-9 relative). */
NABLA_AVX2 inline __m256 expm1Small(__m256 y) {
  __m256 p = _mm256_set1_ps(1.0f / 3628800);
  const float c[] = {1.0f / 362880, 1.0f / 40320, 1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f};
  for (float k : c) p = _mm256_fmadd_ps(p, y, _mm256_set1_ps(k));
  return _mm256_mul_ps(p, y);
}

/** Whether every lane lies in [lo, hi] (false for NaN). */
NABLA_AVX2 inline bool allWithin(__m256 x, float lo, float hi) {
  const __m256 in = _mm256_and_ps(_mm256_cmp_ps(x, _mm256_set1_ps(lo), _CMP_GE_OQ), _mm256_cmp_ps(x, _mm256_set1_ps(hi), _CMP_LE_OQ));
  return _mm256_movemask_ps(in) == 0xFF;
}

struct Exp {
  NABLA_AVX2 static bool covers(__m256 x) { return allWithin(x, kExpLo, kExpHi); }
  NABLA_AVX2 static __m256 apply(__m256 x) { return expCore(x); }
};

struct Sigmoid {
  NABLA_AVX2 static bool covers(__m256 x) { return allWithin(x, kExpLo, -kExpLo); }
  NABLA_AVX2 static __m256 apply(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 e = expCore(_mm256_or_ps(x, sign));  // exp(−|x|)
    const __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
  }
};

struct Tanh {
  // Any magnitude (|x| is clamped); only NaN goes to the scalar function.
  NABLA_AVX2 static bool covers(__m256 x) { return _mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_ORD_Q)) == 0xFF; }
  NABLA_AVX2 static __m256 apply(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 a = _mm256_min_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(9.0f));
    const __m256 y = _mm256_add_ps(a, a);
    const __m256 small = _mm256_cmp_ps(y, _mm256_set1_ps(0.693147182f), _CMP_LT_OQ);
    const __m256 em1 = _mm256_blendv_ps(_mm256_sub_ps(expCore(y), _mm256_set1_ps(1.0f)), expm1Small(y), small);
    const __m256 t = _mm256_div_ps(em1, _mm256_add_ps(em1, _mm256_set1_ps(2.0f)));
    return _mm256_or_ps(t, _mm256_and_ps(x, sign));
  }
};

/** One block of eight: the vector form when it covers every lane, else the scalar function. */
template <class Op>
NABLA_AVX2 void block(const float* in, float* out, ScalarFn scalar) {
  const __m256 v = _mm256_loadu_ps(in);
  if (Op::covers(v)) {
    _mm256_storeu_ps(out, Op::apply(v));
    return;
  }
  for (int k = 0; k < 8; k++) out[k] = scalar(in[k]);
}

/** A row in blocks of eight; a short tail goes through a zero-padded block. */
template <class Op>
NABLA_AVX2 void row(const float* x, float* y, int64_t n, ScalarFn scalar) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) block<Op>(x + i, y + i, scalar);
  if (i < n) {
    float in[8] = {0, 0, 0, 0, 0, 0, 0, 0}, out[8];
    for (int64_t k = i; k < n; k++) in[k - i] = x[k];
    block<Op>(in, out, scalar);
    for (int64_t k = i; k < n; k++) y[k] = out[k - i];
  }
}

}  // namespace

VectorRow vectorRow(UnaryOp op) {
  if (activeIsa() < Isa::avx2) return nullptr;  // no AVX2/FMA here, or portable kernels forced
  switch (op) {
    case UnaryOp::exp: return row<Exp>;
    case UnaryOp::sigmoid: return row<Sigmoid>;
    case UnaryOp::tanh: return row<Tanh>;
    default: return nullptr;
  }
}

}  // namespace nabla

#else

namespace nabla {
VectorRow vectorRow(UnaryOp) { return nullptr; }
}  // namespace nabla

#endif
