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
#include "gemm.h"
#include "kernels.h"
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
/** Taps per output at or below which the direct kernel beats im2col + GEMM. */
constexpr int64_t kDirectMaxTaps = 27;

inline int64_t ceilDiv(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/**
 * Decode the call's parameters and operands and check that they describe one convolution: the
 * image-side view xs ([N, Cin, in...]), the weight-side ws ([Cout, Cin/groups, k...]) and the
 * output-side os ([N, Cout, out...]), all dense float32, out sizes from the usual formula.
 */
bool readConv(Args& args, const char* xName, const char* wName, const char* oName, View& x, View& w, View& o, Geometry& g) {
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
    if (o.shape[2 + i] != expect)
      return args.fail(std::string(oName) + " spatial size " + std::to_string(o.shape[2 + i]) + " should be " + std::to_string(expect) + ctx);
    g.out[j] = o.shape[2 + i];
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

/** col[t, j] for positions p0..p0+len of one image-group (x points at its first channel). */
void im2col(const Geometry& g, const float* x, int64_t p0, int64_t len, float* col) {
  const int64_t sx = g.s[2];
  for (int64_t t = 0; t < g.taps; t++) {
    const Tap tp = tapOf(g, t);
    const float* xc = x + tp.ci * g.inPlane;
    float* dst = col + t * len;
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
void col2im(const Geometry& g, const float* col, int64_t p0, int64_t len, float* gx) {
  const int64_t sx = g.s[2];
  for (int64_t t = 0; t < g.taps; t++) {
    const Tap tp = tapOf(g, t);
    float* xc = gx + tp.ci * g.inPlane;
    const float* srcRow = col + t * len;
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
 * out rows of one image-group: for each output row (oz, oy) and tap, the input row segment times
 * the tap's weight, accumulated into every output channel's row. x/out point at the group's first
 * channel; w at the group's first filter.
 */
void directForward(const Geometry& g, const float* x, const float* w, float* out) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  const int64_t kPerChannel = g.k[0] * g.k[1] * g.k[2];
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t rowOff = (oz * g.out[1] + oy) * Wo;
      for (int64_t co = 0; co < g.coutG; co++) std::memset(out + co * g.outPlane + rowOff, 0, Wo * sizeof(float));
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        for (int64_t kz = 0; kz < g.k[0]; kz++) {
          const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (int64_t ky = 0; ky < g.k[1]; ky++) {
            const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const float* xrow = x + ci * g.inPlane + (iz * g.in[1] + iy) * g.in[2];
            for (int64_t kx = 0; kx < g.k[2]; kx++) {
              int64_t lo, hi;
              validRange(g, 0, Wo, kx, lo, hi);
              const float* src = xrow - g.pad[2] + kx * g.d[2];
              const int64_t tap = ci * kPerChannel + (kz * g.k[1] + ky) * g.k[2] + kx;
              for (int64_t co = 0; co < g.coutG; co++) {
                const float wv = w[co * g.taps + tap];
                float* o = out + co * g.outPlane + rowOff;
                if (sx == 1) for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j];
                else for (int64_t j = lo; j < hi; j++) o[j] += wv * src[j * sx];
              }
            }
          }
        }
      }
    }
  }
}

/** gx (zeroed by the caller) += the adjoint of directForward for one image-group. */
void directBackwardData(const Geometry& g, const float* gy, const float* w, float* gx) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  const int64_t kPerChannel = g.k[0] * g.k[1] * g.k[2];
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t rowOff = (oz * g.out[1] + oy) * Wo;
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        for (int64_t kz = 0; kz < g.k[0]; kz++) {
          const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (int64_t ky = 0; ky < g.k[1]; ky++) {
            const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            float* xrow = gx + ci * g.inPlane + (iz * g.in[1] + iy) * g.in[2];
            for (int64_t kx = 0; kx < g.k[2]; kx++) {
              int64_t lo, hi;
              validRange(g, 0, Wo, kx, lo, hi);
              float* dst = xrow - g.pad[2] + kx * g.d[2];
              const int64_t tap = ci * kPerChannel + (kz * g.k[1] + ky) * g.k[2] + kx;
              for (int64_t co = 0; co < g.coutG; co++) {
                const float wv = w[co * g.taps + tap];
                const float* gyr = gy + co * g.outPlane + rowOff;
                if (sx == 1) for (int64_t j = lo; j < hi; j++) dst[j] += wv * gyr[j];
                else for (int64_t j = lo; j < hi; j++) dst[j * sx] += wv * gyr[j];
              }
            }
          }
        }
      }
    }
  }
}

