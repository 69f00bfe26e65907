// float32 reductions (sum, prod, max, min) and int32 sum, max and min over any set of axes, in one
// pass over x in memory order:
// each element is combined into its output slot of a float64 accumulator laid out like out (zero
// strides along the reduced axes), as in the cpu backend. Rows that fold into one slot keep their
// running value in registers. Large reductions onto few slots split x over the thread pool with
// one private accumulator per thread, merged at the end. int32 sums are exact in the float64
// accumulator (below 2^53) and stored wrapping modulo 2^32, as an Int32Array store of cpu's sum.

#include <cmath>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "ops.h"
#include "scratch.h"
#include "walk.h"

namespace nabla {

namespace {

double identity(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return 0.0;
    case ReduceOp::prod: return 1.0;
    case ReduceOp::max: return -INFINITY;
    case ReduceOp::min: return INFINITY;
    case ReduceOp::count: break;
  }
  return 0.0;
}

/** Fold n strided values into v. NaN wins max/min (and stops the scan), as in PyTorch. */
template <ReduceOp op, class T>
inline double foldRow(double v, const T* x, int64_t n, int64_t sx) {
  if (op == ReduceOp::sum) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    if (sx == 1) {
      for (; i + 4 <= n; i += 4) {
        s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3];
      }
    }
    for (; i < n; i++) s0 += x[i * sx];
    return v + ((s0 + s1) + (s2 + s3));
  }
  if (op == ReduceOp::prod) {
    for (int64_t i = 0; i < n; i++) v *= x[i * sx];
    return v;
  }
  for (int64_t i = 0; i < n; i++) {
    const double e = x[i * sx];
    if (op == ReduceOp::max ? (e > v || e != e) : (e < v || e != e)) v = e;
    if (v != v) break;
  }
  return v;
}

/** acc[i·sa] ⊕= x[i·sx] for n elements. */
template <ReduceOp op, class T>
inline void combineRow(double* acc, int64_t sa, const T* x, int64_t sx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const double e = x[i * sx];
    double& a = acc[i * sa];
    switch (op) {
      case ReduceOp::sum: a += e; break;
      case ReduceOp::prod: a *= e; break;
      case ReduceOp::max: if (e > a || (e != e && a == a)) a = e; break;
      case ReduceOp::min: if (e < a || (e != e && a == a)) a = e; break;
      case ReduceOp::count: break;
    }
  }
}

template <ReduceOp op>
inline double merge(double a, double b) {
  switch (op) {
    case ReduceOp::sum: return a + b;
    case ReduceOp::prod: return a * b;
    case ReduceOp::max: return (a != a || b != b) ? NAN : (b > a ? b : a);
    case ReduceOp::min: return (a != a || b != b) ? NAN : (b < a ? b : a);
    case ReduceOp::count: break;
  }
  return a;
}

/** The accumulator as out's element: float32 rounded, int32 wrapped modulo 2^32 (JS ToInt32). */
inline float fromAccumulator(double v, float*) { return static_cast<float>(v); }
inline int32_t fromAccumulator(double v, int32_t*) {
  if (!std::isfinite(v)) return 0;
  double t = std::fmod(std::trunc(v), 4294967296.0);
  if (t < 0) t += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(t));
}

template <ReduceOp op, class T>
bool reduceTyped(const View& x, const int64_t* accStrides, const View& out, int64_t m) {
  const int64_t* strides[2] = {x.strides, accStrides};
  Walk w(x.shape, x.ndim, strides, 2);
  const T* xs = static_cast<const T*>(x.data);
  const int threads = numThreads();
  const bool parallel = threads > 1 && w.total >= (1 << 16) && m * 8 <= w.total && w.rows() >= 2 * threads;
  const int copies = parallel ? threads : 1;
  double* acc = threadScratch(kAccum).get<double>(m * copies);
  if (!acc) return false;
  for (int64_t i = 0; i < m * copies; i++) acc[i] = identity(op);

  auto body = [&](double* a) {
    return [a, xs](const int64_t* off, int64_t n, const int64_t* in) {
      if (in[1] == 0) a[off[1]] = foldRow<op, T>(a[off[1]], xs + off[0], n, in[0]);
      else combineRow<op, T>(a + off[1], in[1], xs + off[0], in[0], n);
    };
  };
  const int64_t base[2] = {x.offset, 0};
  if (!parallel) {
    w.rowsInRange(base, 0, w.rows(), body(acc));
  } else {
    const int64_t rows = w.rows(), step = (rows + threads - 1) / threads;
    parallelTasks(threads, [&](int64_t t, int) {
      const int64_t r0 = t * step, r1 = r0 + step < rows ? r0 + step : rows;
      w.rowsInRange(base, r0, r1, body(acc + t * m));
    });
    for (int c = 1; c < copies; c++)
      for (int64_t i = 0; i < m; i++) acc[i] = merge<op>(acc[i], acc[c * m + i]);
  }

  // Write back through out's strides (out has x's rank, size 1 along reduced axes).
  int64_t contiguous[kMaxDims];
  int64_t s = 1;
  for (int d = out.ndim - 1; d >= 0; d--) {
    contiguous[d] = s;
    s *= out.shape[d];
  }
  const int64_t* ostrides[2] = {contiguous, out.strides};
  Walk wo(out.shape, out.ndim, ostrides, 2);
  T* os = static_cast<T*>(out.data);
  const int64_t obase[2] = {0, out.offset};
  wo.rowsInRange(obase, 0, wo.rows(), [&](const int64_t* off, int64_t n, const int64_t* in) {
    for (int64_t i = 0; i < n; i++) os[off[1] + i * in[1]] = fromAccumulator(acc[off[0] + i * in[0]], os);
  });
  return true;
}

