// The convolution entry points of the addon (kernels.h): decode and check the call, let choose()
// pick the algorithm, run it. conv, convReluMaxPool, convBackwardData, convBackwardFilter.

#include <cstring>
#include <string>

#include "../checks.h"
#include "../kernels.h"
#include "../overlap.h"
#include "batched_planes.h"
#include "bias.h"
#include "choose.h"
#include "depthwise.h"
#include "geometry.h"
#include "im2col_gemm.h"
#include "padded.h"
#include "row_direct.h"
#include "winograd.h"

namespace nabla {

using namespace conv;

namespace {

/**
 * Decode the call's parameters and operands and check that they describe one convolution: the
 * image-side view xs ([N, Cin, in...]), the weight-side ws ([Cout, Cin/groups, k...]) and the
 * output-side os ([N, Cout, out...]), all dense float32, out sizes from the usual formula. With
 * poolIndices (the fused conv → relu → 2×2 max pool, 2-d only), o is the pooled output
 * ([N, Cout, ⌊out/2⌋...]) and poolIndices its int32 indices.
 */
bool readConv(Args& args, const char* xName, const char* wName, const char* oName, View& x, View& w, View& o, Geometry& g,
              const char* vecName = nullptr, View* vec = nullptr, bool* hasVec = nullptr, View* poolIndices = nullptr) {
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
  // The optional per-channel vector (the forward's bias, backward-filter's bias gradient).
  if (vec) {
    *hasVec = args.ok() && args.integer(vecName, 0, 1) == 1;
    if (*hasVec) args.view(*vec, vecName);
  }
  if (poolIndices) args.view(*poolIndices, "indices");
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
  const int lift = 3 - static_cast<int>(nd);  // 1-d and 2-d fill the trailing dims of the 3-d geometry
  for (int64_t i = 0; i < nd; i++) {
    const int j = lift + static_cast<int>(i);
    if (w.shape[2 + i] != k[i]) return args.fail("kernel size does not match the weight" + ctx);
    g.in[j] = x.shape[2 + i];
    g.k[j] = k[i];
    g.s[j] = s[i];
    g.pad[j] = pb[i];
    g.d[j] = dil[i];
    const int64_t expect = outputSize(x.shape[2 + i], k[i], s[i], pb[i], pa[i], dil[i]);
    const int64_t expectO = poolIndices ? expect / 2 : expect;
    if (o.shape[2 + i] != expectO)
      return args.fail(std::string(oName) + " spatial size " + std::to_string(o.shape[2 + i]) + " should be " + std::to_string(expectO) + ctx);
    g.out[j] = expect;
  }
  if (poolIndices) {
    if (nd != 2) return args.fail("the fused relu and 2×2 max pool take 2-d convolutions" + ctx);
    if (poolIndices->dtype != kInt32 || !sameShape(*poolIndices, o) || !poolIndices->dense())
      return args.fail("indices must be a contiguous int32 view of shape " + o.shapeText() + ", got " + poolIndices->shapeText());
  }
  if (vec && *hasVec) {
    if (vec->dtype != kFloat32 || vec->ndim != 1 || vec->shape[0] != g.cout)
      return args.fail(std::string(vecName) + " must be float32 of shape [" + std::to_string(g.cout) + "], got " + vec->shapeText() + ctx);
  }
  g.deriveSizes();
  return true;
}

bool forward(const Geometry& g, const float* X, const float* W, float* O, const Bias& bias) {
  const ConvAlgorithm algorithm = choose(g, ConvPass::kForward);
  switch (algorithm) {
    case ConvAlgorithm::kBatchedPlanes: return batchedPlanesForward(g, X, W, O, bias);
    case ConvAlgorithm::kPaddedDirect:
    case ConvAlgorithm::kPaddedGemm: return paddedForward(g, X, W, O, bias, algorithm);
    case ConvAlgorithm::kRowDirect: return rowDirectForward(g, X, W, O, bias);
    case ConvAlgorithm::kPointwiseGemm: return pointwiseGemmForward(g, X, W, O, bias);
    case ConvAlgorithm::kIm2colGemm: return im2colGemmForward(g, X, W, O, bias);
    case ConvAlgorithm::kWinograd: return winogradForward(g, X, W, O, bias);
    case ConvAlgorithm::kStridedPointwiseGemm: return stridedPointwiseForward(g, X, W, O, bias);
    case ConvAlgorithm::kDepthwise: return depthwiseForward(g, X, W, O, bias);
    case ConvAlgorithm::kPaddedDirectGyTransposed:  // a backward-filter product only
    case ConvAlgorithm::kCount: break;
  }
  return false;
}

bool backwardData(const Geometry& g, const float* GY, const float* W, float* GX) {
  const ConvAlgorithm algorithm = choose(g, ConvPass::kBackwardData);
  switch (algorithm) {
    case ConvAlgorithm::kBatchedPlanes: return batchedPlanesBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kPaddedDirect:
    case ConvAlgorithm::kPaddedGemm: return paddedBackwardData(g, GY, W, GX, algorithm);
    case ConvAlgorithm::kRowDirect: return rowDirectBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kPointwiseGemm: return pointwiseGemmBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kIm2colGemm: return im2colGemmBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kWinograd: return winogradBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kStridedPointwiseGemm: return stridedPointwiseBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kDepthwise: return depthwiseBackwardData(g, GY, W, GX);
    case ConvAlgorithm::kPaddedDirectGyTransposed:  // a backward-filter product only
    case ConvAlgorithm::kCount: break;
  }
  return false;
}

bool backwardFilter(const Geometry& g, const float* X, const float* GY, float* GW, const BiasGrad& gb) {
  const ConvAlgorithm algorithm = choose(g, ConvPass::kBackwardFilter);
  switch (algorithm) {
    case ConvAlgorithm::kBatchedPlanes: return batchedPlanesBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kPaddedDirect:
    case ConvAlgorithm::kPaddedDirectGyTransposed:
    case ConvAlgorithm::kPaddedGemm: return paddedBackwardFilter(g, X, GY, GW, gb, algorithm);
    case ConvAlgorithm::kRowDirect: return rowDirectBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kPointwiseGemm: return pointwiseGemmBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kIm2colGemm: return im2colGemmBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kStridedPointwiseGemm: return stridedPointwiseBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kDepthwise: return depthwiseBackwardFilter(g, X, GY, GW, gb);
    case ConvAlgorithm::kWinograd:  // forward and backward-data only
    case ConvAlgorithm::kCount: break;
  }
  return false;
}

}  // namespace

napi_value Conv(napi_env env, napi_callback_info info) {
  Args args(env, info, "conv");
  View x, w, out, bias;
  Geometry g;
  bool hasBias = false;
  if (!readConv(args, "x", "w", "out", x, w, out, g, "bias", &bias, &hasBias)) return nullptr;
  if (out.numel == 0) return nullptr;
  const Bias b = hasBias ? Bias{bias.at<float>(), bias.strides[0]} : Bias{};
  if (g.taps == 0) {  // no input channels: the output is the bias
    std::memset(out.at<float>(), 0, out.numel * sizeof(float));
    for (int64_t n = 0; n < g.batch; n++) addBias(out.at<float>() + n * g.cout * g.outPlane, g.cout, g.outPlane, b);
    return nullptr;
  }
  if (!forward(g, x.at<float>(), w.at<float>(), out.at<float>(), b)) args.fail("out of memory for convolution scratch");
  return nullptr;
}

napi_value ConvReluMaxPool(napi_env env, napi_callback_info info) {
  Args args(env, info, "convReluMaxPool");
  View x, w, pooled, bias, indices;
  Geometry g;
  bool hasBias = false;
  if (!readConv(args, "x", "w", "pooled", x, w, pooled, g, "bias", &bias, &hasBias, &indices)) return nullptr;
  // The fused path exists where the forward runs on padded copies (the result stays in scratch to
  // be pooled); anything else is the caller's two kernels (false, nothing written).
  const ConvAlgorithm algorithm = choose(g, ConvPass::kForward);
  const bool fused = (algorithm == ConvAlgorithm::kPaddedDirect || algorithm == ConvAlgorithm::kPaddedGemm) && g.taps > 0;
  napi_value result;
  napi_get_boolean(env, fused, &result);
  if (!fused || pooled.numel == 0) return result;
  const Bias b = hasBias ? Bias{bias.at<float>(), bias.strides[0]} : Bias{};
  const PoolTarget target{pooled.at<float>(), indices.at<int32_t>(), pooled.shape[2], pooled.shape[3]};
  if (!paddedForward(g, x.at<float>(), w.at<float>(), nullptr, b, algorithm, &target)) return args.fail("out of memory for convolution scratch"), nullptr;
  return result;
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
  View x, gy, gw, gbView;
  Geometry g;
  bool hasGb = false;
  if (!readConv(args, "x", "gw", "gy", x, gw, gy, g, "gb", &gbView, &hasGb)) return nullptr;
  if (hasGb && (sharesMemory(gbView, gw) || sharesMemory(gbView, gy) || sharesMemory(gbView, x)))
    return args.fail("gb must not share memory with x, gy or gw"), nullptr;
  const BiasGrad gb = hasGb ? BiasGrad{gbView.at<float>(), gbView.strides[0]} : BiasGrad{};
  if (gw.numel == 0) {
    if (gb.p) biasGradient(g, gy.at<float>(), gb);  // no filter taps, but a bias per channel
    return nullptr;
  }
  if (gy.numel == 0) {
    std::memset(gw.at<float>(), 0, gw.numel * sizeof(float));
    for (int64_t c = 0; c < g.cout && gb.p; c++) gb[c] = 0.0f;
    return nullptr;
  }
  if (!backwardFilter(g, x.at<float>(), gy.at<float>(), gw.at<float>(), gb)) args.fail("out of memory for convolution scratch");
  return nullptr;
}

/**
 * forceConvAlgorithm(name | null) → the previously forced name (null when none): tests and
 * benchmarks run each algorithm wherever it can run (choose.h). Throws for an unknown name.
 */
napi_value ForceConvAlgorithm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const std::string previous = forcedConvAlgorithm();
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  std::string name;
  if (type == napi_string) {
    char buf[64];
    size_t len = 0;
    napi_get_value_string_utf8(env, argv[0], buf, sizeof buf, &len);
    name.assign(buf, len);
  } else if (type != napi_null && type != napi_undefined) {
    napi_throw_type_error(env, nullptr, "forceConvAlgorithm: expected an algorithm name or null");
    return nullptr;
  }
  if (!forceConvAlgorithm(name.c_str())) {
    napi_throw_range_error(env, nullptr,
                           ("forceConvAlgorithm: unknown algorithm '" + name + "' (expected winograd, pointwise, strided-pointwise, depthwise, im2col, padded-gemm or batched-planes)").c_str());
    return nullptr;
  }
  napi_value result;
  if (previous.empty()) napi_get_null(env, &result);
  else napi_create_string_utf8(env, previous.c_str(), previous.size(), &result);
  return result;
}

/** convAlgorithmsUsed() → { forward, backwardData, backwardFilter }: the algorithm each pass's last call chose ("" before any). */
napi_value ConvAlgorithmsUsed(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_object(env, &result);
  const std::pair<const char*, ConvPass> passes[] = {
      {"forward", ConvPass::kForward}, {"backwardData", ConvPass::kBackwardData}, {"backwardFilter", ConvPass::kBackwardFilter}};
  for (const auto& [key, pass] : passes) {
    napi_value name;
    napi_create_string_utf8(env, algorithmName(lastChosen(pass)), NAPI_AUTO_LENGTH, &name);
    napi_set_named_property(env, result, key, name);
  }
  return result;
}

}  // namespace nabla