/** gw[co, tap] += Σ over one image-group's positions of gy[co, p]·x at tap of p. */
void directBackwardFilter(const Geometry& g, const float* x, const float* gy, float* gw) {
  const int64_t Wo = g.out[2], sx = g.s[2];
  const int64_t kPerChannel = g.k[0] * g.k[1] * g.k[2];
  for (int64_t oz = 0; oz < g.out[0]; oz++) {
    for (int64_t oy = 0; oy < g.out[1]; oy++) {
      const int64_t rowOff = (oz * g.out[1] + oy) * Wo;
      for (int64_t ci = 0; ci < g.cinG; ci++) {
        for (int64_t kz = 0; kz < g.k[0]; kz++) {
          const int64_t iz = oz * g.s[0] - g.pad[0] + kz * g.d[0];
          if (iz < 0 || iz >= g.in[0]) continue;
          for (int64_t ky = 0; ky < g.k[1]; ky++) {
            const int64_t iy = oy * g.s[1] - g.pad[1] + ky * g.d[1];
            if (iy < 0 || iy >= g.in[1]) continue;
            const float* xrow = x + ci * g.inPlane + (iz * g.in[1] + iy) * g.in[2];
            for (int64_t kx = 0; kx < g.k[2]; kx++) {
              int64_t lo, hi;
              validRange(g, 0, Wo, kx, lo, hi);
              const float* src = xrow - g.pad[2] + kx * g.d[2];
              const int64_t tap = ci * kPerChannel + (kz * g.k[1] + ky) * g.k[2] + kx;
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
            }
          }
        }
      }
    }
  }
}

// ---- drivers --------------------------------------------------------------------------------------

bool useDirect(const Geometry& g) { return g.taps <= kDirectMaxTaps; }

/** Positions per column block: the whole plane when it fits, else a chunk (a multiple of 16). */
int64_t chunkFor(const Geometry& g) {
  int64_t c = kMaxColumnFloats / std::max<int64_t>(g.taps, 1);
  c = std::max<int64_t>(64, c / 16 * 16);
  return std::min(c, g.outPlane);
}

/** Run body(n, worker, nestedParallel) for every image: over the pool when the batch can fill it. */
template <class Body>
void forEachImage(const Geometry& g, Body&& body) {
  if (g.batch >= 2 && numThreads() > 1 && g.batch >= numThreads()) {
    parallelTasks(g.batch, [&](int64_t n, int worker) { body(n, worker, false); });
  } else {
    for (int64_t n = 0; n < g.batch; n++) body(n, 0, true);
  }
}

bool forward(const Geometry& g, const float* X, const float* W, float* O) {
  std::atomic<bool> ok{true};
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, int, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      const float* w = W + grp * g.coutG * g.taps;
      float* o = O + (n * g.cout + grp * g.coutG) * g.outPlane;
      if (direct) {
        directForward(g, x, w, o);
        continue;
      }
      if (pointwise) {
        if (!sgemm(g.coutG, g.outPlane, g.taps, 1.0f, {w, g.taps, 1}, {x, g.inPlane, 1}, 0.0f, {o, g.outPlane, 1}, nested)) ok = false;
        continue;
      }
      float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
      if (!col) {
        ok = false;
        return;
      }
      for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
        const int64_t len = std::min(chunk, g.outPlane - p0);
        im2col(g, x, p0, len, col);
        if (!sgemm(g.coutG, len, g.taps, 1.0f, {w, g.taps, 1}, {col, len, 1}, 0.0f, {o + p0, g.outPlane, 1}, nested)) ok = false;
      }
    }
  });
  return ok;
}

