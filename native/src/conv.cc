// float32 convolution, forward and both backward kernels, for 1, 2 or 3 spatial dims with stride,
// asymmetric padding, dilation and groups. Every geometry is handled as 3-D (missing leading dims
// have size 1).
//
// Two strategies, picked per layer:
//  - thin layers (few taps per output, like MNIST's 1→8 3×3 first layer) run a direct kernel: for
//    each output row, each tap's input row segment is multiplied into every output channel's row,
//    a contiguous (vectorised) loop for stride 1, with no copies at all;
//  - wider layers go through im2col + the packed GEMM (gemm.h): a column block col[tap, position]
//    is built per image (in chunks of positions for big images) and
//      forward          out[co, p]  = Σ_t w[co, t]·col[t, p]
//      backward-data    col'[t, p]  = Σ_co w[co, t]·gy[co, p], scatter-added into gx (col2im)
//      backward-filter  gw[co, t]  += Σ_p gy[co, p]·col[t, p]
//    A 1×1, stride-1, unpadded convolution uses the image itself as col.
// Images are spread over the thread pool (each thread with its own column scratch; backward-filter
// sums per-thread gradients at the end); a batch smaller than the pool runs image by image with
// the GEMM itself parallel.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "checks.h"
#include "conv_direct.h"
#include "gemm.h"
#include "kernels.h"
#include "overlap.h"
#include "pool2x2.h"
#include "scratch.h"
#include "threadpool.h"

namespace nabla {

namespace {

struct Geometry {
  int64_t batch = 0, cin = 0, cout = 0, groups = 1, cinG = 0, coutG = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1}, pad[3] = {0, 0, 0}, d[3] = {1, 1, 1};
  int64_t taps = 0, inPlane = 0, outPlane = 0;

  bool pointwise() const {
    for (int i = 0; i < 3; i++)
      if (k[i] != 1 || s[i] != 1 || pad[i] != 0) return false;
    return true;
  }
};

/** Largest column block (floats) built at once; bigger images are processed in position chunks. */
constexpr int64_t kMaxColumnFloats = int64_t(1) << 21;
/** Taps per output at or below which the direct kernels beat im2col + GEMM. */
constexpr int64_t kDirectMaxTaps = 27;
/** Output channels (per group) at or below which they do too, for images up to the given size. */
constexpr int64_t kDirectMaxChannels = 16;
constexpr int64_t kDirectMaxImageBytes = 256 * 1024;

inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/** A per-output-channel vector (bias, or its gradient): element c at p[c·stride]; p null when absent. */
template <class T>
struct ChannelVector {
  T* p = nullptr;
  int64_t stride = 0;
  T& operator[](int64_t c) const { return p[c * stride]; }
  ChannelVector from(int64_t c0) const { return {p ? p + c0 * stride : nullptr, stride}; }
};
using Bias = ChannelVector<const float>;
using BiasGrad = ChannelVector<float>;

/** o[c, p] += bias[c] over `channels` planes of `plane` positions (no-op without a bias). */
void addBias(float* o, int64_t channels, int64_t plane, const Bias& bias) {
  if (!bias.p) return;
  for (int64_t c = 0; c < channels; c++) {
    const float b = bias[c];
    float* r = o + c * plane;
    for (int64_t i = 0; i < plane; i++) r[i] += b;
  }
}

/**
 * Decode the call's parameters and operands and check that they describe one convolution: the
 * image-side view xs ([N, Cin, in...]), the weight-side ws ([Cout, Cin/groups, k...]) and the
 * output-side os ([N, Cout, out...]), all dense float32, out sizes from the usual formula. With
 * poolIndices (the fused conv → relu → 2×2 max pool, 2-d only), o is the pooled output
 * ([N, Cout, ⌊out/2⌋...]) and poolIndices its int32 indices.
 */
bool readConv(Args& args, const char* xName, const char* wName, const char* oName, View& x, View& w, View& o, Geometry& g,
              const char* vecName = nullptr, View* vec = nullptr, bool* hasVec = nullptr, View* poolIndices = nullptr) {
  const int64_t nd = args.integer("spatial dims", 1, 3);
  g.groups = args.integer("groups", 1, int64_t(1) << 40);
  int64_t k[3], s[3], pb[3], pa[3], dil[3];
  for (int64_t i = 0; i < nd; i++) {
    k[i] = args.integer("kernel", 1, int64_t(1) << 40);
    s[i] = args.integer("stride", 1, int64_t(1) << 40);
    pb[i] = args.integer("padBefore", 0, int64_t(1) << 40);
    pa[i] = args.integer("padAfter", 0, int64_t(1) << 40);
    dil[i] = args.integer("dilation", 1, int64_t(1) << 40);
  }
  // Views come image side, weight side, output side, whatever the kernel's argument order.
  args.view(x, xName) && args.view(w, wName) && args.view(o, oName);
  // The optional per-channel vector (the forward's bias, backward-filter's bias gradient).
  if (vec) {
    *hasVec = args.ok() && args.integer(vecName, 0, 1) == 1;
    if (*hasVec) args.view(*vec, vecName);
  }
  if (poolIndices) args.view(*poolIndices, "indices");
  if (!args.finish()) return false;
  const std::string ctx = std::string(" (") + xName + " " + x.shapeText() + ", " + wName + " " + w.shapeText() + ", " + oName + " " + o.shapeText() + ")";
  if (x.dtype != kFloat32 || w.dtype != kFloat32 || o.dtype != kFloat32) return args.fail("operands must be float32" + ctx);
  if (x.ndim != nd + 2 || w.ndim != nd + 2 || o.ndim != nd + 2) return args.fail("expected " + std::to_string(nd + 2) + "-D operands" + ctx);
  if (!x.dense() || !w.dense() || !o.dense()) return args.fail("operands must be contiguous" + ctx);
  g.batch = x.shape[0];
  g.cin = x.shape[1];
  g.cout = w.shape[0];
  if (g.cin % g.groups != 0 || g.cout % g.groups != 0) return args.fail("channels must divide by groups = " + std::to_string(g.groups) + ctx);
  g.cinG = g.cin / g.groups;
  g.coutG = g.cout / g.groups;
  if (w.shape[1] != g.cinG) return args.fail(std::string(wName) + " must have Cin/groups = " + std::to_string(g.cinG) + " input channels" + ctx);
  if (o.shape[0] != g.batch || o.shape[1] != g.cout) return args.fail(std::string(oName) + " must be [N, Cout, ...]" + ctx);
  const int lift = 3 - static_cast<int>(nd);
  for (int64_t i = 0; i < nd; i++) {
    const int j = lift + static_cast<int>(i);
    if (w.shape[2 + i] != k[i]) return args.fail("kernel size does not match the weight" + ctx);
    g.in[j] = x.shape[2 + i];
    g.k[j] = k[i];
    g.s[j] = s[i];
    g.pad[j] = pb[i];
    g.d[j] = dil[i];
    const int64_t span = dil[i] * (k[i] - 1) + 1, padded = x.shape[2 + i] + pb[i] + pa[i];
    const int64_t expect = padded >= span ? (padded - span) / s[i] + 1 : 0;
    const int64_t expectO = poolIndices ? expect / 2 : expect;
    if (o.shape[2 + i] != expectO)
      return args.fail(std::string(oName) + " spatial size " + std::to_string(o.shape[2 + i]) + " should be " + std::to_string(expectO) + ctx);
    g.out[j] = expect;
  }
  if (poolIndices) {
    if (nd != 2) return args.fail("the fused relu and 2×2 max pool take 2-d convolutions" + ctx);
    if (poolIndices->dtype != kInt32 || !sameShape(*poolIndices, o) || !poolIndices->dense())
      return args.fail("indices must be a contiguous int32 view of shape " + o.shapeText() + ", got " + poolIndices->shapeText());
  }
  if (vec && *hasVec) {
    if (vec->dtype != kFloat32 || vec->ndim != 1 || vec->shape[0] != g.cout)
      return args.fail(std::string(vecName) + " must be float32 of shape [" + std::to_string(g.cout) + "], got " + vec->shapeText() + ctx);
  }
  g.taps = g.cinG * g.k[0] * g.k[1] * g.k[2];
  g.inPlane = g.in[0] * g.in[1] * g.in[2];
  g.outPlane = g.out[0] * g.out[1] * g.out[2];
  return true;
}

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
 * Call seg(tapRow, j0, run, rowIn) for the output-row segments of positions [p0, p0+len): j0 is
 * the segment's index in the block, run its length, rowIn the input row (z, y) it reads for tap
 * (kz, ky) or nullptr-equivalent (-1) when that row is in the padding, ox0 its first x.
 */
template <class Seg>
inline void forEachSegment(const Geometry& g, int64_t p0, int64_t len, const Tap& tp, Seg&& seg) {
  const int64_t Ho = g.out[1], Wo = g.out[2];
  int64_t ox = p0 % Wo, rest = p0 / Wo;
  int64_t oy = rest % Ho, oz = rest / Ho;
  for (int64_t j = 0; j < len;) {
    const int64_t run = std::min(Wo - ox, len - j);
    const int64_t iz = oz * g.s[0] - g.pad[0] + tp.kz * g.d[0];
    const int64_t iy = oy * g.s[1] - g.pad[1] + tp.ky * g.d[1];
    const bool inside = iz >= 0 && iz < g.in[0] && iy >= 0 && iy < g.in[1];
    seg(j, run, inside ? (iz * g.in[1] + iy) * g.in[2] : int64_t(-1), ox);
    j += run;
    ox += run;
    if (ox == Wo) {
      ox = 0;
      if (++oy == Ho) {
        oy = 0;
        ++oz;
      }
    }
  }
}

/** Range [lo, hi) of j < run whose input x = (ox0+j)·s − pad + kx·d lies in [0, W). */
inline void validRange(const Geometry& g, int64_t ox0, int64_t run, int64_t kx, int64_t& lo, int64_t& hi) {
  const int64_t sx = g.s[2], shift = kx * g.d[2] - g.pad[2] + ox0 * sx;  // x = j·sx + shift
  lo = std::max<int64_t>(0, ceilDiv(-shift, sx));
  hi = std::min<int64_t>(run, ceilDiv(g.in[2] - shift, sx));
  if (hi < lo) hi = lo;
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
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2];
  return tapOf(g, (t / list.count) * kvol + list.at[t % list.count]);
}

