// nabla's native backend: the Node-API module. Exports one function per kernel (kernels.h) plus
// a few controls: info() (thread count, GEMM kernel, CPU features, op-code tables), setNumThreads
// and forceGenericGemm (for tests and benchmarks). Built by node-gyp from binding.gyp.

#include <node_api.h>

#include <string>

#include "gemm.h"
#include "kernels.h"
#include "ops.h"
#include "threadpool.h"

namespace nabla {

namespace {

napi_value makeNameList(napi_env env, const char* const* names, int count) {
  napi_value arr;
  napi_create_array_with_length(env, count, &arr);
  for (int i = 0; i < count; i++) {
    napi_value s;
    napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i, s);
  }
  return arr;
}

#define NABLA_NAME(name) #name,
const char* const kUnaryNames[] = {NABLA_UNARY_OPS(NABLA_NAME)};
const char* const kParamNames[] = {NABLA_PARAM_OPS(NABLA_NAME)};
const char* const kBinaryNames[] = {NABLA_BINARY_OPS(NABLA_NAME)};
const char* const kReduceNames[] = {NABLA_REDUCE_OPS(NABLA_NAME)};
#undef NABLA_NAME

void setProperty(napi_env env, napi_value obj, const char* key, napi_value value) { napi_set_named_property(env, obj, key, value); }

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, numThreads(), &v);
  setProperty(env, obj, "threads", v);
  napi_create_string_utf8(env, gemmKernelName(), NAPI_AUTO_LENGTH, &v);
  setProperty(env, obj, "gemmKernel", v);
  napi_get_boolean(env, cpuHasAvx2Fma(), &v);
  setProperty(env, obj, "avx2", v);
  setProperty(env, obj, "unaryOps", makeNameList(env, kUnaryNames, static_cast<int>(UnaryOp::count)));
  setProperty(env, obj, "paramOps", makeNameList(env, kParamNames, static_cast<int>(ParamOp::count)));
  setProperty(env, obj, "binaryOps", makeNameList(env, kBinaryNames, static_cast<int>(BinaryOp::count)));
  setProperty(env, obj, "reduceOps", makeNameList(env, kReduceNames, static_cast<int>(ReduceOp::count)));
#if defined(__SANITIZE_ADDRESS__)
  napi_get_boolean(env, true, &v);
#else
  napi_get_boolean(env, false, &v);
#endif
  setProperty(env, obj, "asan", v);
  return obj;
}

/** setNumThreads(n): n ≥ 1 threads for later kernels. */
napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double n = 0;
  if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 1 && n <= 1024) || n != static_cast<int>(n)) {
    napi_throw_range_error(env, nullptr, "setNumThreads: expected an integer from 1 to 1024");
    return nullptr;
  }
  setNumThreads(static_cast<int>(n));
  return nullptr;
}

/** forceGenericGemm(flag): use the portable micro-kernel even where AVX2 is available. */
napi_value ForceGenericGemm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool flag = false;
  if (argc < 1 || napi_get_value_bool(env, argv[0], &flag) != napi_ok) {
    napi_throw_type_error(env, nullptr, "forceGenericGemm: expected a boolean");
    return nullptr;
  }
  forceGenericGemm(flag);
  return nullptr;
}

/** setConvBatchedMaxPlane(n): planes below n positions take the batched conv path (tests use 0 and a huge n). */
napi_value SetConvBatchedMaxPlane(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double n = -1;
  if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 0 && n <= 9007199254740992.0) || n != static_cast<double>(static_cast<int64_t>(n))) {
    napi_throw_range_error(env, nullptr, "setConvBatchedMaxPlane: expected a non-negative integer");
    return nullptr;
  }
  napi_value previous;
  napi_create_double(env, static_cast<double>(setConvBatchedMaxPlane(static_cast<int64_t>(n))), &previous);
  return previous;
}

struct Entry {
  const char* name;
  napi_callback fn;
};

const Entry kEntries[] = {
    {"info", Info},
    {"setNumThreads", SetNumThreads},
    {"forceGenericGemm", ForceGenericGemm},
    {"setConvBatchedMaxPlane", SetConvBatchedMaxPlane},
    {"forceConvAlgorithm", ForceConvAlgorithm},
    {"convAlgorithmsUsed", ConvAlgorithmsUsed},
    {"copy", Copy},
    {"fill", Fill},
    {"unary", Unary},
    {"paramUnary", ParamUnary},
    {"binary", Binary},
    {"where", Where},
    {"reduce", Reduce},
    {"matmul", Matmul},
    {"conv", Conv},
    {"convReluMaxPool", ConvReluMaxPool},
    {"convBackwardData", ConvBackwardData},
    {"convBackwardFilter", ConvBackwardFilter},
    {"pool", Pool},
    {"poolBackward", PoolBackward},
    {"maxPoolBackward", MaxPoolBackward},
    {"softmax", Softmax},
    {"softmaxBackward", SoftmaxBackward},
    {"moments", Moments},
    {"channelMoments", ChannelMoments},
    {"batchNormApply", BatchNormApply},
    {"batchNormBackward", BatchNormBackward},
    {"random", Random},
    {"adamStep", AdamStep},
    {"sgdStep", SgdStep},
    {"crossEntropy", CrossEntropy},
    {"crossEntropyBackward", CrossEntropyBackward},
    {"recurrentForward", RecurrentForward},
    {"recurrentBackward", RecurrentBackward},
    {"argReduce", ArgReduce},
    {"indexSelect", IndexSelect},
    {"indexAdd", IndexAdd},
    {"gather", Gather},
    {"scatterAdd", ScatterAdd},
    {"nms", Nms},
    {"roiAlign", RoiAlign},
    {"roiAlignBackward", RoiAlignBackward},
    {"roiPool", RoiPool},
    {"roiPoolBackward", RoiPoolBackward},
};

}  // namespace

}  // namespace nabla

NAPI_MODULE_INIT() {
  for (const auto& e : nabla::kEntries) {
    napi_value fn;
    if (napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, e.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
