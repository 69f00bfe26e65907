// The sizes of one convolution and the index arithmetic every algorithm shares: output sizes,
// taps, which output columns of a row a tap reaches.
//
// Every geometry is handled as 3-D: a 1-d or 2-d convolution has its missing leading spatial dims
// of size 1, so each loop is written once.

#pragma once

#include <algorithm>
#include <cstdint>

namespace nabla::conv {

struct Geometry {
  int64_t batch = 0, cin = 0, cout = 0, groups = 1, cinG = 0, coutG = 0;  // cinG, coutG: per group
  // Per spatial dim (z, y, x): extents, kernel, stride, padding before, dilation. The padding after
  // is implied by out.
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, d[3] = {1, 1, 1};
  int64_t taps = 0, inPlane = 0, outPlane = 0;  // taps per output of one group; positions per channel

  int64_t kernelVolume() const { return k[0] * k[1] * k[2]; }
  bool strideOne() const { return s[0] == 1 && s[1] == 1 && s[2] == 1; }
  /** A 1×1, stride-1, unpadded convolution: the image itself is the column matrix. */
  bool pointwise() const {
    for (int i = 0; i < 3; i++)
      if (k[i] != 1 || s[i] != 1 || pad[i] != 0) return false;
    return true;
  }
  /** taps, inPlane and outPlane from the channel counts and extents. */
  void deriveSizes() {
    taps = cinG * kernelVolume();
    inPlane = in[0] * in[1] * in[2];
    outPlane = out[0] * out[1] * out[2];
  }
};

/** Output extent along one dim: 0 when the dilated kernel does not fit the padded input. */
inline int64_t outputSize(int64_t in, int64_t k, int64_t stride, int64_t padBefore, int64_t padAfter, int64_t dilation) {
  const int64_t span = dilation * (k - 1) + 1, padded = in + padBefore + padAfter;
  return padded >= span ? (padded - span) / stride + 1 : 0;
}

/**
 * Stride-1 backward-data seen as a forward convolution t of gy: input and output extents and the
 * channel counts swapped, padding d·(k−1) − pad on each side (the filters are flipped by the
 * caller). False when that padding would be negative on some side (a padding wider than the
 * kernel's reach), which the forward form cannot express.
 */
bool backwardDataAsForward(const Geometry& g, Geometry& t);

inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/** Tap t = (ci, kz, ky, kx) of one group, channel-major. */
struct Tap {
  int64_t ci, kz, ky, kx;
};
inline Tap tapOf(const Geometry& g, int64_t t) {
  Tap r;
  r.kx = t % g.k[2];
  t /= g.k[2];
  r.ky = t % g.k[1];
  t /= g.k[1];
  r.kz = t % g.k[0];
  r.ci = t / g.k[0];
  return r;
}

/**
 * A subset of a kernel's spatial taps (kz, ky, kx flattened), in order: the taps that reach the
 * input from at least one output position. Tap t of a reduced column block is channel t / count,
 * spatial tap at[t % count]. Empty (count 0) means every tap.
 */
struct TapList {
  const int64_t* at = nullptr;
  int64_t count = 0;
};

inline Tap tapOf(const Geometry& g, int64_t t, const TapList& list) {
  if (!list.count) return tapOf(g, t);
  return tapOf(g, (t / list.count) * g.kernelVolume() + list.at[t % list.count]);
}

/** Range [lo, hi) of j < run whose input x = (ox0+j)·s − pad + kx·d lies in [0, W). */
inline void validRange(const Geometry& g, int64_t ox0, int64_t run, int64_t kx, int64_t& lo, int64_t& hi) {
  const int64_t sx = g.s[2], shift = kx * g.d[2] - g.pad[2] + ox0 * sx;  // x = j·sx + shift
  lo = std::max<int64_t>(0, ceilDiv(-shift, sx));
  hi = std::min<int64_t>(run, ceilDiv(g.in[2] - shift, sx));
  if (hi < lo) hi = lo;
}

}  // namespace nabla::conv