/**
 * col[t, j] (row t at col + t·ld, ld = len unless given) for positions p0..p0+len of one
 * image-group (x points at its first channel); with a tap list, only those taps' rows.
 */
void im2col(const Geometry& g, const float* x, int64_t p0, int64_t len, float* col, int64_t ld = -1, const TapList& list = {}) {
  const int64_t sx = g.s[2];
  if (ld < 0) ld = len;
  const int64_t taps = list.count ? g.cinG * list.count : g.taps;
  for (int64_t t = 0; t < taps; t++) {
    const Tap tp = tapOf(g, t, list);
    const float* xc = x + tp.ci * g.inPlane;
    float* dst = col + t * ld;
    forEachSegment(g, p0, len, tp, [&](int64_t j, int64_t run, int64_t row, int64_t ox0) {
      float* d = dst + j;
      if (row < 0) {
        std::memset(d, 0, run * sizeof(float));
        return;
      }
      int64_t lo, hi;
      validRange(g, ox0, run, tp.kx, lo, hi);
      const float* src = xc + row + ox0 * sx - g.pad[2] + tp.kx * g.d[2];
      for (int64_t i = 0; i < lo; i++) d[i] = 0.0f;
      if (sx == 1) std::memcpy(d + lo, src + lo, (hi - lo) * sizeof(float));
      else for (int64_t i = lo; i < hi; i++) d[i] = src[i * sx];
      for (int64_t i = hi; i < run; i++) d[i] = 0.0f;
    });
  }
}

/** The adjoint: gx[...] += col[t, j] for every in-range element (gx points at the group's first channel). */
void col2im(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx, int64_t ld = -1, const TapList& list = {}) {
  const int64_t sx = g.s[2];
  if (ld < 0) ld = len;
  const int64_t taps = list.count ? g.cinG * list.count : g.taps;
  for (int64_t t = 0; t < taps; t++) {
    const Tap tp = tapOf(g, t, list);
    float* xc = gx + tp.ci * g.inPlane;
    const float* srcRow = col + t * ld;
    forEachSegment(g, p0, len, tp, [&](int64_t j, int64_t run, int64_t row, int64_t ox0) {
      if (row < 0) return;
      int64_t lo, hi;
      validRange(g, ox0, run, tp.kx, lo, hi);
      float* dst = xc + row + ox0 * sx - g.pad[2] + tp.kx * g.d[2];
      const float* s = srcRow + j;
      if (sx == 1) for (int64_t i = lo; i < hi; i++) dst[i] += s[i];
      else for (int64_t i = lo; i < hi; i++) dst[i * sx] += s[i];
    });
  }
}

// ---- direct kernels (thin layers) ----------------------------------------------------------------

/**
 * The walk all three direct kernels share: for each output row (oz, oy) of one image-group and
 * each tap whose input row exists, row(rowOff, tap, inOff, lo, hi) with rowOff the output row's
 * offset in a plane, inOff the offset (from the group's first channel) of the input element that
 * output column 0 would read at this tap (it may lie before the row: only columns lo..hi are in
 * range), and lo..hi the output columns the tap reaches. startRow(rowOff) runs before a row's taps.
 */
