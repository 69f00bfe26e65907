// 2×2, stride-2 max pooling, the layer every classic CNN uses. The forward deinterleaves two input
// rows into the four taps of eight windows (AVX2) or four (SSE2), one window at a time where a row
// has fewer; it can add a channel bias to every tap and apply ReLU (the fused conv → relu → pool).
// The backward writes each input element once (its block's gradient or 0) instead of zeroing the
// plane and scattering into it.

#include "pool2x2.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NABLA_POOL_AVX2 1
#endif

#include "cpu_features.h"

namespace nabla {

namespace {

#if defined(__SSE2__)
/** Lanes of a where mask is set, else of b. */
inline __m128 blend(__m128 mask, __m128 a, __m128 b) { return _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b)); }
inline __m128i blend(__m128i mask, __m128i a, __m128i b) { return _mm_or_si128(_mm_and_si128(mask, a), _mm_andnot_si128(mask, b)); }
#endif

/** Scalar window for the columns the vector loop leaves. */
void unpoolWindow(float g, int32_t at, int64_t base, int64_t W, float* r0, float* r1) {
  r0[0] = at == base ? g : 0.0f;
  r0[1] = at == base + 1 ? g : 0.0f;
  r1[0] = at == base + W ? g : 0.0f;
  r1[1] = at == base + W + 1 ? g : 0.0f;
}

inline bool inBlock(int32_t at, int64_t base, int64_t W) {
  return at == -1 || at == base || at == base + 1 || at == base + W || at == base + W + 1;
}

#if defined(NABLA_POOL_AVX2)
/**
 * Eight windows at a time with AVX2, for OW ≥ 8 (the last group overlapping the previous one).
 * The in-lane deinterleave leaves windows in the order 0 1 4 5 2 3 6 7; the tap indices follow
 * that order, and one cross-lane permute of the results restores it.
 */
template <bool kBias>
__attribute__((target("avx2"))) void pool2x2Avx2(const Pool2x2Plane& p) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 none = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
  const __m256 bias = _mm256_set1_ps(kBias ? *p.bias : 0.0f);
  const __m256i order = _mm256_setr_epi32(0, 2, 8, 10, 4, 6, 12, 14);
  const __m256i step[4] = {_mm256_setzero_si256(), _mm256_set1_epi32(1), _mm256_set1_epi32(static_cast<int32_t>(p.W)),
                           _mm256_set1_epi32(static_cast<int32_t>(p.W + 1))};
  const int perm = _MM_SHUFFLE(3, 1, 2, 0);
  for (int64_t oh = 0; oh < p.OH; oh++) {
    const float* r0 = p.x + 2 * oh * p.ld;
    const float* r1 = r0 + p.ld;
    for (int64_t ow0 = 0; ow0 < p.OW; ow0 += 8) {
      const int64_t ow = ow0 + 8 <= p.OW ? ow0 : p.OW - 8;
      const __m256 a0 = _mm256_loadu_ps(r0 + 2 * ow), a1 = _mm256_loadu_ps(r0 + 2 * ow + 8);
      const __m256 b0 = _mm256_loadu_ps(r1 + 2 * ow), b1 = _mm256_loadu_ps(r1 + 2 * ow + 8);
      __m256 t[4] = {_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)),
                     _mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1))};
      if (kBias)
        for (auto& v : t) v = _mm256_add_ps(v, bias);
      const __m256i first = _mm256_add_epi32(order, _mm256_set1_epi32(static_cast<int32_t>(2 * oh * p.W + 2 * ow)));
      __m256 best = t[0];
      __m256 at = _mm256_castsi256_ps(first);
      for (int k = 1; k < 4; k++) {
        const __m256 take = _mm256_or_ps(_mm256_cmp_ps(t[k], best, _CMP_GT_OQ), _mm256_cmp_ps(t[k], t[k], _CMP_UNORD_Q));
        best = _mm256_blendv_ps(best, t[k], take);
        at = _mm256_blendv_ps(at, _mm256_castsi256_ps(_mm256_add_epi32(first, step[k])), take);
      }
      if (p.afterRelu) {
        const __m256 positive = _mm256_cmp_ps(best, zero, _CMP_GT_OQ);
        best = _mm256_and_ps(_mm256_or_ps(positive, _mm256_cmp_ps(best, best, _CMP_UNORD_Q)), best);
        at = _mm256_blendv_ps(none, at, positive);
      }
      _mm256_storeu_ps(p.out + oh * p.OW + ow, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), perm)));
      _mm256_storeu_ps(reinterpret_cast<float*>(p.idx + oh * p.OW + ow), _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(at), perm)));
    }
  }
}

