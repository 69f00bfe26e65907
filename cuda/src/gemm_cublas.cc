// matmul through cuBLAS: out[..., M, N] = a[..., M, K] · b[..., K, N] with the batch dims already
// broadcast (zero strides where an operand repeats), float32 (cublasSgemmStridedBatched) and
// float64 (Dgemm). cuBLAS is column-major; a row-major product C = A·B is the column-major product
// Cᵀ = Bᵀ·Aᵀ, and a row-major operand read column-major is its own transpose, so each operand
// only needs its transpose flag and leading dimension from its two inner strides. Operands whose
// strides fit neither layout are copied to contiguous scratch first. A shared right operand with
// evenly stacked left rows (x[B, M, K] · W[K, N]) is folded into one tall product.
//
// Built only when the build finds cublas_v2.h (NABLA_CUDA_HAVE_CUBLAS); otherwise matmul throws
// and the TypeScript side runs the cpu backend's kernel on a host copy.

#include <climits>
#include <string>

#include "allocator.h"
#include "context.h"
#include "entries.h"
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

/** How cuBLAS reads a rows×cols operand with strides (rs, cs): as stored row-major or column-major. */
struct Operand {
  bool ok = false;
  bool rowMajor = false;
  int64_t ld = 0;
};

Operand layoutOf(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  Operand o;
  const int64_t minCols = cols > 1 ? cols : 1, minRows = rows > 1 ? rows : 1;
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= minCols)) {
    o.ok = true;
    o.rowMajor = true;
    o.ld = rows == 1 ? minCols : rs;
  } else if ((rs == 1 || rows == 1) && (cols == 1 || cs >= minRows)) {
    o.ok = true;
    o.rowMajor = false;
    o.ld = cols == 1 ? minRows : cs;
  }
  return o;
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
void gemmBatched(cublasOperation_t opB, cublasOperation_t opA, int64_t M, int64_t N, int64_t K, const T* b, int64_t ldb, int64_t sb, const T* a,
                 int64_t lda, int64_t sa, T* c, int64_t sc, int64_t count) {
  const T one = 1, zero = 0;
  for (int64_t v : {M, N, K, lda, ldb, count}) {
    if (v > INT_MAX) throw Error(ErrorKind::kArgument, "matmul: cuda backend: sizes above 2^31 - 1 are not supported by the 32-bit cuBLAS entry points");
  }
  if constexpr (sizeof(T) == 4) {
    checkCublas(cublasSgemmStridedBatched(handle(), opB, opA, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &one, b, static_cast<int>(ldb), sb,
                                          a, static_cast<int>(lda), sa, &zero, c, static_cast<int>(N), sc, static_cast<int>(count)),
                "cublasSgemmStridedBatched");
  } else {
    checkCublas(cublasDgemmStridedBatched(handle(), opB, opA, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &one, b, static_cast<int>(ldb), sb,
                                          a, static_cast<int>(lda), sa, &zero, c, static_cast<int>(N), sc, static_cast<int>(count)),
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
  Operand la = layoutOf(M, K, A.strides[r - 2], A.strides[r - 1]);
  Operand lb = layoutOf(K, N, B.strides[r - 2], B.strides[r - 1]);
  Scratch aScratch(la.ok ? 0 : A.numel * sizeof(T)), bScratch(lb.ok ? 0 : B.numel * sizeof(T));
  if (!la.ok) {
    A = densify(A, aScratch);
    la = layoutOf(M, K, A.strides[r - 2], A.strides[r - 1]);
  }
  if (!lb.ok) {
    B = densify(B, bScratch);
    lb = layoutOf(K, N, B.strides[r - 2], B.strides[r - 1]);
  }
  const cublasOperation_t opA = la.rowMajor ? CUBLAS_OP_N : CUBLAS_OP_T, opB = lb.rowMajor ? CUBLAS_OP_N : CUBLAS_OP_T;

  // Batch dims of the three operands, collapsed together.
  const int64_t* strides[3] = {A.strides, B.strides, O.strides};
  const Geometry<3> g(r - 2, out.shape, strides);
  const T *a = A.at<T>(), *b = B.at<T>();
  T* c = O.at<T>();
  if (g.nd == 0) {
    gemmBatched<T>(opB, opA, M, N, K, b, lb.ld, 0, a, la.ld, 0, c, M * N, 1);
  } else if (g.nd == 1 && g.strides[1][0] == 0 && la.rowMajor && g.strides[0][0] == M * la.ld) {
    // x[B, M, K] · W[K, N]: one (B·M) × N product, W read once.
    gemmBatched<T>(opB, opA, g.shape[0] * M, N, K, b, lb.ld, 0, a, la.ld, 0, c, 0, 1);
  } else {
    // Strided-batched over the innermost batch dim; a host loop over the others.
    const int last = g.nd - 1;
    int64_t outer = 1;
    for (int d = 0; d < last; d++) outer *= g.shape[d];
    for (int64_t i = 0; i < outer; i++) {
      int64_t rest = i, oa = 0, ob = 0, oc = 0;
      for (int d = last - 1; d >= 0; d--) {
        const int64_t k = rest % g.shape[d];
        rest /= g.shape[d];
        oa += k * g.strides[0][d];
        ob += k * g.strides[1][d];
        oc += k * g.strides[2][d];
      }
      gemmBatched<T>(opB, opA, M, N, K, b + ob, lb.ld, g.strides[1][last], a + oa, la.ld, g.strides[0][last], c + oc, g.strides[2][last], g.shape[last]);
    }
  }
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