template <class StartRow, class TapRow>
void forEachTapRow(const Geometry& g, StartRow&& startRow, TapRow&& row) {
  const int64_t Wo = g.out[2];
  const int64_t kPerChannel = g.k[0] * g.k[1] * g.k[2];
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t rowOff = (oz * g.out[1] + oy) * Wo;
      startRow(rowOff);
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        for (int64_t kz = 0; kz < g.k[0]; kz++) {
          const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (int64_t ky = 0; ky < g.k[1]; ky++) {
            const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const int64_t inRow = ci * g.inPlane + (iz * g.in[1] + iy) * g.in[2];
            for (int64_t kx = 0; kx < g.k[2]; kx++) {
              int64_t lo, hi;
              validRange(g, 0, Wo, kx, lo, hi);
              const int64_t tap = ci * kPerChannel + (kz * g.k[1] + ky) * g.k[2] + kx;
              row(rowOff, tap, inRow - g.pad[2] + kx * g.d[2], lo, hi);
            }
          }
        }
      }
    }
  }
}

/**
 * out rows of one image-group: for each output row and tap, the input row segment times the
 * tap's weight, accumulated into every output channel's row. x/out point at the group's first
 * channel; w at the group's first filter.
 */
void directForward(const Geometry& g, const float* x, const float* w, float* out) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  forEachTapRow(
      g, [&](int64_t rowOff) {
        for (int64_t co = 0; co < g.coutG; co++) std::memset(out + co * g.outPlane + rowOff, 0, Wo * sizeof(float));
      },
      [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
        const float* src = x + inOff;
        for (int64_t co = 0; co < g.coutG; co++) {
          const float wv = w[co * g.taps + tap];
          float* o = out + co * g.outPlane + rowOff;
          if (sx == 1) for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j];
          else for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j * sx];
        }
      });
}

/** gx (zeroed by the caller) += the adjoint of directForward for one image-group. */
void directBackwardData(const Geometry& g, const float* gy, const float* w, float* gx) {
  const int64_t sx = g.s[2];
  forEachTapRow(g, [](int64_t) {}, [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
    float* dst = gx + inOff;
    for (int64_t co = 0; co < g.coutG; co++) {
      const float wv = w[co * g.taps + tap];
      const float* gyr = gy + co * g.outPlane + rowOff;
      if (sx == 1) for (int64_t j = lo; j < hi; j++) dst[j] += wv * gyr[j];
      else for (int64_t j = lo; j < hi; j++) dst[j * sx] += wv * gyr[j];
    }
  });
}

/** gw[co, tap] += Σ over one image-group's positions of gy[co, p]·x at tap of p. */
void directBackwardFilter(const Geometry& g, const float* x, const float* gy, float* gw) {
  const int64_t sx = g.s[2];
  forEachTapRow(g, [](int64_t) {}, [&](int64_t rowOff, int64_t tap, int64_t inOff, int64_t lo, int64_t hi) {
    const float* src = x + inOff;
    for (int64_t co = 0; co < g.coutG; co++) {
      const float* gyr = gy + co * g.outPlane + rowOff;
      float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t j = lo;
      if (sx == 1) {
        for (; j + 4 <= hi; j += 4) {
          s0 += gyr[j] * src[j]; s1 += gyr[j + 1] * src[j + 1]; s2 += gyr[j + 2] * src[j + 2]; s3 += gyr[j + 3] * src[j + 3];
        }
      }
      for (; j < hi; j++) s0 += gyr[j] * src[j * sx];
      gw[co * g.taps + tap] += (s0 + s1) + (s2 + s3);
    }
  });
}

// ---- stride-1 direct kernels on a padded copy (conv_direct.inc) ----------------------------------

/** A stride-1 layer in padded coordinates: padded extents, tap offsets, output row starts. */
struct Padded {
  int64_t dims[3] = {1, 1, 1};  // Dp, Hp and the row stride Wp
  int64_t volume = 0;           // Dp·Hp·Wp
  int64_t dataColumn = 0;       // where each row's input starts within its Wp floats
  int64_t tapShift = 0;         // added to every tap offset (see preparePadded)
  int64_t L = 0, Lr = 0;        // positions up to the last valid one; rounded up to 16
  int64_t size = 0;             // floats of a padded image-group, with read slack
  int64_t blocks = 0;           // channel blocks of the direct forward kernel (≤ 6 channels each)
  const int64_t* blockStart = nullptr;  // [blocks + 1]
  const int64_t* off = nullptr;         // [taps]
  const int64_t* rowBase = nullptr;     // [Do·Ho]
  const float* wpk = nullptr;           // [groups][coutG·taps], per block [tap][channel] (forward only)
};

bool strideOne(const Geometry& g) { return g.s[0] == 1 && g.s[1] == 1 && g.s[2] == 1; }

/**
 * The padded layout of g, with its tables in the caller's scratch (taps + Do·Ho + blocks + 1
 * int64, and, when w is given, every group's filters packed for the direct kernel). Returns false
 * when out of memory.
 */
bool preparePadded(const Geometry& g, const float* w, Padded& pd) {
  for (int i = 0; i < 3; i++) pd.dims[i] = g.out[i] + g.d[i] * (g.k[i] - 1);
  // Rows share their zeros: with a row stride of W + max(left, right padding), the reads past a
  // row's right end land in the next row's leading zeros, so a row needs no right padding of its
  // own, and (with output width ≤ stride) fewer wasted positions are computed: none at all for
  // backward-data of a valid convolution (padding k − 1 on both sides; before, 2 of every 15
  // positions of the typical CNN's 8→16 layer). Conceptual column c of a row is stored at
  // c + tapShift.
  const int64_t span = g.d[2] * (g.k[2] - 1), left = g.pad[2], right = g.out[2] + span - g.in[2] - left;
  const int64_t zeros = std::max(left, right);
  if (std::min(left, right) <= span && right >= 0) {
    pd.dims[2] = g.in[2] + zeros;
    pd.dataColumn = zeros;
    pd.tapShift = zeros - left;
  } else {
    pd.dataColumn = left;
    pd.tapShift = 0;
  }
  pd.volume = pd.dims[0] * pd.dims[1] * pd.dims[2];
  const int64_t Hp = pd.dims[1], Wp = pd.dims[2];
  pd.L = ((g.out[0] - 1) * Hp + (g.out[1] - 1)) * Wp + g.out[2];
  pd.Lr = (pd.L + 15) / 16 * 16;
  // Channel blocks of at most six, as even as possible (8 → 4 + 4, 16 → 6 + 5 + 5).
  pd.blocks = (g.coutG + 5) / 6;
  const int64_t rows = g.out[0] * g.out[1];
  const int64_t wFloats = w ? g.groups * g.coutG * g.taps : 0;
  char* mem = threadScratch(kStaging).get<char>((g.taps + rows + pd.blocks + 1) * 8 + wFloats * 4);
  if (!mem) return false;
  int64_t* off = reinterpret_cast<int64_t*>(mem);
  int64_t* rowBase = off + g.taps;
  int64_t* blockStart = rowBase + rows;
  float* wpk = reinterpret_cast<float*>(blockStart + pd.blocks + 1);
  for (int64_t b = 0; b <= pd.blocks; b++) blockStart[b] = pd.blocks ? b * g.coutG / pd.blocks : 0;
  int64_t maxOff = 0;
  for (int64_t t = 0; t < g.taps; t++) {
    const Tap tp = tapOf(g, t);
    off[t] = tp.ci * pd.volume + (tp.kz * g.d[0] * Hp + tp.ky * g.d[1]) * Wp + tp.kx * g.d[2] + pd.tapShift;
    maxOff = std::max(maxOff, off[t]);
  }
  for (int64_t r = 0; r < rows; r++) rowBase[r] = ((r / g.out[1]) * Hp + r % g.out[1]) * Wp;
  if (w) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      for (int64_t b = 0; b < pd.blocks; b++) {
        const int64_t c0 = blockStart[b], nc = blockStart[b + 1] - c0;
        float* dst = wpk + (grp * g.coutG + c0) * g.taps;
        for (int64_t t = 0; t < g.taps; t++)
          for (int64_t c = 0; c < nc; c++) dst[t * nc + c] = w[(grp * g.coutG + c0 + c) * g.taps + t];
      }
    }
  }
  pd.off = off;
  pd.rowBase = rowBase;
  pd.blockStart = blockStart;
  pd.wpk = wpk;
  pd.size = std::max(g.cinG * pd.volume, pd.Lr + maxOff) + 16;
  return true;
}

