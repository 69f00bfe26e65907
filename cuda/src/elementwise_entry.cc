// Entry points of the elementwise kernels (elementwise.cu): copy/cast, fill, unary, paramUnary,
// binary and where. Operands of any strides; the callers broadcast (zero strides) beforehand.

#include "entries.h"
#include "launch.h"
#include "ops.h"

namespace nabla_cuda {

napi_value Copy(napi_env env, napi_callback_info info) {
  return guarded(env, "copy", [&]() -> napi_value {
    Args a(env, info, "copy");
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    requireSameShape(a, x, "x", out, "out");
    launchCopy(x, out);
    return nullptr;
  });
}

napi_value Fill(napi_env env, napi_callback_info info) {
  return guarded(env, "fill", [&]() -> napi_value {
    Args a(env, info, "fill");
    const DView out = a.view("out");
    const double value = a.number("value");
    a.finish();
    launchFill(out, value);
    return nullptr;
  });
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, "unary", [&]() -> napi_value {
    Args a(env, info, "unary");
    const int op = static_cast<int>(a.integer("op", 0, static_cast<int>(UnaryOp::count) - 1));
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    requireSameShape(a, x, "x", out, "out");
    launchUnary(op, x, out);
    return nullptr;
  });
}

napi_value ParamUnary(napi_env env, napi_callback_info info) {
  return guarded(env, "paramUnary", [&]() -> napi_value {
    Args a(env, info, "paramUnary");
    const int op = static_cast<int>(a.integer("op", 0, static_cast<int>(ParamOp::count) - 1));
    const double p0 = a.number("first parameter"), p1 = a.number("second parameter");
    const DView x = a.view("x"), out = a.view("out");
    a.finish();
    requireSameShape(a, x, "x", out, "out");
    launchParamUnary(op, p0, p1, x, out);
    return nullptr;
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, "binary", [&]() -> napi_value {
    Args a(env, info, "binary");
    const int op = static_cast<int>(a.integer("op", 0, static_cast<int>(BinaryOp::count) - 1));
    const DView x = a.view("a"), y = a.view("b"), out = a.view("out");
    a.finish();
    requireSameShape(a, x, "a", out, "out");
    requireSameShape(a, y, "b", out, "out");
    launchBinary(op, x, y, out);
    return nullptr;
  });
}

napi_value Where(napi_env env, napi_callback_info info) {
  return guarded(env, "where", [&]() -> napi_value {
    Args a(env, info, "where");
    const DView cond = a.view("cond"), x = a.view("a"), y = a.view("b"), out = a.view("out");
    a.finish();
    requireDtype(a, cond, "cond", kBool);
    requireSameDtype(a, x, "a", out, "out");
    requireSameDtype(a, y, "b", out, "out");
    requireSameShape(a, cond, "cond", out, "out");
    requireSameShape(a, x, "a", out, "out");
    requireSameShape(a, y, "b", out, "out");
    launchWhere(cond, x, y, out);
    return nullptr;
  });
}

}  // namespace nabla_cuda