/** Whether the AVX2 kernels run here: the CPU has AVX2 and portable kernels are not forced (as for GEMM). */
bool useAvx2() { return activeIsa() >= Isa::avx2; }
#endif

#if defined(__SSE2__)
/** Four windows at a time (OW ≥ 4), the last group overlapping the previous one. */
template <bool kBias>
void pool2x2Sse2(const Pool2x2Plane& p) {
  const __m128 zero = _mm_setzero_ps();
  const __m128i none = _mm_set1_epi32(-1);
  const __m128 bias = _mm_set1_ps(kBias ? *p.bias : 0.0f);
  for (int64_t oh = 0; oh < p.OH; oh++) {
    const float* r0 = p.x + 2 * oh * p.ld;
    const float* r1 = r0 + p.ld;
    const int32_t base = static_cast<int32_t>(2 * oh * p.W);
    for (int64_t ow0 = 0; ow0 < p.OW; ow0 += 4) {
      const int64_t ow = ow0 + 4 <= p.OW ? ow0 : p.OW - 4;
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * ow), a1 = _mm_loadu_ps(r0 + 2 * ow + 4);
      const __m128 b0 = _mm_loadu_ps(r1 + 2 * ow), b1 = _mm_loadu_ps(r1 + 2 * ow + 4);
      __m128 t[4] = {_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)),
                     _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1))};
      if (kBias)
        for (auto& v : t) v = _mm_add_ps(v, bias);
      const __m128i first = _mm_add_epi32(_mm_set_epi32(6, 4, 2, 0), _mm_set1_epi32(base + static_cast<int32_t>(2 * ow)));
      const __m128i at4[4] = {first, _mm_add_epi32(first, _mm_set1_epi32(1)), _mm_add_epi32(first, _mm_set1_epi32(static_cast<int32_t>(p.W))),
                              _mm_add_epi32(first, _mm_set1_epi32(static_cast<int32_t>(p.W + 1)))};
      // Taps in window order: a later tap wins only when larger, or NaN.
      __m128 best = t[0];
      __m128i at = at4[0];
      for (int k = 1; k < 4; k++) {
        const __m128 take = _mm_or_ps(_mm_cmpgt_ps(t[k], best), _mm_cmpunord_ps(t[k], t[k]));
        best = blend(take, t[k], best);
        at = blend(_mm_castps_si128(take), at4[k], at);
      }
      if (p.afterRelu) {
        const __m128 positive = _mm_cmpgt_ps(best, zero);
        best = _mm_and_ps(_mm_or_ps(positive, _mm_cmpunord_ps(best, best)), best);
        at = blend(_mm_castps_si128(positive), at, none);
      }
      _mm_storeu_ps(p.out + oh * p.OW + ow, best);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p.idx + oh * p.OW + ow), at);
    }
  }
}
#endif

/** One window at a time, as maxWindow does it. */
void pool2x2Scalar(const Pool2x2Plane& p) {
  const float bias = p.bias ? *p.bias : 0.0f;
  for (int64_t oh = 0; oh < p.OH; oh++) {
    for (int64_t ow = 0; ow < p.OW; ow++) {
      const int64_t at4[4] = {2 * oh * p.W + 2 * ow, 2 * oh * p.W + 2 * ow + 1, (2 * oh + 1) * p.W + 2 * ow, (2 * oh + 1) * p.W + 2 * ow + 1};
      const float* r0 = p.x + 2 * oh * p.ld + 2 * ow;
      const float v4[4] = {r0[0], r0[1], r0[p.ld], r0[p.ld + 1]};
      float best = p.bias ? v4[0] + bias : v4[0];
      int64_t at = at4[0];
      for (int k = 1; k < 4; k++) {
        const float v = p.bias ? v4[k] + bias : v4[k];
        if (v > best || v != v) best = v, at = at4[k];
      }
      if (p.afterRelu && !(best > 0.0f)) {
        if (best == best) best = 0.0f;
        at = -1;
      }
      p.out[oh * p.OW + ow] = best;
      p.idx[oh * p.OW + ow] = static_cast<int32_t>(at);
    }
  }
}

}  // namespace