/** A short row copy, inlined (rows here are tens of floats: a memcpy call costs more than the copy). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
inline void copyRow(float* __restrict d, const float* __restrict s, int64_t n) {
  for (int64_t i = 0; i < n; i++) d[i] = s[i];
}

/**
 * Copy one image-group's cinG volumes into xp with their padding written out as zeros. Returns
 * whether every value is finite (v·0 is NaN exactly for an infinity or a NaN).
 */
bool loadPadded(const Geometry& g, const Padded& pd, const float* x, float* xp) {
  std::memset(xp, 0, pd.size * sizeof(float));
  const int64_t Hp = pd.dims[1], Wp = pd.dims[2], W = g.in[2];
  float probe = 0.0f;
  for (int64_t ci = 0; ci < g.cinG; ci++)
    for (int64_t z = 0; z < g.in[0]; z++)
      for (int64_t y = 0; y < g.in[1]; y++) {
        float* d = xp + ci * pd.volume + ((z + g.pad[0]) * Hp + y + g.pad[1]) * Wp + pd.dataColumn;
        const float* s = x + ci * g.inPlane + (z * g.in[1] + y) * W;
        for (int64_t i = 0; i < W; i++) {
          d[i] = s[i];
          probe += s[i] * 0.0f;
        }
      }
  return probe == 0.0f;
}

// ---- drivers --------------------------------------------------------------------------------------

/**
 * The direct kernels (no packing, the image read in place) win for few taps, and for few output
 * channels as long as an image-group stays in cache (each block of channels re-reads it): measured
 * on the course's CNNs, 1.2-1.6x faster than the packed GEMM for 6-16 output channels.
 */
bool useDirect(const Geometry& g) {
  if (!strideOne(g)) return g.taps <= kDirectMaxTaps;  // the row kernels of strided layers
  const int64_t imageBytes = g.cinG * g.inPlane * 4;
  return g.taps <= kDirectMaxTaps || (g.coutG <= kDirectMaxChannels && imageBytes <= kDirectMaxImageBytes);
}

/** Positions per column block: the whole plane when it fits, else a chunk (a multiple of 16). */
int64_t chunkFor(const Geometry& g) {
  int64_t c = kMaxColumnFloats / std::max<int64_t>(g.taps, 1);
  c = std::max<int64_t>(64, c / 16 * 16);
  return std::min(c, g.outPlane);
}

/**
 * For each chunk of an image's output positions, build its column block (im2col, in this
 * thread's scratch) and hand it to gemm(col, p0, len). False when scratch memory ran out or a
 * gemm call failed.
 */
template <class Gemm>
bool im2colChunks(const Geometry& g, const float* x, int64_t chunk, Gemm&& gemm) {
  float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
  if (!col) return false;
  bool ok = true;
  for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
    const int64_t len = std::min(chunk, g.outPlane - p0);
    im2col(g, x, p0, len, col);
    if (!gemm(col, p0, len)) ok = false;
  }
  return ok;
}

/** Run body(n, nestedParallel) for every image: over the pool when the batch can fill it. */
template <class Body>
void forEachImage(const Geometry& g, Body&& body) {
  if (g.batch >= 2 && numThreads() > 1 && g.batch >= numThreads()) {
    parallelTasks(g.batch, [&](int64_t n, int) { body(n, false); });
  } else {
    for (int64_t n = 0; n < g.batch; n++) body(n, true);
  }
}

/**
 * Keep the valid positions of a padded-numbered result (row r of channel co starts at rowBase[r]),
 * adding the channel's bias on the way when there is one.
 */
void compact(const Geometry& g, const Padded& pd, const float* yp, int64_t ld, float* o, const Bias& bias) {
  const int64_t rows = g.out[0] * g.out[1], Wo = g.out[2];
  for (int64_t co = 0; co < g.coutG; co++) {
    float* oc = o + co * g.outPlane;
    const float* yc = yp + co * ld;
    if (!bias.p) {
      for (int64_t r = 0; r < rows; r++) copyRow(oc + r * Wo, yc + pd.rowBase[r], Wo);
      continue;
    }
    const float b = bias[co];
    for (int64_t r = 0; r < rows; r++) {
      float* __restrict d = oc + r * Wo;
      const float* __restrict src = yc + pd.rowBase[r];
      for (int64_t i = 0; i < Wo; i++) d[i] = src[i] + b;
    }
  }
}

// ---- small planes: the batch as the GEMM's long dimension ------------------------------------------
//
// Deep layers of a network on small images (ResNet-18 on 32×32 ends with 1×1 and 2×2 planes) have
// few output positions per image: an image-by-image GEMM has N (or K) = a handful of positions and
// runs at matrix-vector speed, re-reading all of W per image. Here the column blocks of many images
// sit side by side, col[t, j·P + p], so one GEMM covers the whole block of images:
//   forward          out[co, (j, p)] = W·col           (then scattered to [N, Cout, P])
//   backward-data    col = Wᵀ·gy[co, (j, p)]            (then col2im per image)
//   backward-filter  gw += gy[co, (j, p)]·colᵀ

/** Planes with fewer output positions than this take the batched path (when not direct). */
std::atomic<int64_t> batchedMaxPlane{64};

