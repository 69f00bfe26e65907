// Convolution forward, backward-data and backward-filter through cuDNN's legacy convolution API
// (cudnnConvolution*, still shipped by cuDNN 9 in libcudnn_cnn), for 1 to 3 spatial dims with
// stride, dilation and groups, on dense float32/float64 [N, C, ...] operands.
//
// Algorithms are chosen once per shape (a key of every size and option) and cached: by cuDNN's
// heuristics (cudnnGet*_v7) by default, or by timing them on the real buffers
// (cudnnFind*AlgorithmEx) with NABLA_CUDNN_BENCHMARK=1, as torch.backends.cudnn.benchmark does.
// Workspaces come from the caching allocator. TF32: with nb.cuda.allowTF32 off (the default) the
// descriptors ask for CUDNN_FMA_MATH, so float32 convolutions stay float32; on, they allow
// CUDNN_TENSOR_OP_MATH (TF32 tensor cores; _ALLOW_CONVERSION is avoided because it also permits
// converting to fp16). cuDNN pads symmetrically: an asymmetric padding (padBefore ≠ padAfter) is
// applied by copying x into a zero-padded scratch first (and, for backward-data, by computing the
// padded gradient and copying its interior out).
//
// Built only when the build finds cudnn.h (NABLA_CUDA_HAVE_CUDNN); otherwise the entries throw and
// the TypeScript side runs the cpu backend's convolution on host copies.

#include <climits>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "allocator.h"
#include "context.h"
#include "entries.h"
#include "launch.h"

#if defined(NABLA_CUDA_HAVE_CUDNN)
#include <cudnn.h>
#endif

namespace nabla_cuda {

namespace {

enum class ConvKind { kForward, kBackwardData, kBackwardFilter };

/** The call's geometry, spatial dims as given (1 to 3). */
struct ConvGeom {
  int nd = 0;
  int64_t groups = 1;
  int64_t k[3] = {}, s[3] = {}, pb[3] = {}, pa[3] = {}, d[3] = {};
  int64_t N = 0, Cin = 0, Cout = 0;
  int64_t in[3] = {}, out[3] = {};
  bool asymmetric = false;
};

ConvGeom readGeometry(Args& a) {
  ConvGeom g;
  g.nd = static_cast<int>(a.integer("spatial dims", 1, 3));
  g.groups = a.integer("groups", 1, INT_MAX);
  for (int i = 0; i < g.nd; i++) {
    g.k[i] = a.integer("kernel", 1, INT_MAX);
    g.s[i] = a.integer("stride", 1, INT_MAX);
    g.pb[i] = a.integer("padBefore", 0, INT_MAX);
    g.pa[i] = a.integer("padAfter", 0, INT_MAX);
    g.d[i] = a.integer("dilation", 1, INT_MAX);
    if (g.pb[i] != g.pa[i]) g.asymmetric = true;
  }
  return g;
}

/** x [N, Cin, in…], w [Cout, Cin/groups, k…], y [N, Cout, out…]: dense, one float dtype, sizes consistent. */
void checkOperands(const Args& a, ConvGeom& g, const DView& x, const char* xn, const DView& w, const char* wn, const DView& y, const char* yn) {
  const std::string ctx = std::string(" (") + xn + " " + shapeText(x) + ", " + wn + " " + shapeText(w) + ", " + yn + " " + shapeText(y) + ")";
  requireFloat(a, x, xn);
  requireSameDtype(a, x, xn, w, wn);
  requireSameDtype(a, x, xn, y, yn);
  requireDense(a, x, xn);
  requireDense(a, w, wn);
  requireDense(a, y, yn);
  const int r = g.nd + 2;
  if (x.ndim != r || w.ndim != r || y.ndim != r) a.fail("operands must have " + std::to_string(r) + " dimensions" + ctx);
  g.N = x.shape[0];
  g.Cin = x.shape[1];
  g.Cout = w.shape[0];
  if (g.Cin % g.groups != 0 || g.Cout % g.groups != 0 || w.shape[1] != g.Cin / g.groups || y.shape[0] != g.N || y.shape[1] != g.Cout)
    a.fail("channels do not match for groups " + std::to_string(g.groups) + ctx);
  for (int i = 0; i < g.nd; i++) {
    g.in[i] = x.shape[2 + i];
    g.out[i] = y.shape[2 + i];
    if (w.shape[2 + i] != g.k[i]) a.fail("kernel size " + std::to_string(g.k[i]) + " does not match the weight" + ctx);
    const int64_t span = g.in[i] + g.pb[i] + g.pa[i] - g.d[i] * (g.k[i] - 1) - 1;
    const int64_t expected = span < 0 ? 0 : span / g.s[i] + 1;
    if (g.out[i] != expected) a.fail("spatial dim " + std::to_string(i) + " of " + yn + " must be " + std::to_string(expected) + ctx);
  }
  for (const DView* v : {&x, &w, &y}) {
    for (int dd = 0; dd < v->ndim; dd++)
      if (v->shape[dd] > INT_MAX) a.fail("sizes above 2^31 - 1 are not supported by cuDNN" + ctx);
  }
}

}  // namespace

#if defined(NABLA_CUDA_HAVE_CUDNN)

namespace {

cudnnHandle_t gHandle = nullptr;

void checkCudnn(cudnnStatus_t s, const char* call) {
  if (s != CUDNN_STATUS_SUCCESS) throw Error(ErrorKind::kCuda, std::string(call) + " failed: " + cudnnGetErrorString(s));
}

cudnnHandle_t handle() {
  if (!gHandle) {
    cudaStream_t s = stream();
    checkCudnn(cudnnCreate(&gHandle), "cudnnCreate");
    checkCudnn(cudnnSetStream(gHandle, s), "cudnnSetStream");
  }
  return gHandle;
}

bool benchmarkMode() {
  const char* v = std::getenv("NABLA_CUDNN_BENCHMARK");
  return v && v[0] == '1';
}

/** Descriptors of one call, destroyed with it. */
struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  ~Descriptors() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
  }
};

