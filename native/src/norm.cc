// float32 normalisation kernels: per-row moments (layer/group norm), per-channel moments of
// [N, C, ...] data, batch norm's affine apply and its training-mode backward. As in the cpu
// backend, statistics accumulate in double with two passes (mean, then squared deviations).
// Data tensors must be contiguous (the TypeScript side sends other layouts to the cpu kernels);
// the small per-channel vectors may have any strides. Channels or planes go over the thread pool.

#include <cmath>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "scratch.h"
#include "threadpool.h"
#include "walk.h"

namespace nabla {

namespace {

/** Elements of a view in row-major order, as doubles. */
void readVector(const View& v, double* out) {
  const int64_t* strides[1] = {v.strides};
  Walk w(v.shape, v.ndim, strides, 1);
  const float* d = static_cast<const float*>(v.data);
  const int64_t base[1] = {v.offset};
  int64_t k = 0;
  w.rowsInRange(base, 0, w.rows(), [&](const int64_t* off, int64_t n, const int64_t* in) {
    for (int64_t i = 0; i < n; i++) out[k++] = d[off[0] + i * in[0]];
  });
}

/** Write row-major values through a view's strides. */
void writeVector(const View& v, const double* values) {
  const int64_t* strides[1] = {v.strides};
  Walk w(v.shape, v.ndim, strides, 1);
  float* d = static_cast<float*>(v.data);
  const int64_t base[1] = {v.offset};
  int64_t k = 0;
  w.rowsInRange(base, 0, w.rows(), [&](const int64_t* off, int64_t n, const int64_t* in) {
    for (int64_t i = 0; i < n; i++) d[off[0] + i * in[0]] = static_cast<float>(values[k++]);
  });
}

bool checkVector(Args& args, const View& v, const char* name, int64_t count) {
  if (v.dtype != kFloat32) return args.fail(std::string(name) + " must be float32");
  if (v.numel != count) return args.fail(std::string(name) + " must hold " + std::to_string(count) + " values, got shape " + v.shapeText());
  return true;
}

/** A contiguous float32 [N, C, ...] view: its N, C and S (product of the rest). */
bool checkData(Args& args, const View& v, const char* name, int64_t& n, int64_t& c, int64_t& s) {
  if (v.dtype != kFloat32) return args.fail(std::string(name) + " must be float32");
  if (v.ndim < 2) return args.fail(std::string(name) + " must have shape [N, C, ...], got " + v.shapeText());
  if (!v.dense()) return args.fail(std::string(name) + " must be contiguous");
  n = v.shape[0];
  c = v.shape[1];
  s = 1;
  for (int d = 2; d < v.ndim; d++) s *= v.shape[d];
  return true;
}

inline double sumLine(const float* x, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3];
  }
  for (; i < n; i++) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

inline double squaredDeviations(const float* x, int64_t n, double m) {
  double s0 = 0, s1 = 0;
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const double a = x[i] - m, b = x[i + 1] - m;
    s0 += a * a;
    s1 += b * b;
  }
  for (; i < n; i++) {
    const double a = x[i] - m;
    s0 += a * a;
  }
  return s0 + s1;
}

/** Optional view: a flag in meta, then the view when the flag is 1. */
bool optionalView(Args& args, View& v, const char* name) {
  if (args.integer((std::string(name) + " present").c_str(), 0, 1) == 0) return false;
  args.view(v, name);
  return true;
}

}  // namespace

