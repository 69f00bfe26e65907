// Batched float32 matrix multiply: out[..., M, N] = a[..., M, K] · b[..., K, N], batch dims already
// broadcast (stride 0 where an operand repeats). Any strides: the GEMM's packing absorbs them.

#include <atomic>
#include <string>

#include "checks.h"
#include "gemm.h"
#include "kernels.h"
#include "threadpool.h"
#include "walk.h"

namespace nabla {

namespace {
/** Below this many multiply-adds per product, a batch is split over threads by products. */
constexpr double kSmallProduct = 128.0 * 128.0 * 128.0;
}  // namespace

napi_value Matmul(napi_env env, napi_callback_info info) {
  Args args(env, info, "matmul");
  View a, b, out;
  args.view(a, "a") && args.view(b, "b") && args.view(out, "out") && args.finish();
  if (!args.ok()) return nullptr;
  if (a.dtype != kFloat32 || b.dtype != kFloat32 || out.dtype != kFloat32) return args.fail("a, b and out must be float32"), nullptr;
  const int r = out.ndim;
  if (r < 2 || a.ndim != r || b.ndim != r)
    return args.fail("a " + a.shapeText() + ", b " + b.shapeText() + " and out " + out.shapeText() + " must share a rank of at least 2"), nullptr;
  const int64_t M = out.shape[r - 2], N = out.shape[r - 1], K = a.shape[r - 1];
  if (a.shape[r - 2] != M || b.shape[r - 2] != K || b.shape[r - 1] != N)
    return args.fail("shapes a " + a.shapeText() + " · b " + b.shapeText() + " do not give out " + out.shapeText()), nullptr;
  for (int d = 0; d < r - 2; d++) {
    if (a.shape[d] != out.shape[d] || b.shape[d] != out.shape[d])
      return args.fail("batch dims of a " + a.shapeText() + " and b " + b.shapeText() + " must be broadcast to out " + out.shapeText()), nullptr;
  }
  if (out.numel == 0) return nullptr;

  const float* A = static_cast<const float*>(a.data);
  const float* B = static_cast<const float*>(b.data);
  float* O = static_cast<float*>(out.data);
  const int64_t ars = a.strides[r - 2], acs = a.strides[r - 1], brs = b.strides[r - 2], bcs = b.strides[r - 1];
  const int64_t ors = out.strides[r - 2], ocs = out.strides[r - 1];
  const int64_t* batchStrides[3] = {a.strides, b.strides, out.strides};
  Walk batch(out.shape, r - 2, batchStrides, 3);

  // A shared right operand whose left rows stack evenly across the batch (x[..., M, K] · W[K, N]
  // with a contiguous x and out) is one tall product: W is packed once.
  if (batch.nd == 1 && batch.strides[1][0] == 0 && batch.strides[0][0] == M * ars && batch.strides[2][0] == M * ors) {
    if (!sgemm(batch.shape[0] * M, N, K, 1.0f, {A + a.offset, ars, acs}, {B + b.offset, brs, bcs}, 0.0f, {O + out.offset, ors, ocs}, true))
      args.fail("out of memory for GEMM scratch");
    return nullptr;
  }

  const int64_t count = batch.total;
  std::atomic<bool> oom{false};
  const int64_t base[3] = {a.offset, b.offset, out.offset};
  if (count > 1 && numThreads() > 1 && static_cast<double>(M) * N * K < kSmallProduct) {
    // Many small products: one per task, each on one thread.
    parallelRanges(count, 1, [&](int64_t b0, int64_t b1, int) {
      for (int64_t i = b0; i < b1; i++) {
        int64_t off[3] = {base[0], base[1], base[2]};
        int64_t rest = i;
        for (int d = batch.nd - 1; d >= 0; d--) {
          const int64_t idx = rest % batch.shape[d];
          rest /= batch.shape[d];
          for (int k = 0; k < 3; k++) off[k] += idx * batch.strides[k][d];
        }
        if (!sgemm(M, N, K, 1.0f, {A + off[0], ars, acs}, {B + off[1], brs, bcs}, 0.0f, {O + off[2], ors, ocs}, false)) oom = true;
      }
    });
  } else {
    for (int64_t i = 0; i < count; i++) {
      int64_t off[3] = {base[0], base[1], base[2]};
      int64_t rest = i;
      for (int d = batch.nd - 1; d >= 0; d--) {
        const int64_t idx = rest % batch.shape[d];
        rest /= batch.shape[d];
        for (int k = 0; k < 3; k++) off[k] += idx * batch.strides[k][d];
      }
      if (!sgemm(M, N, K, 1.0f, {A + off[0], ars, acs}, {B + off[1], brs, bcs}, 0.0f, {O + off[2], ors, ocs}, true)) oom = true;
    }
  }
  if (oom) args.fail("out of memory for GEMM scratch");
  return nullptr;
}

}  // namespace nabla