/** dims [lead0, lead1, spatial…] as cuDNN wants them: at least 2 spatial dims (1d becomes H = 1). */
int cudnnDims(int64_t lead0, int64_t lead1, const int64_t* spatial, int nd, int* dims) {
  int n = 0;
  dims[n++] = static_cast<int>(lead0);
  dims[n++] = static_cast<int>(lead1);
  if (nd == 1) dims[n++] = 1;
  for (int i = 0; i < nd; i++) dims[n++] = static_cast<int>(spatial[i]);
  return n;
}

void setTensor(cudnnTensorDescriptor_t desc, cudnnDataType_t type, int64_t n, int64_t c, const int64_t* spatial, int nd) {
  int dims[5], strides[5];
  const int count = cudnnDims(n, c, spatial, nd, dims);
  int s = 1;
  for (int i = count - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  checkCudnn(cudnnSetTensorNdDescriptor(desc, type, count, dims, strides), "cudnnSetTensorNdDescriptor");
}

/** Descriptors for x (its spatial dims `in`, possibly the padded copy's), w, y and the convolution. */
void describe(Descriptors& d, const ConvGeom& g, DType dtype, const int64_t* in, bool padded) {
  d.type = dtype == kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
  checkCudnn(cudnnCreateTensorDescriptor(&d.x), "cudnnCreateTensorDescriptor");
  checkCudnn(cudnnCreateTensorDescriptor(&d.y), "cudnnCreateTensorDescriptor");
  checkCudnn(cudnnCreateFilterDescriptor(&d.w), "cudnnCreateFilterDescriptor");
  checkCudnn(cudnnCreateConvolutionDescriptor(&d.conv), "cudnnCreateConvolutionDescriptor");
  setTensor(d.x, d.type, g.N, g.Cin, in, g.nd);
  setTensor(d.y, d.type, g.N, g.Cout, g.out, g.nd);
  int wdims[5];
  const int wcount = cudnnDims(g.Cout, g.Cin / g.groups, g.k, g.nd, wdims);
  checkCudnn(cudnnSetFilterNdDescriptor(d.w, d.type, CUDNN_TENSOR_NCHW, wcount, wdims), "cudnnSetFilterNdDescriptor");
  int pad[3], stride[3], dil[3], n = 0;
  if (g.nd == 1) {
    pad[n] = 0;
    stride[n] = 1;
    dil[n] = 1;
    n++;
  }
  for (int i = 0; i < g.nd; i++, n++) {
    pad[n] = padded ? 0 : static_cast<int>(g.pb[i]);
    stride[n] = static_cast<int>(g.s[i]);
    dil[n] = static_cast<int>(g.d[i]);
  }
  checkCudnn(cudnnSetConvolutionNdDescriptor(d.conv, n, pad, stride, dil, CUDNN_CROSS_CORRELATION, d.type), "cudnnSetConvolutionNdDescriptor");
  checkCudnn(cudnnSetConvolutionGroupCount(d.conv, static_cast<int>(g.groups)), "cudnnSetConvolutionGroupCount");
  const bool tf32 = tf32Allowed() && dtype == kFloat32;
  checkCudnn(cudnnSetConvolutionMathType(d.conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
}

/** The algorithm cached for a shape, with the math type it was found with and its workspace. */
struct Choice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
};

std::unordered_map<std::string, Choice>& cache() {
  static std::unordered_map<std::string, Choice> c;
  return c;
}

std::string keyOf(ConvKind kind, const ConvGeom& g, DType dtype) {
  std::string k = std::to_string(static_cast<int>(kind)) + "|" + std::to_string(dtype) + "|" + (tf32Allowed() ? "tf32" : "fp") + "|" +
                  std::to_string(g.N) + "," + std::to_string(g.Cin) + "," + std::to_string(g.Cout) + "," + std::to_string(g.groups);
  for (int i = 0; i < g.nd; i++) {
    k += "|" + std::to_string(g.in[i]) + "," + std::to_string(g.k[i]) + "," + std::to_string(g.s[i]) + "," + std::to_string(g.pb[i]) + "," +
         std::to_string(g.pa[i]) + "," + std::to_string(g.d[i]);
  }
  return k;
}

/** Math types a choice may use: no tensor-op math for float32 unless TF32 is allowed. */
bool acceptable(cudnnMathType_t m, DType dtype) {
  if (dtype != kFloat32 || tf32Allowed()) return true;
  return m != CUDNN_TENSOR_OP_MATH && m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

/** Scratch for cudnnFind*Ex's trials: plain cudaMalloc, freed right after (only on a new shape). */
struct SearchWorkspace {
  void* ptr = nullptr;
  size_t bytes = 0;
  SearchWorkspace() {
    size_t freeBytes = 0, total = 0;
    cudaMemGetInfo(&freeBytes, &total);
    bytes = freeBytes / 2 < (size_t(1) << 31) ? freeBytes / 2 : (size_t(1) << 31);
    if (cudaMalloc(&ptr, bytes) != cudaSuccess) {
      cudaGetLastError();
      ptr = nullptr;
      bytes = 0;
    }
  }
  ~SearchWorkspace() {
    if (ptr) {
      cudaStreamSynchronize(stream());
      cudaFree(ptr);
    }
  }
};

/**
 * Pick from perf results (best first): the first that succeeded with an acceptable math type and
 * whose workspace size cuDNN reports for it. `workspaceOf` sets the math type and asks the size.
 */
template <typename Perf, typename WorkspaceOf>
Choice pick(const Perf* perf, int count, DType dtype, const char* what, WorkspaceOf&& workspaceOf) {
  // Workspaces larger than half the free memory (plus what the cache holds) would fail to allocate.
  size_t freeBytes = 0, total = 0;
  cudaMemGetInfo(&freeBytes, &total);
  const size_t limit = freeBytes / 2 + memoryStats().cached;
  for (int i = 0; i < count; i++) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || !acceptable(perf[i].mathType, dtype)) continue;
    size_t ws = 0;
    if (!workspaceOf(static_cast<int>(perf[i].algo), perf[i].mathType, ws) || ws > limit) continue;
    return Choice{static_cast<int>(perf[i].algo), perf[i].mathType, ws};
  }
  throw Error(ErrorKind::kCuda, std::string("cuDNN offers no usable ") + what + " algorithm for this shape");
}

/** alpha = 1, beta = 0 in the data's type. */
struct Scalars {
  float f1 = 1, f0 = 0;
  double d1 = 1, d0 = 0;
  const void* one(DType t) const { return t == kFloat64 ? static_cast<const void*>(&d1) : static_cast<const void*>(&f1); }
  const void* zero(DType t) const { return t == kFloat64 ? static_cast<const void*>(&d0) : static_cast<const void*>(&f0); }
};

/** A dense scratch view of shape [N, C, spatial…] in x's dtype. */
DView scratchView(const DView& like, Scratch& s, int64_t n, int64_t c, const int64_t* spatial, int nd) {
  DView v;
  v.dtype = like.dtype;
  v.ndim = nd + 2;
  v.shape[0] = n;
  v.shape[1] = c;
  for (int i = 0; i < nd; i++) v.shape[2 + i] = spatial[i];
  contiguousStrides(v.shape, v.ndim, v.strides);
  v.numel = 1;
  for (int i = 0; i < v.ndim; i++) v.numel *= v.shape[i];
  v.base = s.as<char>();
  v.length = v.numel;
  return v;
}

/** The unpadded interior of a padded [N, C, in + pb + pa …] view. */
DView interiorOf(const DView& padded, const ConvGeom& g) {
  DView v = padded;
  for (int i = 0; i < g.nd; i++) {
    v.shape[2 + i] = g.in[i];
    v.offset += g.pb[i] * padded.strides[2 + i];
  }
  v.numel = g.N * g.Cin;
  for (int i = 0; i < g.nd; i++) v.numel *= g.in[i];
  return v;
}

int64_t paddedElements(const ConvGeom& g, int64_t* paddedIn) {
  int64_t n = g.N * g.Cin;
  for (int i = 0; i < g.nd; i++) {
    paddedIn[i] = g.in[i] + g.pb[i] + g.pa[i];
    n *= paddedIn[i];
  }
  return n;
}

/**
 * The image side of a convolution with asymmetric padding, which cuDNN cannot express: a
 * zero-filled scratch image with the padding built in (cuDNN then runs unpadded). With symmetric
 * padding it is the image itself and costs nothing.
 */
struct PaddedImage {
  int64_t paddedIn[3] = {1, 1, 1};
  const ConvGeom& g;
  Scratch scratch;
  DView view;

  PaddedImage(const ConvGeom& geom, const DView& image)
      : g(geom), scratch(geom.asymmetric ? paddedElements(geom, paddedIn) * itemSize(image.dtype) : 0), view(image) {
    if (g.asymmetric) view = scratchView(image, scratch, g.N, g.Cin, paddedIn, g.nd);
  }
  /** The spatial extents cuDNN is told about. */
  const int64_t* shape() const { return g.asymmetric ? paddedIn : g.in; }
  /** The padded copy of x (zeros around it), or x itself. */
  DView loadFrom(const DView& x) const {
    if (!g.asymmetric) return x;
    launchFill(view, 0);
    launchCopy(x, interiorOf(view, g));
    return view;
  }
};

void forward(const ConvGeom& g, const DView& x, const DView& w, const DView& y) {
  if (y.numel == 0) return;
  if (x.numel == 0 || w.numel == 0) {
    launchFill(y, 0);
    return;
  }
  cudnnHandle_t h = handle();
  const PaddedImage padded(g, x);
  const DView xin = padded.loadFrom(x);
  Descriptors d;
  describe(d, g, x.dtype, padded.shape(), g.asymmetric);
  const std::string key = keyOf(ConvKind::kForward, g, x.dtype);
  auto found = cache().find(key);
  if (found == cache().end()) {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    if (benchmarkMode()) {
      SearchWorkspace ws;
      checkCudnn(cudnnFindConvolutionForwardAlgorithmEx(h, d.x, xin.ptr(), d.w, w.ptr(), d.conv, d.y, y.ptr(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf,
                                                        ws.ptr, ws.bytes),
                 "cudnnFindConvolutionForwardAlgorithmEx");
    } else {
      checkCudnn(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf),
                 "cudnnGetConvolutionForwardAlgorithm_v7");
    }
    const Choice c = pick(perf, count, x.dtype, "forward convolution", [&](int algo, cudnnMathType_t math, size_t& ws) {
      if (cudnnSetConvolutionMathType(d.conv, math) != CUDNN_STATUS_SUCCESS) return false;
      return cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y, static_cast<cudnnConvolutionFwdAlgo_t>(algo), &ws) == CUDNN_STATUS_SUCCESS;
    });
    found = cache().emplace(key, c).first;
  }
  const Choice& c = found->second;
  checkCudnn(cudnnSetConvolutionMathType(d.conv, c.math), "cudnnSetConvolutionMathType");
  Scratch ws(c.workspace);
  const Scalars k;
  checkCudnn(cudnnConvolutionForward(h, k.one(x.dtype), d.x, xin.ptr(), d.w, w.ptr(), d.conv, static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws.get(),
                                     c.workspace, k.zero(x.dtype), d.y, y.ptr()),
             "cudnnConvolutionForward");
}

