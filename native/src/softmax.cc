// float32 softmax and log-softmax along one axis, and their backward, on any strides. Each line
// along the axis is done in three passes (max, sum of exponentials, write), exponentials in double
// and sums in double as in the cpu backend, so results agree with it to float32 rounding. Lines
// are spread over the thread pool.
//   softmax backward:     dx = y·(dy − Σ dy·y)
//   log-softmax backward: dx = dy − exp(y)·Σ dy

#include <cmath>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "walk.h"

namespace nabla {

namespace {

void softmaxLine(const float* x, int64_t sx, float* o, int64_t so, int64_t len, bool log) {
  double m = -INFINITY;
  for (int64_t i = 0; i < len; i++) {
    const double v = x[i * sx];
    if (v > m || v != v) m = v;
    if (m != m) break;
  }
  double sum = 0;
  if (log) {
    for (int64_t i = 0; i < len; i++) sum += std::exp(static_cast<double>(x[i * sx]) - m);
    const double shift = m + std::log(sum);
    for (int64_t i = 0; i < len; i++) o[i * so] = static_cast<float>(static_cast<double>(x[i * sx]) - shift);
  } else {
    // The exponentials go through out (rounded to float32) between the passes.
    for (int64_t i = 0; i < len; i++) {
      const double e = std::exp(static_cast<double>(x[i * sx]) - m);
      sum += e;
      o[i * so] = static_cast<float>(e);
    }
    const double inv = 1.0 / sum;
    for (int64_t i = 0; i < len; i++) o[i * so] = static_cast<float>(o[i * so] * inv);
  }
}

void backwardLine(const float* y, int64_t sy, const float* g, int64_t sg, float* dx, int64_t sd, int64_t len, bool log) {
  double dot = 0;
  if (log) {
    for (int64_t i = 0; i < len; i++) dot += g[i * sg];
    for (int64_t i = 0; i < len; i++)
      dx[i * sd] = static_cast<float>(static_cast<double>(g[i * sg]) - std::exp(static_cast<double>(y[i * sy])) * dot);
  } else {
    for (int64_t i = 0; i < len; i++) dot += static_cast<double>(g[i * sg]) * y[i * sy];
    for (int64_t i = 0; i < len; i++)
      dx[i * sd] = static_cast<float>(static_cast<double>(y[i * sy]) * (static_cast<double>(g[i * sg]) - dot));
  }
}

/** The shape with `axis` set to 1: one walk position per line. */
void lineShape(const View& v, int64_t axis, int64_t* shape) {
  for (int d = 0; d < v.ndim; d++) shape[d] = d == axis ? 1 : v.shape[d];
}

bool checkOperands(Args& args, const View* views[], const char* names[], int n, int64_t axis) {
  for (int i = 0; i < n; i++) {
    if (views[i]->dtype != kFloat32) return args.fail(std::string(names[i]) + " must be float32");
    if (!sameShape(*views[i], *views[0]))
      return args.fail(std::string(names[i]) + " has shape " + views[i]->shapeText() + ", expected " + views[0]->shapeText());
  }
  const int nd = views[0]->ndim;
  if (nd == 0 ? axis != 0 : axis >= nd) return args.fail("axis " + std::to_string(axis) + " is out of range for shape " + views[0]->shapeText());
  return true;
}

}  // namespace

napi_value Softmax(napi_env env, napi_callback_info info) {
  Args args(env, info, "softmax");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  const bool log = args.integer("log", 0, 1) == 1;
  View x, out;
  args.view(x, "x") && args.view(out, "out") && args.finish();
  const View* views[2] = {&x, &out};
  const char* names[2] = {"x", "out"};
  if (!args.ok() || !checkOperands(args, views, names, 2, axis)) return nullptr;
  if (x.numel == 0) return nullptr;
  if (x.ndim == 0) {
    softmaxLine(x.at<float>(), 0, out.at<float>(), 0, 1, log);
    return nullptr;
  }
  const int64_t len = x.shape[axis], sx = x.strides[axis], so = out.strides[axis];
  int64_t shape[kMaxDims];
  lineShape(x, axis, shape);
  const int64_t* strides[2] = {x.strides, out.strides};
  Walk w(shape, x.ndim, strides, 2);
  const float* xs = static_cast<const float*>(x.data);
  float* os = static_cast<float*>(out.data);
  const int64_t base[2] = {x.offset, out.offset};
  // Lines are the walk's elements; parallel when the whole tensor is large.
  const int64_t parallelAt = len > 0 ? std::max<int64_t>(1, (int64_t(1) << 13) / len) : 1;
  w.forEachRow(base, parallelAt, [&](const int64_t* off, int64_t n, const int64_t* in) {
    for (int64_t r = 0; r < n; r++) softmaxLine(xs + off[0] + r * in[0], sx, os + off[1] + r * in[1], so, len, log);
  });
  return nullptr;
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "softmaxBackward");
  const int64_t axis = args.integer("axis", 0, kMaxDims - 1);
  const bool log = args.integer("log", 0, 1) == 1;
  View y, gy, gx;
  args.view(y, "y") && args.view(gy, "gy") && args.view(gx, "gx") && args.finish();
  const View* views[3] = {&y, &gy, &gx};
  const char* names[3] = {"y", "gy", "gx"};
  if (!args.ok() || !checkOperands(args, views, names, 3, axis)) return nullptr;
  if (y.numel == 0) return nullptr;
  if (y.ndim == 0) {
    backwardLine(y.at<float>(), 0, gy.at<float>(), 0, gx.at<float>(), 0, 1, log);
    return nullptr;
  }
  const int64_t len = y.shape[axis], sy = y.strides[axis], sg = gy.strides[axis], sd = gx.strides[axis];
  int64_t shape[kMaxDims];
  lineShape(y, axis, shape);
  const int64_t* strides[3] = {y.strides, gy.strides, gx.strides};
  Walk w(shape, y.ndim, strides, 3);
  const float* ys = static_cast<const float*>(y.data);
  const float* gs = static_cast<const float*>(gy.data);
  float* ds = static_cast<float*>(gx.data);
  const int64_t base[3] = {y.offset, gy.offset, gx.offset};
  const int64_t parallelAt = len > 0 ? std::max<int64_t>(1, (int64_t(1) << 13) / len) : 1;
  w.forEachRow(base, parallelAt, [&](const int64_t* off, int64_t n, const int64_t* in) {
    for (int64_t r = 0; r < n; r++)
      backwardLine(ys + off[0] + r * in[0], sy, gs + off[1] + r * in[1], sg, ds + off[2] + r * in[2], sd, len, log);
  });
  return nullptr;
}

}  // namespace nabla