bool useBatchedPlanes(const Geometry& g) {
  return g.batch > 1 && g.outPlane < batchedMaxPlane.load(std::memory_order_relaxed) && !useDirect(g);
}

/** Images per block: as many as keep the column block within kMaxColumnFloats. */
int64_t imagesPerBlock(const Geometry& g) {
  const int64_t per = kMaxColumnFloats / std::max<int64_t>(g.taps * g.outPlane, 1);
  return std::max<int64_t>(1, std::min(per, g.batch));
}

/** Copy channels c0..c0+rows of image n of [N, C, P] to P-float pieces of block rows ld apart, and back. */
void gatherPlanes(const float* src, int64_t channels, int64_t c0, int64_t rows, int64_t P, int64_t n, float* block, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) std::memcpy(block + r * ld, src + (n * channels + c0 + r) * P, P * sizeof(float));
}
void scatterPlanes(const float* block, int64_t channels, int64_t c0, int64_t rows, int64_t P, int64_t n, float* dst, int64_t ld) {
  for (int64_t r = 0; r < rows; r++) std::memcpy(dst + (n * channels + c0 + r) * P, block + r * ld, P * sizeof(float));
}

/**
 * The spatial taps (kz, ky, kx flattened, in order) that reach the input from at least one output
 * position, written to live; returns their count. A tap is live when it is along every dim, so the
 * set is a product of per-dim sets. Fewer than all only when planes are smaller than the kernel's
 * reach: ResNet-18's last stage on 32×32 inputs runs 3×3 convolutions on 1×1 planes, where 8 of
 * the 9 taps read only padding.
 */
int64_t liveSpatialTaps(const Geometry& g, int64_t* live) {
  auto reaches = [&](int i, int64_t k) {
    for (int64_t o = 0; o < g.out[i]; o++) {
      const int64_t x = o * g.s[i] - g.pad[i] + k * g.d[i];
      if (x >= 0 && x < g.in[i]) return true;
    }
    return false;
  };
  int64_t count = 0;
  for (int64_t kz = 0; kz < g.k[0]; kz++) {
    if (!reaches(0, kz)) continue;
    for (int64_t ky = 0; ky < g.k[1]; ky++) {
      if (!reaches(1, ky)) continue;
      for (int64_t kx = 0; kx < g.k[2]; kx++)
        if (reaches(2, kx)) live[count++] = (kz * g.k[1] + ky) * g.k[2] + kx;
    }
  }
  return count;
}

/**
 * copy(full, part) for every live tap's weight: its index in a [Cout, taps] filter and in the
 * [Cout, Cin/groups · live] matrix of live taps. Rows over the pool.
 */
template <class Copy>
void forEachLiveWeight(const Geometry& g, const TapList& list, Copy&& copy) {
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2], L = list.count, taps = g.cinG * L;
  parallelRanges(g.cout, std::max<int64_t>(1, 4096 / std::max<int64_t>(taps, 1)), [&](int64_t c0, int64_t c1, int) {
    for (int64_t co = c0; co < c1; co++)
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        const int64_t full = co * g.taps + ci * kvol, part = co * taps + ci * L;
        for (int64_t l = 0; l < L; l++) copy(full + list.at[l], part + l);
      }
  });
}

/** Which direction a batched pass computes. */
enum class Pass { kForward, kBackwardData, kBackwardFilter };

/**
 * One of the three convolutions over blocks of images. A is X (forward, backward-filter) or GY
 * (backward-data) as the kernel's image side; for backward-filter GW must be zeroed by the caller.
 */
bool batchedPlanes(const Geometry& g, Pass pass, const float* X, const float* W, const float* GY, float* O, float* GX, float* GW,
                   const Bias& bias = {}) {
  const int64_t P = g.outPlane, nbMax = imagesPerBlock(g);
  float* col = threadScratch(kColumns).get<float>(g.taps * nbMax * P);
  float* block = threadScratch(kConvResult).get<float>(g.coutG * nbMax * P);
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2];
  int64_t* live = threadScratch(kStaging).get<int64_t>(kvol);
  if (!col || !block || !live) return false;
  // Taps that only ever read padding are left out of the columns and of the products: their
  // weights multiply zeros (forward, backward-data) and their filter gradient is zero.
  const int64_t liveCount = liveSpatialTaps(g, live);
  const TapList list = liveCount < kvol ? TapList{live, liveCount} : TapList{};
  const int64_t taps = list.count ? g.cinG * list.count : g.taps;
  float* reduced = nullptr;  // the live taps' weights (forward, backward-data) or filter gradient (backward-filter)
  if (list.count) {
    reduced = threadScratch(kConvAccum).get<float>(g.cout * taps);
    if (!reduced) return false;
    if (pass == Pass::kBackwardFilter) std::memset(reduced, 0, g.cout * taps * sizeof(float));
    else forEachLiveWeight(g, list, [&](int64_t full, int64_t part) { reduced[part] = W[full]; });
  }
  if (pass == Pass::kBackwardData) std::memset(GX, 0, g.batch * g.cin * g.inPlane * sizeof(float));
  for (int64_t n0 = 0; n0 < g.batch; n0 += nbMax) {
    const int64_t nb = std::min(nbMax, g.batch - n0), ld = nb * P;
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* w = W ? (reduced ? reduced : W) + grp * g.coutG * taps : nullptr;
      // The per-image copies run over the pool (the GEMMs parallelise themselves).
      if (pass != Pass::kBackwardData) {
        parallelTasks(nb, [&](int64_t j, int) { im2col(g, X + ((n0 + j) * g.cin + grp * g.cinG) * g.inPlane, 0, P, col + j * P, ld, list); });
      }
      if (pass != Pass::kForward) {
        parallelTasks(nb, [&](int64_t j, int) { gatherPlanes(GY, g.cout, grp * g.coutG, g.coutG, P, n0 + j, block + j * P, ld); });
      }
      if (pass == Pass::kForward) {
        if (!sgemm(g.coutG, ld, taps, 1.0f, {w, taps, 1}, {col, ld, 1}, 0.0f, {block, ld, 1}, true)) return false;
        parallelTasks(nb, [&](int64_t j, int) {
          scatterPlanes(block + j * P, g.cout, grp * g.coutG, g.coutG, P, n0 + j, O, ld);
          addBias(O + ((n0 + j) * g.cout + grp * g.coutG) * P, g.coutG, P, bias.from(grp * g.coutG));
        });
      } else if (pass == Pass::kBackwardData) {
        if (!sgemm(taps, ld, g.coutG, 1.0f, {w, 1, taps}, {block, ld, 1}, 0.0f, {col, ld, 1}, true)) return false;
        parallelTasks(nb, [&](int64_t j, int) { col2im(g, col + j * P, 0, P, GX + ((n0 + j) * g.cin + grp * g.cinG) * g.inPlane, ld, list); });
      } else {
        float* gw = (reduced ? reduced : GW) + grp * g.coutG * taps;
        if (!sgemm(g.coutG, taps, ld, 1.0f, {block, ld, 1}, {col, 1, ld}, 1.0f, {gw, taps, 1}, true)) return false;
      }
    }
  }
  // The live taps' filter gradient into place (GW is zero elsewhere: the caller zeroed it).
  if (reduced && pass == Pass::kBackwardFilter) forEachLiveWeight(g, list, [&](int64_t full, int64_t part) { GW[full] = reduced[part]; });
  return true;
}