void backwardData(const ConvGeom& g, const DView& gy, const DView& w, const DView& gx) {
  if (gx.numel == 0) return;
  if (gy.numel == 0 || w.numel == 0) {
    launchFill(gx, 0);
    return;
  }
  cudnnHandle_t h = handle();
  const PaddedImage padded(g, gx);
  const DView gxp = padded.view;
  Descriptors d;
  describe(d, g, gx.dtype, padded.shape(), g.asymmetric);
  const std::string key = keyOf(ConvKind::kBackwardData, g, gx.dtype);
  auto found = cache().find(key);
  if (found == cache().end()) {
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    if (benchmarkMode()) {
      SearchWorkspace ws;
      checkCudnn(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w, w.ptr(), d.y, gy.ptr(), d.conv, d.x, gxp.ptr(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count,
                                                             perf, ws.ptr, ws.bytes),
                 "cudnnFindConvolutionBackwardDataAlgorithmEx");
    } else {
      checkCudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf),
                 "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    }
    const Choice c = pick(perf, count, gx.dtype, "backward-data convolution", [&](int algo, cudnnMathType_t math, size_t& ws) {
      if (cudnnSetConvolutionMathType(d.conv, math) != CUDNN_STATUS_SUCCESS) return false;
      return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x, static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), &ws) ==
             CUDNN_STATUS_SUCCESS;
    });
    found = cache().emplace(key, c).first;
  }
  const Choice& c = found->second;
  checkCudnn(cudnnSetConvolutionMathType(d.conv, c.math), "cudnnSetConvolutionMathType");
  Scratch ws(c.workspace);
  const Scalars k;
  checkCudnn(cudnnConvolutionBackwardData(h, k.one(gx.dtype), d.w, w.ptr(), d.y, gy.ptr(), d.conv, static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws.get(),
                                          c.workspace, k.zero(gx.dtype), d.x, gxp.ptr()),
             "cudnnConvolutionBackwardData");
  if (g.asymmetric) launchCopy(interiorOf(gxp, g), gx);
}

