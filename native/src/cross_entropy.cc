// Fused softmax cross-entropy on class indices: logits [N, C], int32 targets [N]. Forward writes
// each row's log-sum-exp (kept for backward) and the loss (per sample, or summed / averaged over
// the samples whose target is not ignoreIndex); backward writes
//   dlogits[n, c] = s_n · (softmax(x_n)[c] − [c = t_n]),   s_n = the loss gradient reaching sample n
// in one pass, where the composite (log-softmax, gather, mean and their backwards) takes six ops.
// Exponentials and sums are in double, as in the softmax kernel, so the two agree to rounding.

#include <cmath>
#include <string>

#include "checks.h"
#include "kernels.h"
#include "threadpool.h"

namespace nabla {

namespace {

enum Reduction : int { kNone = 0, kSum = 1, kMean = 2 };

struct Problem {
  View logits, target, lse;
  int64_t rows = 0, classes = 0;
  int64_t ignoreIndex = -100;
  Reduction reduction = kMean;
};

/** Decodes the part of the call both directions share and checks shapes and every target. */
bool readProblem(Args& args, Problem& pb) {
  pb.ignoreIndex = args.integer("ignoreIndex", -(int64_t(1) << 53), int64_t(1) << 53);
  pb.reduction = static_cast<Reduction>(args.integer("reduction", kNone, kMean));
  if (!(args.view(pb.logits, "logits") && args.view(pb.target, "target") && args.view(pb.lse, "logSumExp"))) return false;
  const View& x = pb.logits;
  if (x.dtype != kFloat32 || x.ndim != 2 || !x.dense()) {
    return args.fail("logits must be a contiguous float32 [N, C] matrix, got " + x.shapeText());
  }
  pb.rows = x.shape[0];
  pb.classes = x.shape[1];
  if (pb.target.dtype != kInt32 || pb.target.ndim != 1 || pb.target.shape[0] != pb.rows) {
    return args.fail("target must be int32 of shape [" + std::to_string(pb.rows) + "], got " + pb.target.shapeText());
  }
  if (pb.lse.dtype != kFloat32 || pb.lse.ndim != 1 || pb.lse.shape[0] != pb.rows || !pb.lse.dense()) {
    return args.fail("logSumExp must be contiguous float32 of shape [" + std::to_string(pb.rows) + "], got " + pb.lse.shapeText());
  }
  const int32_t* t = static_cast<const int32_t*>(pb.target.data);
  for (int64_t n = 0; n < pb.rows; n++) {
    const int64_t c = t[pb.target.offset + n * pb.target.strides[0]];
    if (c != pb.ignoreIndex && (c < 0 || c >= pb.classes)) {
      return args.fail("target " + std::to_string(c) + " at position " + std::to_string(n) + " is out of range for " +
                       std::to_string(pb.classes) + " classes");
    }
  }
  return true;
}

inline int64_t targetAt(const Problem& pb, int64_t n) {
  return static_cast<const int32_t*>(pb.target.data)[pb.target.offset + n * pb.target.strides[0]];
}

int64_t keptCount(const Problem& pb) {
  int64_t kept = 0;
  for (int64_t n = 0; n < pb.rows; n++) kept += targetAt(pb, n) != pb.ignoreIndex;
  return kept;
}

/** Rows per task: a row costs ~C exponentials. */
int64_t rowGrain(int64_t classes) {
  const int64_t g = (int64_t(1) << 13) / (classes > 0 ? classes : 1);
  return g > 0 ? g : 1;
}

}  // namespace

napi_value CrossEntropy(napi_env env, napi_callback_info info) {
  Args args(env, info, "crossEntropy");
  Problem pb;
  View out;
  readProblem(args, pb) && args.view(out, "out") && args.finish();
  if (!args.ok()) return nullptr;
  const bool perSample = pb.reduction == kNone;
  if (out.dtype != kFloat32 || (perSample ? (out.ndim != 1 || out.shape[0] != pb.rows) : out.numel != 1)) {
    args.fail(std::string("out must be float32 ") + (perSample ? "of shape [" + std::to_string(pb.rows) + "]" : "with one element") +
              ", got " + out.shapeText());
    return nullptr;
  }
  if (pb.classes == 0 && pb.rows > 0) {
    args.fail("logits need at least one class");
    return nullptr;
  }

  const float* x = pb.logits.at<float>();
  float* lse = pb.lse.at<float>();
  const int64_t C = pb.classes;
  double total = 0;
  parallelRanges(pb.rows, rowGrain(C), [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; n++) {
      const float* row = x + n * C;
      double m = -INFINITY;
      for (int64_t c = 0; c < C; c++) {
        const double v = row[c];
        if (v > m || v != v) m = v;
      }
      double sum = 0;
      for (int64_t c = 0; c < C; c++) sum += std::exp(static_cast<double>(row[c]) - m);
      lse[n] = static_cast<float>(m + std::log(sum));
    }
  });
  // The loss itself needs one subtraction per row: done serially so the reduced sum is in order.
  float* o = out.at<float>();
  const int64_t so = perSample ? out.strides[0] : 0;
  for (int64_t n = 0; n < pb.rows; n++) {
    const int64_t t = targetAt(pb, n);
    const double loss = t == pb.ignoreIndex ? 0.0 : static_cast<double>(lse[n]) - x[n * C + t];
    if (perSample) o[n * so] = static_cast<float>(loss);
    else total += loss;
  }
  if (!perSample) {
    const double kept = static_cast<double>(keptCount(pb));
    o[0] = static_cast<float>(pb.reduction == kSum ? total : total / kept);  // 0/0 = NaN for an all-ignored batch, as torch
  }
  return nullptr;
}