/**
 * Where the fused conv → relu → 2×2 max pool writes: each image's conv output stays in this
 * thread's scratch, and only the pooled planes ([N, Cout, OH, OW]) and their indices reach memory.
 */
struct PoolTarget {
  float* out = nullptr;
  int32_t* idx = nullptr;
  int64_t OH = 0, OW = 0;
};

/**
 * Stride-1 forward on padded copies of the images: the direct kernel for thin layers, else the
 * GEMM with the image as an implicit im2col matrix (row t of B is the padded image shifted by
 * off[t]). W holds each group's filters as coutG rows of taps. Requires g.pad ≤ d·(k−1) per side
 * (padded extents from the output size), which every forward convolution satisfies. With a pool
 * target, each image's result is pooled (relu, 2×2) instead of written out.
 */
bool forwardStrideOne(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias = {}, const PoolTarget* pool = nullptr) {
  const bool direct = useDirect(g);
  Padded pd;
  if (!preparePadded(g, direct ? W : nullptr, pd)) return false;
  const DirectKernels dk = directKernels();
  std::atomic<bool> ok{true};
  forEachImage(g, [&](int64_t n, bool nested) {
    float* xp = threadScratch(kConvPadded).get<float>(pd.size);
    const int64_t ld = direct ? pd.Lr : pd.L;
    float* yp = threadScratch(kConvResult).get<float>(g.coutG * ld);
    if (!xp || !yp) {
      ok = false;
      return;
    }
    for (int64_t grp = 0; grp < g.groups; grp++) {
      loadPadded(g, pd, X + (n * g.cin + grp * g.cinG) * g.inPlane, xp);
      if (direct) {
        dk.forward(pd.blocks, pd.blockStart, g.taps, pd.off, pd.wpk + grp * g.coutG * g.taps, xp, pd.Lr, yp);
      } else {
        ConstMat B{xp, 0, 1};
        B.rowOff = pd.off;
        if (!sgemm(g.coutG, pd.L, g.taps, 1.0f, {W + grp * g.coutG * g.taps, g.taps, 1}, B, 0.0f, {yp, pd.L, 1}, nested)) ok = false;
      }
      if (!pool) {
        compact(g, pd, yp, ld, O + (n * g.cout + grp * g.coutG) * g.outPlane, bias.from(grp * g.coutG));
        continue;
      }
      // Pool straight from the padded-numbered result (2-d: row r starts at r·Wp), adding the bias
      // to each tap as compact would have: the conv's output is never written out.
      Pool2x2Plane plane;
      plane.ld = pd.dims[2];
      plane.W = g.out[2];
      plane.OH = pool->OH;
      plane.OW = pool->OW;
      plane.afterRelu = true;
      for (int64_t co = 0; co < g.coutG; co++) {
        const int64_t at = (n * g.cout + grp * g.coutG + co) * pool->OH * pool->OW;
        plane.x = yp + co * ld;
        plane.bias = bias.p ? &bias[grp * g.coutG + co] : nullptr;
        plane.out = pool->out + at;
        plane.idx = pool->idx + at;
        maxPool2x2Plane(plane);
      }
    }
  });
  return ok;
}

/**
 * Whether the forward runs forwardStrideOne: stride 1, not a small-plane batch, and not a wide 1×1
 * convolution (which multiplies the image itself).
 */
bool forwardRunsPadded(const Geometry& g) { return !useBatchedPlanes(g) && strideOne(g) && !(g.pointwise() && !useDirect(g)); }

bool forward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  if (useBatchedPlanes(g)) return batchedPlanes(g, Pass::kForward, X, W, nullptr, O, nullptr, nullptr, bias);
  if (forwardRunsPadded(g)) return forwardStrideOne(g, X, W, O, bias);
  std::atomic<bool> ok{true};
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      const float* w = W + grp * g.coutG * g.taps;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (direct) {
        directForward(g, x, w, o);
      } else if (pointwise) {
        if (!sgemm(g.coutG, g.outPlane, g.taps, 1.0f, {w, g.taps, 1}, {x, g.inPlane, 1}, 0.0f, {o, g.outPlane, 1}, nested)) ok = false;
      } else if (!im2colChunks(g, x, chunk, [&](const float* col, int64_t p0, int64_t len) {
                   return sgemm(g.coutG, len, g.taps, 1.0f, {w, g.taps, 1}, {col, len, 1}, 0.0f, {o + p0, g.outPlane, 1}, nested);
                 })) {
        ok = false;
      }
      addBias(o, g.coutG, g.outPlane, bias.from(grp * g.coutG));  // while the image's output is in cache
    }
  });
  return ok;
}

/**
 * Stride-1 backward-data as a forward convolution of gy: padding d·(k−1) − pad on each side, the
 * filters flipped and their two channel dims swapped. False when that padding would be negative
 * (a padding wider than the kernel's reach), which the im2col path then handles.
 */
bool backwardDataAsForward(const Geometry& g, const float* GY, const float* W, float* GX, bool& ok) {
  Geometry t = g;
  t.cin = g.cout;
  t.cout = g.cin;
  t.cinG = g.coutG;
  t.coutG = g.cinG;
  for (int i = 0; i < 3; i++) {
    const int64_t span = g.d[i] * (g.k[i] - 1);
    const int64_t padAfter = g.out[i] + span - g.in[i] - g.pad[i];  // stride 1: out = in + before + after − span
    if (g.pad[i] > span || padAfter > span) return false;
    t.in[i] = g.out[i];
    t.out[i] = g.in[i];
    t.pad[i] = span - g.pad[i];
  }
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2];
  t.taps = t.cinG * kvol;
  t.inPlane = g.outPlane;
  t.outPlane = g.inPlane;
  // Flipped, channel-swapped filters: row ci, tap (co, k) = w[co, ci, kvol − 1 − k].
  float* w2 = threadScratch(kConvAccum).get<float>(g.groups * t.coutG * t.taps);
  if (!w2) {
    ok = false;
    return true;
  }
  for (int64_t grp = 0; grp < g.groups; grp++) {
    const float* w = W + grp * g.coutG * g.taps;
    float* d = w2 + grp * t.coutG * t.taps;
    for (int64_t ci = 0; ci < g.cinG; ci++)
      for (int64_t co = 0; co < g.coutG; co++)
        for (int64_t k = 0; k < kvol; k++) d[ci * t.taps + co * kvol + k] = w[co * g.taps + ci * kvol + (kvol - 1 - k)];
  }
  ok = forwardStrideOne(t, GY, w2, GX);
  return true;
}