void backwardFilter(const ConvGeom& g, const DView& x, const DView& gy, const DView& gw) {
  if (gw.numel == 0) return;
  if (x.numel == 0 || gy.numel == 0) {
    launchFill(gw, 0);
    return;
  }
  cudnnHandle_t h = handle();
  const PaddedImage padded(g, x);
  const DView xin = padded.loadFrom(x);
  Descriptors d;
  describe(d, g, x.dtype, padded.shape(), g.asymmetric);
  const std::string key = keyOf(ConvKind::kBackwardFilter, g, x.dtype);
  auto found = cache().find(key);
  if (found == cache().end()) {
    cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    if (benchmarkMode()) {
      SearchWorkspace ws;
      checkCudnn(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x, xin.ptr(), d.y, gy.ptr(), d.conv, d.w, gw.ptr(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                                                               &count, perf, ws.ptr, ws.bytes),
                 "cudnnFindConvolutionBackwardFilterAlgorithmEx");
    } else {
      checkCudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf),
                 "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
    }
    const Choice c = pick(perf, count, x.dtype, "backward-filter convolution", [&](int algo, cudnnMathType_t math, size_t& ws) {
      if (cudnnSetConvolutionMathType(d.conv, math) != CUDNN_STATUS_SUCCESS) return false;
      return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w, static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &ws) ==
             CUDNN_STATUS_SUCCESS;
    });
    found = cache().emplace(key, c).first;
  }
  const Choice& c = found->second;
  checkCudnn(cudnnSetConvolutionMathType(d.conv, c.math), "cudnnSetConvolutionMathType");
  Scratch ws(c.workspace);
  const Scalars k;
  checkCudnn(cudnnConvolutionBackwardFilter(h, k.one(x.dtype), d.x, xin.ptr(), d.y, gy.ptr(), d.conv, static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo),
                                            ws.get(), c.workspace, k.zero(x.dtype), d.w, gw.ptr()),
             "cudnnConvolutionBackwardFilter");
}

}  // namespace