/** The reductions with an int32 kernel (the op vocabulary's int32 attribute, ops.h). */
bool hasInt32Kernel(ReduceOp op) {
  switch (op) {
#define NABLA_CASE(name) case ReduceOp::name:
    NABLA_INT32_REDUCE_OPS(NABLA_CASE) return true;
#undef NABLA_CASE
    default: return false;
  }
}

}  // namespace

napi_value Reduce(napi_env env, napi_callback_info info) {
  Args args(env, info, "reduce");
  const int64_t op = args.integer("op", 0, static_cast<int64_t>(ReduceOp::count) - 1);
  const int64_t naxes = args.integer("axis count", 0, kMaxDims);
  bool reduced[kMaxDims] = {};
  int64_t axes[kMaxDims] = {};
  for (int64_t i = 0; i < naxes; i++) axes[i] = args.integer("axis", 0, kMaxDims - 1);
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish();
  if (!args.ok()) return nullptr;
  const bool int32 = x.dtype == kInt32 && out.dtype == kInt32;
  if (!(x.dtype == kFloat32 && out.dtype == kFloat32) && !(int32 && hasInt32Kernel(static_cast<ReduceOp>(op))))
    return args.fail("x and out must be float32, or int32 for sum, max and min"), nullptr;
  for (int64_t i = 0; i < naxes; i++) {
    if (axes[i] >= x.ndim) return args.fail("axis " + std::to_string(axes[i]) + " is out of range for x of rank " + std::to_string(x.ndim)), nullptr;
    reduced[axes[i]] = true;
  }
  if (out.ndim != x.ndim) return args.fail("out must have x's rank (keepdim layout): x " + x.shapeText() + ", out " + out.shapeText()), nullptr;
  for (int d = 0; d < x.ndim; d++) {
    if (out.shape[d] != (reduced[d] ? 1 : x.shape[d]))
      return args.fail("out shape " + out.shapeText() + " does not match x " + x.shapeText() + " reduced over the given axes"), nullptr;
  }
  if (x.numel == 0 && out.numel > 0 && (op == static_cast<int64_t>(ReduceOp::max) || op == static_cast<int64_t>(ReduceOp::min)))
    return args.fail("cannot reduce over a zero-size dimension (the result has no identity)"), nullptr;
  int64_t accStrides[kMaxDims];
  int64_t s = 1;
  for (int d = x.ndim - 1; d >= 0; d--) {
    accStrides[d] = reduced[d] ? 0 : s;
    if (!reduced[d]) s *= x.shape[d];
  }
  const int64_t m = out.numel;
  bool ok = true;
  switch (static_cast<ReduceOp>(op)) {
    case ReduceOp::sum: ok = int32 ? reduceTyped<ReduceOp::sum, int32_t>(x, accStrides, out, m) : reduceTyped<ReduceOp::sum, float>(x, accStrides, out, m); break;
    case ReduceOp::prod: ok = reduceTyped<ReduceOp::prod, float>(x, accStrides, out, m); break;
    case ReduceOp::max: ok = int32 ? reduceTyped<ReduceOp::max, int32_t>(x, accStrides, out, m) : reduceTyped<ReduceOp::max, float>(x, accStrides, out, m); break;
    case ReduceOp::min: ok = int32 ? reduceTyped<ReduceOp::min, int32_t>(x, accStrides, out, m) : reduceTyped<ReduceOp::min, float>(x, accStrides, out, m); break;
    case ReduceOp::count: break;
  }
  if (!ok) args.fail("out of memory for the accumulator");
  return nullptr;
}

}  // namespace nabla
