// Entry points of the index kernels (indexing.cu) and of random fills (random.cu). Shape rules are
// the cpu backend's (src/backend/cpu/indexing.ts); index values are checked on the device.

#include "entries.h"
#include "launch.h"

namespace nabla_cuda {

namespace {

void checkAxis(const Args& a, int64_t axis, int ndim) {
  if (axis >= ndim) a.fail("axis " + std::to_string(axis) + " is out of range for a view with " + std::to_string(ndim) + " dimension(s)");
}

void checkIndexLine(const Args& a, const DView& index) {
  requireDtype(a, index, "index", kInt32);
  if (index.ndim > 1) a.fail("index must be a 0-d or 1-d view, got " + std::to_string(index.ndim) + " dimensions");
}

/** `other` agrees with x on every dim but axis, where it has n entries. */
void checkSlices(const Args& a, const DView& x, const DView& other, int axis, int64_t n, const char* otherName) {
  bool ok = other.ndim == x.ndim;
  for (int d = 0; ok && d < x.ndim; d++) ok = other.shape[d] == (d == axis ? n : x.shape[d]);
  if (!ok) a.fail(std::string(otherName) + " shape " + shapeText(other) + " does not match " + shapeText(x) + " with dimension " + std::to_string(axis) + " of size " + std::to_string(n));
}

/** gather / scatterAdd: index has target's rank, fits it off the axis, and fits the values (exactly for gather). */
void checkElements(const Args& a, const DView& target, int axis, const DView& index, const DView& values, bool exact) {
  requireDtype(a, index, "index", kInt32);
  if (index.ndim != target.ndim || values.ndim != target.ndim)
    a.fail("index " + shapeText(index) + " and values " + shapeText(values) + " must have the rank of the indexed view " + shapeText(target));
  for (int d = 0; d < target.ndim; d++) {
    const int64_t v = values.shape[d], i = index.shape[d];
    if ((exact ? v != i : v < i) || (d != axis && i > target.shape[d]))
      a.fail("index " + shapeText(index) + " does not fit the indexed view " + shapeText(target) + " (dimension " + std::to_string(axis) +
             " is indexed) and values " + shapeText(values));
  }
}

void checkAccumulable(const Args& a, const DView& out, const DView& src) {
  if (out.dtype == kBool) a.fail("out must be float32, float64 or int32 (bool accumulation is not supported on the device)");
  requireSameDtype(a, out, "out", src, "src");
}

}  // namespace

napi_value IndexSelect(napi_env env, napi_callback_info info) {
  return guarded(env, "indexSelect", [&]() -> napi_value {
    Args a(env, info, "indexSelect");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const DView x = a.view("x"), index = a.view("index"), out = a.view("out");
    a.finish();
    checkAxis(a, axis, x.ndim);
    checkIndexLine(a, index);
    checkSlices(a, x, out, static_cast<int>(axis), index.ndim == 0 ? 1 : index.shape[0], "out");
    requireSameDtype(a, x, "x", out, "out");
    launchIndexSelect(x, static_cast<int>(axis), index, out);
    return nullptr;
  });
}

napi_value IndexAdd(napi_env env, napi_callback_info info) {
  return guarded(env, "indexAdd", [&]() -> napi_value {
    Args a(env, info, "indexAdd");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const DView out = a.view("out"), index = a.view("index"), src = a.view("src");
    a.finish();
    checkAxis(a, axis, out.ndim);
    checkIndexLine(a, index);
    checkSlices(a, out, src, static_cast<int>(axis), index.ndim == 0 ? 1 : index.shape[0], "src");
    checkAccumulable(a, out, src);
    launchIndexAdd(out, static_cast<int>(axis), index, src);
    return nullptr;
  });
}

napi_value Gather(napi_env env, napi_callback_info info) {
  return guarded(env, "gather", [&]() -> napi_value {
    Args a(env, info, "gather");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const DView x = a.view("x"), index = a.view("index"), out = a.view("out");
    a.finish();
    checkAxis(a, axis, x.ndim);
    checkElements(a, x, static_cast<int>(axis), index, out, true);
    requireSameDtype(a, x, "x", out, "out");
    launchGather(x, static_cast<int>(axis), index, out);
    return nullptr;
  });
}

napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  return guarded(env, "scatterAdd", [&]() -> napi_value {
    Args a(env, info, "scatterAdd");
    const int64_t axis = a.integer("axis", 0, kMaxDims - 1);
    const DView out = a.view("out"), index = a.view("index"), src = a.view("src");
    a.finish();
    checkAxis(a, axis, out.ndim);
    checkElements(a, out, static_cast<int>(axis), index, src, false);
    checkAccumulable(a, out, src);
    launchScatterAdd(out, static_cast<int>(axis), index, src);
    return nullptr;
  });
}

napi_value Random(napi_env env, napi_callback_info info) {
  return guarded(env, "random", [&]() -> napi_value {
    Args a(env, info, "random");
    const bool normal = a.integer("distribution (0 uniform, 1 normal)", 0, 1) == 1;
    const int64_t u32 = 4294967295LL;
    const uint64_t seedLo = a.integer("seed low word", 0, u32), seedHi = a.integer("seed high word", 0, u32);
    const uint64_t offLo = a.integer("offset low word", 0, u32), offHi = a.integer("offset high word", 0, u32);
    const DView out = a.view("out");
    a.finish();
    requireFloat(a, out, "out");
    launchRandom(out, normal, (seedHi << 32) | seedLo, (offHi << 32) | offLo);
    return nullptr;
  });
}

}  // namespace nabla_cuda
