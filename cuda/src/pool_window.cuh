// The window geometry of the pooling kernels (src/backend/cpu/pool.ts's rules): which input
// taps an output window covers along one dim, the average divisor, and — for the gathering
// average backward — which windows hold a given input position. Host and device code, so the
// host check (cuda/check/host_check.cu) can compare it with brute force.

#pragma once

#include <cstdint>

namespace nabla_cuda {
namespace pool {

struct Geom {
  int64_t planes = 0;
  int64_t L[3] = {1, 1, 1}, O[3] = {1, 1, 1};
  int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pa[3] = {0, 0, 0}, d[3] = {1, 1, 1};
  bool adaptive = false;
  bool countPad = false;
  double divisor = 0;
  __host__ __device__ int64_t inPlane() const { return L[0] * L[1] * L[2]; }
  __host__ __device__ int64_t outPlane() const { return O[0] * O[1] * O[2]; }
};

__host__ __device__ __forceinline__ int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
__host__ __device__ __forceinline__ int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/** Window o of dim i: first in-range tap, tap count, step, and taps inside the padded extent. */
struct Taps {
  int64_t first, count, step, padded;
};

__host__ __device__ __forceinline__ Taps tapsOf(const Geom& g, int i, int64_t o) {
  Taps t;
  if (g.adaptive) {
    const int64_t lo = (o * g.L[i]) / g.O[i];
    const int64_t hi = ceilDiv((o + 1) * g.L[i], g.O[i]);
    t.first = lo;
    t.count = hi - lo;
    t.step = 1;
    t.padded = t.count;
    return t;
  }
  const int64_t start = o * g.s[i] - g.pb[i], dil = g.d[i];
  const int64_t jLo = start >= 0 ? 0 : ceilDiv(-start, dil);
  const int64_t jHiRaw = ceilDiv(g.L[i] - start, dil);
  const int64_t jHi = jHiRaw < g.k[i] ? jHiRaw : g.k[i];
  t.first = start + jLo * dil;
  t.count = jHi - jLo > 0 ? jHi - jLo : 0;
  t.step = dil;
  const int64_t padHi = ceilDiv(g.L[i] + g.pa[i] - start, dil);
  t.padded = padHi < g.k[i] ? (padHi > 0 ? padHi : 0) : g.k[i];
  return t;
}

__host__ __device__ __forceinline__ double divisorOf(const Geom& g, const Taps* t) {
  if (g.divisor != 0) return g.divisor;
  double f = 1;
  for (int i = 0; i < 3; i++) f *= static_cast<double>(g.countPad ? t[i].padded : t[i].count);
  return f;
}

/** Split a flat output index into (plane, o0, o1, o2). */
__host__ __device__ __forceinline__ void splitOut(const Geom& g, int64_t flat, int64_t& plane, int64_t* o) {
  o[2] = flat % g.O[2];
  flat /= g.O[2];
  o[1] = flat % g.O[1];
  flat /= g.O[1];
  o[0] = flat % g.O[0];
  plane = flat / g.O[0];
}

/** Outputs of dim i whose window has input position p as a tap: [lo, hi], tested one by one. */
__host__ __device__ __forceinline__ void candidates(const Geom& g, int i, int64_t p, int64_t& lo, int64_t& hi) {
  if (g.adaptive) {
    lo = (p * g.O[i]) / g.L[i] - 1;
    hi = ceilDiv((p + 1) * g.O[i], g.L[i]);
  } else {
    // p = o·s − pb + j·d with 0 ≤ j < k  ⇒  (p + pb − (k−1)·d)/s ≤ o ≤ (p + pb)/s
    lo = ceilDiv(p + g.pb[i] - (g.k[i] - 1) * g.d[i], g.s[i]);
    hi = floorDiv(p + g.pb[i], g.s[i]);
  }
  if (lo < 0) lo = 0;
  if (hi > g.O[i] - 1) hi = g.O[i] - 1;
}

__host__ __device__ __forceinline__ bool holds(const Taps& t, int64_t p) {
  if (t.count == 0 || p < t.first) return false;
  const int64_t j = p - t.first;
  return j % t.step == 0 && j / t.step < t.count;
}

}  // namespace pool
}  // namespace nabla_cuda