napi_value Moments(napi_env env, napi_callback_info info) {
  Args args(env, info, "moments");
  const int64_t rows = args.integer("rows", 0, int64_t(1) << 50);
  const int64_t cols = args.integer("cols", 0, int64_t(1) << 50);
  const double eps = args.number("eps");
  View x, mean, rstd;
  args.view(x, "x") && args.view(mean, "mean") && args.view(rstd, "rstd") && args.finish();
  if (!args.ok() || !checkVector(args, mean, "mean", rows) || !checkVector(args, rstd, "rstd", rows)) return nullptr;
  if (x.dtype != kFloat32) return args.fail("x must be float32"), nullptr;
  if (x.numel != rows * cols) return args.fail("x has " + std::to_string(x.numel) + " elements, expected rows·cols = " + std::to_string(rows) + "·" + std::to_string(cols)), nullptr;
  if (!x.dense()) return args.fail("x must be contiguous"), nullptr;
  if (rows == 0) return nullptr;
  double* m = threadScratch(kStaging).get<double>(2 * rows);
  if (!m) return args.fail("out of memory"), nullptr;
  double* r = m + rows;
  const float* X = x.at<float>();
  parallelRanges(rows, std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(1, cols)), [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) {
      const float* row = X + i * cols;
      const double mu = sumLine(row, cols) / static_cast<double>(cols);
      m[i] = mu;
      r[i] = 1.0 / std::sqrt(squaredDeviations(row, cols, mu) / static_cast<double>(cols) + eps);
    }
  });
  writeVector(mean, m);
  writeVector(rstd, r);
  return nullptr;
}

napi_value ChannelMoments(napi_env env, napi_callback_info info) {
  Args args(env, info, "channelMoments");
  View x, mean, variance;
  args.view(x, "x") && args.view(mean, "mean") && args.view(variance, "variance") && args.finish();
  int64_t N, C, S;
  if (!args.ok() || !checkData(args, x, "x", N, C, S) || !checkVector(args, mean, "mean", C) || !checkVector(args, variance, "variance", C))
    return nullptr;
  if (C == 0) return nullptr;
  double* mu = threadScratch(kStaging).get<double>(2 * C);
  if (!mu) return args.fail("out of memory"), nullptr;
  double* var = mu + C;
  const float* X = x.at<float>();
  const double count = static_cast<double>(N * S);
  parallelRanges(C, std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, N * S)), [&](int64_t b, int64_t e, int) {
    for (int64_t c = b; c < e; c++) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) s += sumLine(X + (n * C + c) * S, S);
      const double m = s / count;
      double q = 0;
      for (int64_t n = 0; n < N; n++) q += squaredDeviations(X + (n * C + c) * S, S, m);
      mu[c] = m;
      var[c] = q / count;
    }
  });
  writeVector(mean, mu);
  writeVector(variance, var);
  return nullptr;
}

napi_value BatchNormApply(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormApply");
  View x, mean, rstd, weight, bias, out;
  args.view(x, "x") && args.view(mean, "mean") && args.view(rstd, "rstd");
  const bool hasW = optionalView(args, weight, "weight");
  const bool hasB = optionalView(args, bias, "bias");
  args.view(out, "out");
  if (!args.finish()) return nullptr;
  int64_t N, C, S, n2, c2, s2;
  if (!checkData(args, x, "x", N, C, S) || !checkData(args, out, "out", n2, c2, s2)) return nullptr;
  if (!sameShape(x, out)) return args.fail("out has shape " + out.shapeText() + ", expected x's " + x.shapeText()), nullptr;
  if (!checkVector(args, mean, "mean", C) || !checkVector(args, rstd, "rstd", C) || (hasW && !checkVector(args, weight, "weight", C)) ||
      (hasB && !checkVector(args, bias, "bias", C)))
    return nullptr;
  if (x.numel == 0) return nullptr;
  double* v = threadScratch(kStaging).get<double>(6 * C);
  if (!v) return args.fail("out of memory"), nullptr;
  double *mu = v, *r = v + C, *w = v + 2 * C, *b = v + 3 * C, *scale = v + 4 * C, *shift = v + 5 * C;
  readVector(mean, mu);
  readVector(rstd, r);
  if (hasW) readVector(weight, w);
  if (hasB) readVector(bias, b);
  // y = x·scale + shift, scale = rstd·w and shift = b − mean·scale folded per channel.
  for (int64_t c = 0; c < C; c++) {
    scale[c] = r[c] * (hasW ? w[c] : 1.0);
    shift[c] = (hasB ? b[c] : 0.0) - mu[c] * scale[c];
  }
  const float* X = x.at<float>();
  float* O = out.at<float>();
  parallelRanges(N * C, std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, S)), [&](int64_t pb, int64_t pe, int) {
    for (int64_t p = pb; p < pe; p++) {
      const int64_t c = p % C;
      const double a = scale[c], k = shift[c];
      const float* xs = X + p * S;
      float* os = O + p * S;
      for (int64_t i = 0; i < S; i++) os[i] = static_cast<float>(xs[i] * a + k);
    }
  });
  return nullptr;
}

