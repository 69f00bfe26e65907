// nabla's native backend: the Node-API module. Exports one function per kernel (kernels.h) plus
// a few controls: info() (thread count, instruction-set level, GEMM kernel, CPU model and features,
// op-code tables), setNumThreads, and setIsa / forceGenericGemm (for tests and benchmarks). Built
// by node-gyp from binding.gyp.

#include <node_api.h>

#include <string>
#include <utility>

#include "cpu_features.h"
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

void setString(napi_env env, napi_value obj, const char* key, const char* value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  setProperty(env, obj, key, v);
}

/** The CPU's SIMD features that matter to the kernels, by their /proc/cpuinfo names. */
napi_value cpuFlagList(napi_env env) {
  const CpuFeatures& f = cpuFeatures();
  const std::pair<bool, const char*> flags[] = {
      {f.avx, "avx"}, {f.avx2, "avx2"}, {f.fma, "fma"}, {f.f16c, "f16c"}, {f.avx512f, "avx512f"}, {f.avx512dq, "avx512dq"},
      {f.avx512bw, "avx512bw"}, {f.avx512vl, "avx512vl"}, {f.avx512vnni, "avx512_vnni"}, {f.avx512bf16, "avx512_bf16"},
  };
  const char* names[sizeof flags / sizeof flags[0]];
  int count = 0;
  for (const auto& [has, name] : flags) if (has) names[count++] = name;
  return makeNameList(env, names, count);
}

/** The levels this process may use, lowest first (what setIsa accepts). */
napi_value isaList(napi_env env) {
  const char* names[3];
  int count = 0;
  for (Isa isa : {Isa::generic, Isa::avx2, Isa::avx512}) if (isa <= allowedIsa()) names[count++] = isaName(isa);
  return makeNameList(env, names, count);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, numThreads(), &v);
  setProperty(env, obj, "threads", v);
  setString(env, obj, "isa", isaName(activeIsa()));
  setProperty(env, obj, "isas", isaList(env));
  setString(env, obj, "cpuIsa", isaName(cpuIsa()));
  setString(env, obj, "isaWarning", isaWarning());
  setString(env, obj, "gemmKernel", gemmKernelName());
  napi_get_boolean(env, cpuIsa() >= Isa::avx2, &v);
  setProperty(env, obj, "avx2", v);
  napi_get_boolean(env, cpuIsa() >= Isa::avx512, &v);
  setProperty(env, obj, "avx512", v);
  setString(env, obj, "cpuModel", cpuFeatures().model);
  setProperty(env, obj, "cpuFlags", cpuFlagList(env));
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

/** forceGenericGemm(flag): run the portable kernels (true) or the best allowed ones again (false). */
napi_value ForceGenericGemm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool flag = false;
  if (argc < 1 || napi_get_value_bool(env, argv[0], &flag) != napi_ok) {
    napi_throw_type_error(env, nullptr, "forceGenericGemm: expected a boolean");
    return nullptr;
  }
  if (flag) forceIsa(Isa::generic);
  else unforceIsa();
  return nullptr;
}

/** setIsa(name | null): run later kernels at that level ("avx512", "avx2", "generic"), or the best allowed (null). */
napi_value SetIsa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type == napi_null) {
    unforceIsa();
    return nullptr;
  }
  char name[16] = {};
  size_t len = 0;
  Isa isa;
  if (type != napi_string || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || !parseIsa(name, &isa)) {
    napi_throw_type_error(env, nullptr, "setIsa: expected \"avx512\", \"avx2\", \"generic\" or null");
    return nullptr;
  }
  if (!forceIsa(isa)) {
    const std::string msg = std::string("setIsa: ") + name + " is not available here (this process may use up to " + isaName(allowedIsa()) +
                            "; the CPU has " + isaName(cpuIsa()) + ")";
    napi_throw_range_error(env, nullptr, msg.c_str());
  }
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
    {"setIsa", SetIsa},
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
  nabla::activeIsa();  // reads NABLA_ISA now, so that its warning (if any) comes at load
  for (const auto& e : nabla::kEntries) {
    napi_value fn;
    if (napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, e.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
