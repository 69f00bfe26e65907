// matmul through cuBLAS: out[..., M, N] = a[..., M, K] · b[..., K, N] with the batch dims already
// broadcast (zero strides where an operand repeats), float32 (cublasSgemmStridedBatched) and
// float64 (Dgemm), following the plan of gemm_plan.h (transposes and leading dimensions from the
// strides, batches, the folded x·W form). Operands whose strides fit neither row- nor
// column-major are copied to contiguous scratch first; a strided out is written via scratch.
//
// Built only when the build finds cublas_v2.h (NABLA_CUDA_HAVE_CUBLAS); otherwise matmul throws
// and the TypeScript side runs the cpu backend's kernel on a host copy.

#include <climits>
#include <string>

#include "allocator.h"
#include "context.h"
#include "entries.h"
#include "gemm_plan.h"
#include "launch.h"
#include "strided.h"

#if defined(NABLA_CUDA_HAVE_CUBLAS)
#include <cublas_v2.h>
#endif

namespace nabla_cuda {

#if defined(NABLA_CUDA_HAVE_CUBLAS)

namespace {

cublasHandle_t gHandle = nullptr;

void checkCublas(cublasStatus_t s, const char* call) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw Error(ErrorKind::kCuda, std::string(call) + " failed: " + cublasGetStatusString(s) + " (" + cublasGetStatusName(s) + ")");
  }
}

cublasHandle_t handle() {
  if (!gHandle) {
    cudaStream_t s = stream();
    checkCublas(cublasCreate(&gHandle), "cublasCreate");
    checkCublas(cublasSetStream(gHandle, s), "cublasSetStream");
    applyTf32ToCublas();
  }
  return gHandle;
}

/** A dense copy of v in scratch (for operands cuBLAS cannot read in place). */
DView densify(const DView& v, Scratch& scratch) {
  DView d = v;
  d.base = scratch.as<char>();
  d.offset = 0;
  d.buffer = nullptr;
  d.length = v.numel;
  contiguousStrides(v.shape, v.ndim, d.strides);
  launchCopy(v, d);
  return d;
}

template <typename T>
void run(const GemmCall& c, const T* a, const T* b, T* out) {
  const T one = 1, zero = 0;
  for (int64_t v : {c.m, c.n, c.k, c.lda, c.ldb, c.ldc, c.batch}) {
    if (v > INT_MAX) throw Error(ErrorKind::kArgument, "matmul: cuda backend: sizes above 2^31 - 1 are not supported by the 32-bit cuBLAS entry points");
  }
  const cublasOperation_t ta = c.transFirst ? CUBLAS_OP_T : CUBLAS_OP_N, tb = c.transSecond ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = static_cast<int>(c.m), n = static_cast<int>(c.n), k = static_cast<int>(c.k);
  if constexpr (sizeof(T) == 4) {
    checkCublas(cublasSgemmStridedBatched(handle(), ta, tb, m, n, k, &one, b + c.offB, static_cast<int>(c.ldb), c.strideB, a + c.offA, static_cast<int>(c.lda),
                                          c.strideA, &zero, out + c.offC, static_cast<int>(c.ldc), c.strideC, static_cast<int>(c.batch)),
                "cublasSgemmStridedBatched");
  } else {
    checkCublas(cublasDgemmStridedBatched(handle(), ta, tb, m, n, k, &one, b + c.offB, static_cast<int>(c.ldb), c.strideB, a + c.offA, static_cast<int>(c.lda),
                                          c.strideA, &zero, out + c.offC, static_cast<int>(c.ldc), c.strideC, static_cast<int>(c.batch)),
                "cublasDgemmStridedBatched");
  }
}

template <typename T>
void matmulTyped(DView A, DView B, const DView& out) {
  const int r = out.ndim;
  const int64_t M = out.shape[r - 2], N = out.shape[r - 1], K = A.shape[r - 1];
  if (out.numel == 0) return;
  if (K == 0) {
    launchFill(out, 0);
    return;
  }
  // The result goes to scratch when out is not dense, then is copied into place.
  Scratch outScratch(out.dense() ? 0 : out.numel * sizeof(T));
  DView O = out;
  if (!out.dense()) {
    O.base = outScratch.as<char>();
    O.offset = 0;
    O.buffer = nullptr;
    contiguousStrides(out.shape, out.ndim, O.strides);
  }
  GemmOperand la = gemmOperand(M, K, A.strides[r - 2], A.strides[r - 1]);
  GemmOperand lb = gemmOperand(K, N, B.strides[r - 2], B.strides[r - 1]);
  Scratch aScratch(la.ok ? 0 : A.numel * sizeof(T)), bScratch(lb.ok ? 0 : B.numel * sizeof(T));
  if (!la.ok) {
    A = densify(A, aScratch);
    la = gemmOperand(M, K, A.strides[r - 2], A.strides[r - 1]);
  }
  if (!lb.ok) {
    B = densify(B, bScratch);
    lb = gemmOperand(K, N, B.strides[r - 2], B.strides[r - 1]);
  }
  for (const GemmCall& c : planGemm(A, la, B, lb, O)) run<T>(c, A.at<T>(), B.at<T>(), O.at<T>());
  if (!out.dense()) launchCopy(O, out);
}

}  // namespace

bool haveCublas() { return true; }

void applyTf32ToCublas() {
  if (!gHandle) return;
  checkCublas(cublasSetMathMode(gHandle, tf32Allowed() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
}

#else

bool haveCublas() { return false; }
void applyTf32ToCublas() {}

#endif

napi_value Matmul(napi_env env, napi_callback_info info) {
  return guarded(env, "matmul", [&]() -> napi_value {
    Args a(env, info, "matmul");
    const DView A = a.view("a"), B = a.view("b"), out = a.view("out");
    a.finish();
    const int r = out.ndim;
    if (r < 2 || A.ndim != r || B.ndim != r) a.fail("a, b and out must share a rank of at least 2, got " + shapeText(A) + ", " + shapeText(B) + ", " + shapeText(out));
    requireFloat(a, A, "a");
    requireSameDtype(a, A, "a", B, "b");
    requireSameDtype(a, A, "a", out, "out");
    bool ok = A.shape[r - 2] == out.shape[r - 2] && B.shape[r - 1] == out.shape[r - 1] && A.shape[r - 1] == B.shape[r - 2];
    for (int d = 0; ok && d < r - 2; d++) ok = A.shape[d] == out.shape[d] && B.shape[d] == out.shape[d];
    if (!ok) a.fail("shapes " + shapeText(A) + " · " + shapeText(B) + " → " + shapeText(out) + " do not form a (batched, broadcast) matrix product");
#if defined(NABLA_CUDA_HAVE_CUBLAS)
    if (A.dtype == kFloat64) matmulTyped<double>(A, B, out);
    else matmulTyped<float>(A, B, out);
#else
    a.fail("this cuda addon was built without cuBLAS (cublas_v2.h was not found at build time); rebuild with `npm run build:cuda`");
#endif
    return nullptr;
  });
}

}  // namespace nabla_cuda