napi_value BatchNormBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "batchNormBackward");
  View gy, x, mean, rstd, weight, gx, gWeight, gBias;
  args.view(gy, "gy") && args.view(x, "x") && args.view(mean, "mean") && args.view(rstd, "rstd");
  const bool hasW = optionalView(args, weight, "weight");
  args.view(gx, "gx");
  const bool hasGW = optionalView(args, gWeight, "gWeight");
  const bool hasGB = optionalView(args, gBias, "gBias");
  if (!args.finish()) return nullptr;
  int64_t N, C, S, n2, c2, s2, n3, c3, s3;
  if (!checkData(args, x, "x", N, C, S) || !checkData(args, gy, "gy", n2, c2, s2) || !checkData(args, gx, "gx", n3, c3, s3)) return nullptr;
  if (!sameShape(x, gy) || !sameShape(x, gx)) return args.fail("gy " + gy.shapeText() + " and gx " + gx.shapeText() + " must have x's shape " + x.shapeText()), nullptr;
  if (!checkVector(args, mean, "mean", C) || !checkVector(args, rstd, "rstd", C) || (hasW && !checkVector(args, weight, "weight", C)) ||
      (hasGW && !checkVector(args, gWeight, "gWeight", C)) || (hasGB && !checkVector(args, gBias, "gBias", C)))
    return nullptr;
  double* v = threadScratch(kStaging).get<double>(5 * C + 1);
  if (!v) return args.fail("out of memory"), nullptr;
  double *mu = v, *r = v + C, *w = v + 2 * C, *sumG = v + 3 * C, *sumGX = v + 4 * C;
  readVector(mean, mu);
  readVector(rstd, r);
  if (hasW) readVector(weight, w);
  const float* G = gy.at<float>();
  const float* X = x.at<float>();
  float* D = gx.at<float>();
  const int64_t M = N * S;
  parallelRanges(C, std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, M)), [&](int64_t cb, int64_t ce, int) {
    for (int64_t c = cb; c < ce; c++) {
      const double m = mu[c];
      double a = 0, b = 0;
      for (int64_t n = 0; n < N; n++) {
        const float* g = G + (n * C + c) * S;
        const float* xs = X + (n * C + c) * S;
        for (int64_t i = 0; i < S; i++) {
          const double gv = g[i];
          a += gv;
          b += gv * (xs[i] - m);
        }
      }
      sumG[c] = a;
      sumGX[c] = b * r[c];  // Σ gy·x̂ = rstd·Σ gy·(x − mean)
    }
  });
  if (M > 0) {
    parallelRanges(N * C, std::max<int64_t>(1, (int64_t(1) << 15) / std::max<int64_t>(1, S)), [&](int64_t pb, int64_t pe, int) {
      for (int64_t p = pb; p < pe; p++) {
        const int64_t c = p % C;
        const double k = (hasW ? w[c] : 1.0) * r[c];
        const double meanG = sumG[c] / static_cast<double>(M), slope = sumGX[c] / static_cast<double>(M) * r[c], m = mu[c];
        const float* g = G + p * S;
        const float* xs = X + p * S;
        float* d = D + p * S;
        for (int64_t i = 0; i < S; i++) d[i] = static_cast<float>(k * (g[i] - meanG - (xs[i] - m) * slope));
      }
    });
  }
  if (hasGW) writeVector(gWeight, sumGX);
  if (hasGB) writeVector(gBias, sumG);
  return nullptr;
}

}  // namespace nabla