bool backwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  if (useBatchedPlanes(g)) return batchedPlanes(g, Pass::kBackwardData, nullptr, W, GY, nullptr, GX, nullptr);
  bool handled = false, okForward = true;
  if (strideOne(g) && !g.pointwise()) handled = backwardDataAsForward(g, GY, W, GX, okForward);
  if (handled) return okForward;
  std::atomic<bool> ok{true};
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, bool nested) {
    float* gxImage = GX + n * g.cin * g.inPlane;
    if (!pointwise) std::memset(gxImage, 0, g.cin * g.inPlane * sizeof(float));
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      const float* w = W + grp * g.coutG * g.taps;
      float* gx = gxImage + grp * g.cinG * g.inPlane;
      if (direct && !pointwise) {
        directBackwardData(g, gy, w, gx);
        continue;
      }
      // A: the group's weights read transposed ([taps × coutG]).
      if (pointwise) {
        if (!sgemm(g.taps, g.outPlane, g.coutG, 1.0f, {w, 1, g.taps}, {gy, g.outPlane, 1}, 0.0f, {gx, g.inPlane, 1}, nested)) ok = false;
        continue;
      }
      float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
      if (!col) {
        ok = false;
        return;
      }
      for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
        const int64_t len = std::min(chunk, g.outPlane - p0);
        if (!sgemm(g.taps, len, g.coutG, 1.0f, {w, 1, g.taps}, {gy + p0, g.outPlane, 1}, 0.0f, {col, len, 1}, nested)) ok = false;
        col2im(g, col, p0, len, gx);
      }
    }
  });
  return ok;
}

/**
 * Σ of one plane's n floats: blocks of 64 summed in eight float lanes (two SSE vectors), each
 * block's lanes then added in double, so the rounding error does not grow with the plane.
 */
double planeSum(const float* p, int64_t n) {
  typedef float v4 __attribute__((vector_size(16)));
  double s = 0;
  int64_t i = 0;
  while (i + 8 <= n) {
    v4 a = {0, 0, 0, 0}, b = a;
    for (const int64_t end = std::min(n, i + 64); i + 8 <= end; i += 8) {
      v4 x, y;
      std::memcpy(&x, p + i, sizeof x);
      std::memcpy(&y, p + i + 4, sizeof y);
      a += x;
      b += y;
    }
    for (int k = 0; k < 4; k++) s += static_cast<double>(a[k]) + static_cast<double>(b[k]);
  }
  for (; i < n; i++) s += p[i];
  return s;
}

/** gb[c] = Σ over images and positions of gy, on the calling thread. */
void biasGradient(const Geometry& g, const float* GY, const BiasGrad& gb) {
  for (int64_t c = 0; c < g.cout; c++) {
    double sum = 0;
    for (int64_t n = 0; n < g.batch; n++) sum += planeSum(GY + (n * g.cout + c) * g.outPlane, g.outPlane);
    gb[c] = static_cast<float>(sum);
  }
}

bool backwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  const int64_t wSize = g.cout * g.taps;
  if (useBatchedPlanes(g)) {
    std::memset(GW, 0, wSize * sizeof(float));
    if (gb.p) biasGradient(g, GY, gb);
    return batchedPlanes(g, Pass::kBackwardFilter, X, nullptr, GY, nullptr, nullptr, GW);
  }
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  // The batch is cut into one contiguous range of images per thread, each summed into its own
  // gradient (range 0 straight into GW), then the ranges are added in order: the result does
  // not depend on which thread ran which range.
  const bool split = g.batch >= 2 && numThreads() > 1 && g.batch >= numThreads();
  const int64_t ranges = split ? numThreads() : 1;
  // Per range: the bias gradient's sums (double, when wanted) and, past range 0, a filter gradient.
  const int64_t biasSums = gb.p ? ranges * g.cout : 0;
  char* mem = threadScratch(kConvAccum).get<char>(biasSums * sizeof(double) + wSize * (ranges - 1) * sizeof(float));
  if (!mem) return false;
  double* biasAcc = reinterpret_cast<double*>(mem);
  float* extra = reinterpret_cast<float*>(mem + biasSums * sizeof(double));
  std::memset(mem, 0, biasSums * sizeof(double) + wSize * (ranges - 1) * sizeof(float));
  std::memset(GW, 0, wSize * sizeof(float));
  std::atomic<bool> ok{true};
  Padded pd;
  const bool padded = strideOne(g) && !pointwise;
  if (padded && !preparePadded(g, nullptr, pd)) return false;
  const DirectKernels dk = directKernels();
  auto image = [&](int64_t n, float* acc, double* biasSum, bool nested) {
    if (biasSum) {
      for (int64_t c = 0; c < g.cout; c++) biasSum[c] += planeSum(GY + (n * g.cout + c) * g.outPlane, g.outPlane);
    }
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      float* gw = acc + grp * g.coutG * g.taps;
      if (padded) {
        // gy in the padded numbering, zero at the positions past each row: [position][channel]
        // (channels rounded up to 8) for the transposed direct kernel, else [channel][position].
        const bool transposed = direct && g.coutG > 8;
        const int64_t CP = (g.coutG + 7) / 8 * 8;
        float* xp = threadScratch(kConvPadded).get<float>(pd.size);
        float* gyp = threadScratch(kConvResult).get<float>(transposed ? CP * pd.L : g.coutG * pd.Lr);
        if (!xp || !gyp) {
          ok = false;
          return;
        }
        if (loadPadded(g, pd, x, xp)) {
          const int64_t rows = g.out[0] * g.out[1], Wo = g.out[2];
          if (transposed) {
            int64_t done = 0;  // positions [0, done) written
            for (int64_t r = 0; r < rows; r++) {
              std::memset(gyp + done * CP, 0, (pd.rowBase[r] - done) * CP * sizeof(float));
              const float* src = gy + r * Wo;
              float* dst = gyp + pd.rowBase[r] * CP;
              for (int64_t i = 0; i < Wo; i++, dst += CP) {
                int64_t co = 0;
                for (; co < g.coutG; co++) dst[co] = src[co * g.outPlane + i];
                for (; co < CP; co++) dst[co] = 0.0f;
              }
              done = pd.rowBase[r] + Wo;
            }
            // gw[co, t] += Σ_q gyT[q, co]·xp[q + off[t]].
            dk.filterTransposed(g.coutG, g.taps, pd.off, gyp, CP, pd.L, xp, gw, g.taps);
            continue;
          }
          // gw[co, t] += Σ_q gyp[co, q]·xp[q + off[t]].
          std::memset(gyp, 0, g.coutG * pd.Lr * sizeof(float));
          for (int64_t co = 0; co < g.coutG; co++)
            for (int64_t r = 0; r < rows; r++) copyRow(gyp + co * pd.Lr + pd.rowBase[r], gy + co * g.outPlane + r * Wo, Wo);
          if (direct) {
            dk.filterRows(g.coutG, g.taps, pd.off, gyp, pd.Lr, xp, gw, g.taps);
          } else {
            ConstMat B{xp, 1, 0};
            B.colOff = pd.off;
            if (!sgemm(g.coutG, g.taps, pd.L, 1.0f, {gyp, pd.Lr, 1}, B, 1.0f, {gw, g.taps, 1}, nested)) ok = false;
          }
          continue;
        }
        // An infinity or NaN in the image: sum over the valid positions only (a zero gy times an
        // infinity past a row would leak a NaN), exactly, through the paths below.
        if (direct) {
          directBackwardFilter(g, x, gy, gw);
          continue;
        }
      } else if (direct && !pointwise) {
        directBackwardFilter(g, x, gy, gw);
        continue;
      }
      if (pointwise) {
        // gw[co, ci] += Σ_p gy[co, p]·x[ci, p]: B is x read transposed.
        if (!sgemm(g.coutG, g.taps, g.outPlane, 1.0f, {gy, g.outPlane, 1}, {x, 1, g.inPlane}, 1.0f, {gw, g.taps, 1}, nested)) ok = false;
        continue;
      }
      if (!im2colChunks(g, x, chunk, [&](const float* col, int64_t p0, int64_t len) {
            return sgemm(g.coutG, g.taps, len, 1.0f, {gy + p0, g.outPlane, 1}, {col, 1, len}, 1.0f, {gw, g.taps, 1}, nested);
          })) {
        ok = false;
      }
    }
  };
  if (split) {
    const int64_t per = (g.batch + ranges - 1) / ranges;
    parallelTasks(ranges, [&](int64_t r, int) {
      float* acc = r == 0 ? GW : extra + (r - 1) * wSize;
      double* biasSum = gb.p ? biasAcc + r * g.cout : nullptr;
      for (int64_t n = r * per; n < std::min(g.batch, (r + 1) * per); n++) image(n, acc, biasSum, false);
    });
  } else {
    for (int64_t n = 0; n < g.batch; n++) image(n, GW, gb.p ? biasAcc : nullptr, true);
  }
  for (int64_t r = 0; r < ranges - 1; r++) {
    const float* e = extra + r * wSize;
    for (int64_t i = 0; i < wSize; i++) GW[i] += e[i];
  }
  if (gb.p) {
    for (int64_t c = 0; c < g.cout; c++) {
      double sum = 0;
      for (int64_t r = 0; r < ranges; r++) sum += biasAcc[r * g.cout + c];
      gb[c] = static_cast<float>(sum);
    }
  }
  return ok;
}

}  // namespace

