// argmax / argmin along one axis of float32, float64, int32 or bool data, writing int32 indices
// into out (x's rank, size 1 along the axis), on any strides. As in the cpu backend (and PyTorch):
// the first occurrence of the extreme wins, and a NaN wins — the first NaN, after which the line's
// scan stops.
//
// Lines whose x elements lie closer together across outputs than along the axis (argmax over dim 0
// of a row-major matrix) are scanned a block of outputs at a time, reading x row by row. Outputs
// are independent, so they are split over the pool when out addresses each element once and shares
// no memory with x; otherwise the lines run on one thread in cpu's order.

#include <cstdint>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "overlap.h"
#include "walk.h"

namespace nabla {

namespace {

/** Elements compared below which a call stays on the calling thread. */
constexpr int64_t kParallelWork = 1 << 16;
/** Outputs scanned together in the blocked loop. */
constexpr int kBlock = 64;

/** Whether e replaces best: strictly better, or a NaN (integers are never NaN). */
template <class T, bool isMax>
inline bool replaces(T e, T best) {
  return isMax ? (e > best || e != e) : (e < best || e != e);
}

/** An Int32Array store of the position (wraps like cpu's, for lines past 2^31 elements). */
inline int32_t position(int64_t k) { return static_cast<int32_t>(static_cast<uint32_t>(k)); }

/** The extreme's position on one line x[p + k·step], k < len. */
template <class T, bool isMax>
inline int64_t scanLine(const T* x, int64_t p, int64_t step, int64_t len) {
  T best = x[p];
  int64_t at = 0;
  for (int64_t k = 1; k < len; k++) {
    if (best != best) break;
    const T e = x[p + k * step];
    if (replaces<T, isMax>(e, best)) {
      best = e;
      at = k;
    }
  }
  return at;
}

/** n neighbouring lines (starting sx apart) at once, up to kBlock per pass; same result per line as scanLine. */
template <class T, bool isMax>
void scanBlock(const T* x, int64_t p, int64_t sx, int64_t step, int64_t len, int32_t* o, int64_t q, int64_t so, int64_t n) {
  T best[kBlock];
  int64_t at[kBlock];
  for (int64_t c0 = 0; c0 < n; c0 += kBlock) {
    const int64_t w = n - c0 < kBlock ? n - c0 : kBlock;
    const int64_t first = p + c0 * sx;
    for (int64_t i = 0; i < w; i++) {
      best[i] = x[first + i * sx];
      at[i] = 0;
    }
    for (int64_t k = 1; k < len; k++) {
      const int64_t line = first + k * step;
      for (int64_t i = 0; i < w; i++) {
        if (best[i] != best[i]) continue;  // a NaN already won this line
        const T e = x[line + i * sx];
        if (replaces<T, isMax>(e, best[i])) {
          best[i] = e;
          at[i] = k;
        }
      }
    }
    for (int64_t i = 0; i < w; i++) o[q + (c0 + i) * so] = position(at[i]);
  }
}

template <class T, bool isMax>
void argTyped(const View& x, int64_t axis, const View& out) {
  int64_t outer[kMaxDims];
  for (int d = 0; d < x.ndim; d++) outer[d] = d == axis ? 1 : x.shape[d];
  const int64_t* strides[2] = {x.strides, out.strides};
  const Walk w(outer, x.ndim, strides, 2);
  const T* xs = static_cast<const T*>(x.data);
  int32_t* os = static_cast<int32_t*>(out.data);
  const int64_t len = x.shape[axis], step = x.strides[axis];
  const int64_t absStep = step < 0 ? -step : step;
  const bool independent = addressesEachElementOnce(out) && !sharesMemory(out, x);
  const int64_t base[2] = {x.offset, out.offset};
  auto body = [&](const int64_t* off, int64_t n, const int64_t* in) {
    const int64_t sx = in[0], so = in[1];
    if (independent && n > 1 && (sx < 0 ? -sx : sx) < absStep) {
      scanBlock<T, isMax>(xs, off[0], sx, step, len, os, off[1], so, n);
      return;
    }
    for (int64_t r = 0; r < n; r++) os[off[1] + r * so] = position(scanLine<T, isMax>(xs, off[0] + r * sx, step, len));
  };
  if (!independent) {
    w.rowsInRange(base, 0, w.rows(), body);
    return;
  }
  int64_t at = kParallelWork / len;
  if (at < 64) at = 64;
  w.forEachRow(base, at, body);
}

template <class T>
void argDispatch(bool isMax, const View& x, int64_t axis, const View& out) {
  if (isMax) argTyped<T, true>(x, axis, out);
  else argTyped<T, false>(x, axis, out);
}

}  // namespace

napi_value ArgReduce(napi_env env, napi_callback_info info) {
  Args args(env, info, "argReduce");
  const int64_t op = args.integer("op (0 argmax, 1 argmin)", 0, 1);
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish();
  if (!args.ok()) return nullptr;
  const char* name = op == 0 ? "argmax" : "argmin";
  if (out.dtype != kInt32) return args.fail("out must be int32"), nullptr;
  if (axis >= x.ndim) return args.fail("axis " + std::to_string(axis) + " is out of range for x of rank " + std::to_string(x.ndim)), nullptr;
  bool fits = out.ndim == x.ndim;
  for (int d = 0; fits && d < x.ndim; d++) fits = out.shape[d] == (d == axis ? 1 : x.shape[d]);
  if (!fits) {
    return args.fail("out shape " + out.shapeText() + " does not match x " + x.shapeText() + " reduced over axis " + std::to_string(axis) +
                     " (keepdim layout)"),
           nullptr;
  }
  if (x.shape[axis] == 0) return args.fail(std::string("cannot take ") + name + " over a zero-size dimension " + std::to_string(axis)), nullptr;
  switch (x.dtype) {
    case kFloat32: argDispatch<float>(op == 0, x, axis, out); break;
    case kFloat64: argDispatch<double>(op == 0, x, axis, out); break;
    case kInt32: argDispatch<int32_t>(op == 0, x, axis, out); break;
    case kBool: argDispatch<uint8_t>(op == 0, x, axis, out); break;
  }
  return nullptr;
}

}  // namespace nabla