napi_value CrossEntropyBackward(napi_env env, napi_callback_info info) {
  Args args(env, info, "crossEntropyBackward");
  Problem pb;
  View gy, gx;
  readProblem(args, pb) && args.view(gy, "gy") && args.view(gx, "gx") && args.finish();
  if (!args.ok()) return nullptr;
  const bool perSample = pb.reduction == kNone;
  if (gy.dtype != kFloat32 || (perSample ? (gy.ndim != 1 || gy.shape[0] != pb.rows) : gy.numel != 1)) {
    args.fail(std::string("gy must be float32 ") + (perSample ? "of shape [" + std::to_string(pb.rows) + "]" : "with one element") +
              ", got " + gy.shapeText());
    return nullptr;
  }
  if (gx.dtype != kFloat32 || !gx.dense() || !sameShape(gx, pb.logits)) {
    args.fail("gx must be contiguous float32 of the logits' shape " + pb.logits.shapeText() + ", got " + gx.shapeText());
    return nullptr;
  }

  const float* x = pb.logits.at<float>();
  const float* lse = pb.lse.at<float>();
  const float* g = gy.at<float>();
  float* dx = gx.at<float>();
  const int64_t C = pb.classes, sg = perSample ? gy.strides[0] : 0;
  // Reduced losses share one upstream gradient; per-sample ones read theirs (gy may be empty then).
  double shared = 0;
  if (!perSample) shared = pb.reduction == kMean ? static_cast<double>(g[0]) / static_cast<double>(keptCount(pb)) : g[0];
  parallelRanges(pb.rows, rowGrain(C), [&](int64_t begin, int64_t end, int) {
    for (int64_t n = begin; n < end; n++) {
      const int64_t t = targetAt(pb, n);
      float* drow = dx + n * C;
      if (t == pb.ignoreIndex) {
        for (int64_t c = 0; c < C; c++) drow[c] = 0.0f;
        continue;
      }
      const double s = perSample ? static_cast<double>(g[n * sg]) : shared;
      const float* row = x + n * C;
      const double shift = lse[n];
      for (int64_t c = 0; c < C; c++) {
        const double p = std::exp(static_cast<double>(row[c]) - shift);
        drow[c] = static_cast<float>(s * (c == t ? p - 1.0 : p));
      }
    }
  });
  return nullptr;
}

}  // namespace nabla