void maxPool2x2Plane(const Pool2x2Plane& p) {
#if defined(NABLA_POOL_AVX2)
  if (p.OW >= 8 && useAvx2()) return p.bias ? pool2x2Avx2<true>(p) : pool2x2Avx2<false>(p);
#endif
#if defined(__SSE2__)
  if (p.OW >= 4) return p.bias ? pool2x2Sse2<true>(p) : pool2x2Sse2<false>(p);
#endif
  pool2x2Scalar(p);
}

bool maxUnpool2x2(const float* gy, const int32_t* idx, int64_t H, int64_t W, int64_t OH, int64_t OW, float* gx) {
  for (int64_t oh = 0; oh < OH; oh++) {
    float* r0 = gx + 2 * oh * W;
    float* r1 = r0 + W;
    const float* g = gy + oh * OW;
    const int32_t* at = idx + oh * OW;
    const int64_t base = 2 * oh * W;
    int64_t done = 0;
#if defined(__SSE2__)
    const __m128i w = _mm_set1_epi32(static_cast<int32_t>(W));
    for (int64_t ow0 = 0; OW >= 4 && ow0 < OW; ow0 += 4) {
      // A last group overlapping the previous one rewrites the same values (OW not divisible by 4).
      const int64_t ow = ow0 + 4 <= OW ? ow0 : OW - 4;
      const __m128 g4 = _mm_loadu_ps(g + ow);
      // Offset of each winner from its block's top-left corner.
      const __m128i d = _mm_sub_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at + ow)),
                                      _mm_add_epi32(_mm_set_epi32(6, 4, 2, 0), _mm_set1_epi32(static_cast<int32_t>(base + 2 * ow))));
      const __m128i m0 = _mm_cmpeq_epi32(d, _mm_setzero_si128()), m1 = _mm_cmpeq_epi32(d, _mm_set1_epi32(1));
      const __m128i m2 = _mm_cmpeq_epi32(d, w), m3 = _mm_cmpeq_epi32(d, _mm_add_epi32(w, _mm_set1_epi32(1)));
      const __m128i none = _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at + ow)), _mm_set1_epi32(-1));
      const __m128i covered = _mm_or_si128(_mm_or_si128(_mm_or_si128(m0, m1), _mm_or_si128(m2, m3)), none);
      if (_mm_movemask_epi8(covered) != 0xFFFF) return false;
      const __m128 v0 = _mm_and_ps(_mm_castsi128_ps(m0), g4), v1 = _mm_and_ps(_mm_castsi128_ps(m1), g4);
      const __m128 v2 = _mm_and_ps(_mm_castsi128_ps(m2), g4), v3 = _mm_and_ps(_mm_castsi128_ps(m3), g4);
      _mm_storeu_ps(r0 + 2 * ow, _mm_unpacklo_ps(v0, v1));
      _mm_storeu_ps(r0 + 2 * ow + 4, _mm_unpackhi_ps(v0, v1));
      _mm_storeu_ps(r1 + 2 * ow, _mm_unpacklo_ps(v2, v3));
      _mm_storeu_ps(r1 + 2 * ow + 4, _mm_unpackhi_ps(v2, v3));
      done = OW;
    }
#endif
    for (int64_t ow = done; ow < OW; ow++) {
      if (!inBlock(at[ow], base + 2 * ow, W)) return false;
      unpoolWindow(g[ow], at[ow], base + 2 * ow, W, r0 + 2 * ow, r1 + 2 * ow);
    }
    // Columns right of the last block (one for odd widths; a loop here would become two memset calls).
    if (W - 2 * OW == 1) {
      r0[2 * OW] = 0.0f;
      r1[2 * OW] = 0.0f;
    } else if (W > 2 * OW) {
      std::memset(r0 + 2 * OW, 0, (W - 2 * OW) * sizeof(float));
      std::memset(r1 + 2 * OW, 0, (W - 2 * OW) * sizeof(float));
    }
  }
  // Rows below the last window's block.
  std::memset(gx + 2 * OH * W, 0, (H - 2 * OH) * W * sizeof(float));
  return true;
}

}  // namespace nabla