int64_t setConvBatchedMaxPlane(int64_t n) { return batchedMaxPlane.exchange(n); }

napi_value Conv(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv");
  View x, w, out, bias;
  Geometry g;
  bool hasBias = false;
  if (!readConv(args, "x", "w", "out", x, w, out, g, "bias", &bias, &hasBias)) return nullptr;
  if (out.numel == 0) return nullptr;
  const Bias b = hasBias ? Bias{bias.at<float>(), bias.strides[0]} : Bias{};
  if (g.taps == 0) {
    std::memset(out.at<float>(), 0, out.numel * sizeof(float));
    for (int64_t n = 0; n < g.batch; n++) addBias(out.at<float>() + n * g.cout * g.outPlane, g.cout, g.outPlane, b);
    return nullptr;
  }
  if (!forward(g, x.at<float>(), w.at<float>(), out.at<float>(), b)) args.fail("out of memory for convolution scratch");
  return nullptr;
}

napi_value ConvReluMaxPool(napi_env env, napi_callback_info info) {
  Args args(env, info, "convReluMaxPool");
  View x, w, pooled, bias, indices;
  Geometry g;
  bool hasBias = false;
  if (!readConv(args, "x", "w", "pooled", x, w, pooled, g, "bias", &bias, &hasBias, &indices)) return nullptr;
  // The fused path covers what the padded stride-1 forward runs; anything else is the caller's
  // two kernels (false, nothing written).
  const bool fused = forwardRunsPadded(g) && g.taps > 0;
  napi_value result;
  napi_get_boolean(env, fused, &result);
  if (!fused || pooled.numel == 0) return result;
  const Bias b = hasBias ? Bias{bias.at<float>(), bias.strides[0]} : Bias{};
  const PoolTarget target{pooled.at<float>(), indices.at<int32_t>(), pooled.shape[2], pooled.shape[3]};
  if (!forwardStrideOne(g, x.at<float>(), w.at<float>(), nullptr, b, &target)) return args.fail("out of memory for convolution scratch"), nullptr;
  return result;
}

napi_value ConvBackwardData(napi_env env, napi_callback_info info) {
  Args args(env, info, "convBackwardData");
  View gy, w, gx;
  Geometry g;
  if (!readConv(args, "gx", "w", "gy", gx, w, gy, g)) return nullptr;
  if (gx.numel == 0) return nullptr;
  if (gy.numel == 0 || g.taps == 0) {
    std::memset(gx.at<float>(), 0, gx.numel * sizeof(float));
    return nullptr;
  }
  if (!backwardData(g, gy.at<float>(), w.at<float>(), gx.at<float>())) args.fail("out of memory for convolution scratch");
  return nullptr;
}

napi_value ConvBackwardFilter(napi_env env, napi_callback_info info) {
  Args args(env, info, "convBackwardFilter");
  View x, gy, gw, gbView;
  Geometry g;
  bool hasGb = false;
  if (!readConv(args, "x", "gw", "gy", x, gw, gy, g, "gb", &gbView, &hasGb)) return nullptr;
  if (hasGb && (sharesMemory(gbView, gw) || sharesMemory(gbView, gy) || sharesMemory(gbView, x)))
    return args.fail("gb must not share memory with x, gy or gw"), nullptr;
  const BiasGrad gb = hasGb ? BiasGrad{gbView.at<float>(), gbView.strides[0]} : BiasGrad{};
  if (gw.numel == 0) {
    if (gb.p) biasGradient(g, gy.at<float>(), gb);  // no filter taps, but a bias per channel
    return nullptr;
  }
  if (gy.numel == 0) {
    std::memset(gw.at<float>(), 0, gw.numel * sizeof(float));
    for (int64_t c = 0; c < g.cout && gb.p; c++) gb[c] = 0.0f;
    return nullptr;
  }
  if (!backwardFilter(g, x.at<float>(), gy.at<float>(), gw.at<float>(), gb)) args.fail("out of memory for convolution scratch");
  return nullptr;
}

}  // namespace nabla