bool backwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  std::atomic<bool> ok{true};
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  forEachImage(g, [&](int64_t n, int, bool nested) {
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

bool backwardFilter(const Geometry& g, const float* X, const float* GY, float* GW) {
  const int64_t wSize = g.cout * g.taps;
  const bool direct = useDirect(g), pointwise = g.pointwise();
  const int64_t chunk = chunkFor(g);
  // The batch is cut into one contiguous range of images per thread, each summed into its own
  // gradient (range 0 straight into GW), then the ranges are added in order: the result does
  // not depend on which thread ran which range.
  const bool split = g.batch >= 2 && numThreads() > 1 && g.batch >= numThreads();
  const int64_t ranges = split ? numThreads() : 1;
  float* extra = nullptr;
  if (ranges > 1) {
    extra = threadScratch(kConvAccum).get<float>(wSize * (ranges - 1));
    if (!extra) return false;
    std::memset(extra, 0, wSize * (ranges - 1) * sizeof(float));
  }
  std::memset(GW, 0, wSize * sizeof(float));
  std::atomic<bool> ok{true};
  auto image = [&](int64_t n, float* acc, bool nested) {
    for (int64_t grp = 0; grp < g.groups; grp++) {
      const float* x = X + (n * g.cin + grp * g.cinG) * g.inPlane;
      const float* gy = GY + (n * g.cout + grp * g.coutG) * g.outPlane;
      float* gw = acc + grp * g.coutG * g.taps;
      if (direct && !pointwise) {
        directBackwardFilter(g, x, gy, gw);
        continue;
      }
      if (pointwise) {
        // gw[co, ci] += Σ_p gy[co, p]·x[ci, p]: B is x read transposed.
        if (!sgemm(g.coutG, g.taps, g.outPlane, 1.0f, {gy, g.outPlane, 1}, {x, 1, g.inPlane}, 1.0f, {gw, g.taps, 1}, nested)) ok = false;
        continue;
      }
      float* col = threadScratch(kColumns).get<float>(g.taps * chunk);
      if (!col) {
        ok = false;
        return;
      }
      for (int64_t p0 = 0; p0 < g.outPlane; p0 += chunk) {
        const int64_t len = std::min(chunk, g.outPlane - p0);
        im2col(g, x, p0, len, col);
        if (!sgemm(g.coutG, g.taps, len, 1.0f, {gy + p0, g.outPlane, 1}, {col, 1, len}, 1.0f, {gw, g.taps, 1}, nested)) ok = false;
      }
    }
  };
  if (split) {
    const int64_t per = (g.batch + ranges - 1) / ranges;
    parallelTasks(ranges, [&](int64_t r, int) {
      float* acc = r == 0 ? GW : extra + (r - 1) * wSize;
      for (int64_t n = r * per; n < std::min(g.batch, (r + 1) * per); n++) image(n, acc, false);
    });
  } else {
    for (int64_t n = 0; n < g.batch; n++) image(n, GW, true);
  }
  for (int64_t r = 0; r < ranges - 1; r++) {
    const float* e = extra + r * wSize;
    for (int64_t i = 0; i < wSize; i++) GW[i] += e[i];
  }
  return ok;
}

}  // namespace

napi_value Conv(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv");
  View x, w, out;
  Geometry g;
  if (!readConv(args, "x", "w", "out", x, w, out, g)) return nullptr;
  if (out.numel == 0) return nullptr;
  if (g.taps == 0) {
    std::memset(out.at<float>(), 0, out.numel * sizeof(float));
    return nullptr;
  }
  if (!forward(g, x.at<float>(), w.at<float>(), out.at<float>())) args.fail("out of memory for convolution scratch");
  return nullptr;
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
  View x, gy, gw;
  Geometry g;
  if (!readConv(args, "x", "gw", "gy", x, gw, gy, g)) return nullptr;
  if (gw.numel == 0) return nullptr;
  if (gy.numel == 0) {
    std::memset(gw.at<float>(), 0, gw.numel * sizeof(float));
    return nullptr;
  }
  if (!backwardFilter(g, x.at<float>(), gy.at<float>(), gw.at<float>())) args.fail("out of memory for convolution scratch");
  return nullptr;
}

}  // namespace nabla