bool haveCudnn() { return true; }

std::string cudnnVersionText() {
  const size_t v = cudnnGetVersion();
  // cuDNN 9 encodes major·10000 + minor·100 + patch.
  return "cuDNN " + std::to_string(v / 10000) + "." + std::to_string((v / 100) % 100) + "." + std::to_string(v % 100);
}

#define NABLA_CONV_RUN(call) call
#else
bool haveCudnn() { return false; }
std::string cudnnVersionText() { return ""; }
#define NABLA_CONV_RUN(call) \
  a.fail("this cuda addon was built without cuDNN (cudnn.h was not found at build time); rebuild with `npm run build:cuda`")
#endif

napi_value Conv(napi_env env, napi_callback_info info) {
  return guarded(env, "conv", [&]() -> napi_value {
    Args a(env, info, "conv");
    ConvGeom g = readGeometry(a);
    const DView x = a.view("x"), w = a.view("w"), out = a.view("out");
    a.finish();
    checkOperands(a, g, x, "x", w, "w", out, "out");
    NABLA_CONV_RUN(forward(g, x, w, out));
    return nullptr;
  });
}

napi_value ConvBackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, "convBackwardData", [&]() -> napi_value {
    Args a(env, info, "convBackwardData");
    ConvGeom g = readGeometry(a);
    const DView gx = a.view("gx"), w = a.view("w"), gy = a.view("gy");
    a.finish();
    checkOperands(a, g, gx, "gx", w, "w", gy, "gy");
    NABLA_CONV_RUN(backwardData(g, gy, w, gx));
    return nullptr;
  });
}

napi_value ConvBackwardFilter(napi_env env, napi_callback_info info) {
  return guarded(env, "convBackwardFilter", [&]() -> napi_value {
    Args a(env, info, "convBackwardFilter");
    ConvGeom g = readGeometry(a);
    const DView x = a.view("x"), gw = a.view("gw"), gy = a.view("gy");
    a.finish();
    checkOperands(a, g, x, "x", gw, "gw", gy, "gy");
    NABLA_CONV_RUN(backwardFilter(g, x, gy, gw));
    return nullptr;
  });
}

}  // namespace nabla_cuda
