// 2×2, stride-2 max pooling, the layer every classic CNN uses, vectorised four windows at a time:
// the forward deinterleaves two input rows into the four taps of four windows; the backward
// writes each input element once (its block's gradient or 0) instead of zeroing the plane and
// scattering into it.

#include "pool2x2.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

}  // namespace

int64_t maxPool2x2(const float* x, int64_t W, int64_t OH, int64_t OW, bool afterRelu, float* out, int32_t* idx) {
#if defined(__SSE2__)
  if (OW < 4) return 0;
  const __m128 zero = _mm_setzero_ps();
  const __m128i none = _mm_set1_epi32(-1);
  for (int64_t oh = 0; oh < OH; oh++) {
    const float* r0 = x + 2 * oh * W;
    const float* r1 = r0 + W;
    const int32_t base = static_cast<int32_t>(2 * oh * W);
    for (int64_t ow0 = 0; ow0 < OW; ow0 += 4) {
      // A last group overlapping the previous one covers OW not divisible by 4.
      const int64_t ow = ow0 + 4 <= OW ? ow0 : OW - 4;
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * ow), a1 = _mm_loadu_ps(r0 + 2 * ow + 4);
      const __m128 b0 = _mm_loadu_ps(r1 + 2 * ow), b1 = _mm_loadu_ps(r1 + 2 * ow + 4);
      const __m128 t[4] = {_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)),
                           _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1))};
      const __m128i first = _mm_add_epi32(_mm_set_epi32(6, 4, 2, 0), _mm_set1_epi32(base + static_cast<int32_t>(2 * ow)));
      const __m128i at4[4] = {first, _mm_add_epi32(first, _mm_set1_epi32(1)), _mm_add_epi32(first, _mm_set1_epi32(static_cast<int32_t>(W))),
                              _mm_add_epi32(first, _mm_set1_epi32(static_cast<int32_t>(W + 1)))};
      // Taps in window order: a later tap wins only when larger, or NaN.
      __m128 best = t[0];
      __m128i at = at4[0];
      for (int k = 1; k < 4; k++) {
        const __m128 take = _mm_or_ps(_mm_cmpgt_ps(t[k], best), _mm_cmpunord_ps(t[k], t[k]));
        best = blend(take, t[k], best);
        at = blend(_mm_castps_si128(take), at4[k], at);
      }
      if (afterRelu) {
        const __m128 positive = _mm_cmpgt_ps(best, zero);
        best = _mm_and_ps(_mm_or_ps(positive, _mm_cmpunord_ps(best, best)), best);
        at = blend(_mm_castps_si128(positive), at, none);
      }
      _mm_storeu_ps(out + oh * OW + ow, best);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(idx + oh * OW + ow), at);
    }
  }
  return OW;
#else
  (void)x; (void)W; (void)OH; (void)OW; (void)afterRelu; (void)out; (void)idx;
  return 0;
#endif
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
