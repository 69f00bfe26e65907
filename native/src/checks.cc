#include "checks.h"

#include <cmath>

namespace nabla {

namespace {

/** Largest magnitude accepted for a size, stride or offset (typed arrays are far smaller). */
constexpr double kLimit = 4503599627370496.0;  // 2^52

const char* dtypeName(int d) {
  switch (d) {
    case kFloat32: return "float32";
    case kFloat64: return "float64";
    case kInt32: return "int32";
    case kBool: return "bool";
  }
  return "?";
}

bool arrayTypeMatches(DType d, napi_typedarray_type t) {
  switch (d) {
    case kFloat32: return t == napi_float32_array;
    case kFloat64: return t == napi_float64_array;
    case kInt32: return t == napi_int32_array;
    case kBool: return t == napi_uint8_array;
  }
  return false;
}

}  // namespace

bool View::dense() const {
  int64_t expected = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    if (shape[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

std::string shapeText(const int64_t* shape, int ndim) {
  std::string s = "[";
  for (int i = 0; i < ndim; i++) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string View::shapeText() const { return nabla::shapeText(shape, ndim); }

bool sameShape(const View& a, const View& b) {
  if (a.ndim != b.ndim) return false;
  for (int i = 0; i < a.ndim; i++)
    if (a.shape[i] != b.shape[i]) return false;
  return true;
}

bool checkedNumel(const int64_t* shape, int ndim, int64_t& out) {
  double n = 1;
  int64_t m = 1;
  for (int i = 0; i < ndim; i++) {
    n *= static_cast<double>(shape[i]);
    m *= shape[i];
    if (n > kLimit) return false;
  }
  out = m;
  return true;
}

Args::Args(napi_env env, napi_callback_info info, const char* kernel) : env_(env), kernel_(kernel) {
  argc_ = kMaxBuffers + 1;
  if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) {
    fail("could not read the call's arguments");
    return;
  }
  if (argc_ > kMaxBuffers + 1) argc_ = kMaxBuffers + 1;
  if (argc_ < 1) {
    fail("missing the call description (a Float64Array)");
    return;
  }
  bool isTyped = false;
  napi_is_typedarray(env, argv_[0], &isTyped);
  if (!isTyped) {
    fail("the call description must be a Float64Array");
    return;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, argv_[0], &type, &length, &data, nullptr, nullptr);
  if (type != napi_float64_array) {
    fail("the call description must be a Float64Array");
    return;
  }
  meta_ = static_cast<const double*>(data);
  metaLength_ = length;
  // The first number is how many the call uses (the array is a reused scratch).
  if (metaLength_ < 1 || !(meta_[0] >= 1) || meta_[0] > static_cast<double>(metaLength_) || meta_[0] != std::floor(meta_[0])) {
    fail("malformed call description");
    return;
  }
  metaLength_ = static_cast<size_t>(meta_[0]);
  pos_ = 1;
}

bool Args::fail(const std::string& message) {
  if (!failed_) {
    failed_ = true;
    std::string full = std::string(kernel_) + ": native backend: " + message;
    napi_throw_error(env_, "NABLA_NATIVE_ARGUMENT", full.c_str());
  }
  return false;
}

double Args::number(const char* what) {
  if (failed_) return 0;
  if (pos_ >= metaLength_) {
    fail(std::string("call description ended before ") + what);
    return 0;
  }
  return meta_[pos_++];
}

int64_t Args::integer(const char* what, int64_t lo, int64_t hi) {
  double v = number(what);
  if (failed_) return 0;
  if (!(v == std::floor(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    fail(std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
    return 0;
  }
  return static_cast<int64_t>(v);
}

bool Args::view(View& v, const char* name) {
  if (failed_) return false;
  const std::string who = std::string(name);
  int64_t dtype = integer((who + "'s dtype").c_str(), 0, 3);
  int64_t slot = integer((who + "'s buffer slot").c_str(), 1, static_cast<int64_t>(kMaxBuffers));
  int64_t offset = integer((who + "'s offset").c_str(), 0, static_cast<int64_t>(kLimit));
  int64_t ndim = integer((who + "'s rank").c_str(), 0, kMaxDims);
  if (failed_) return false;
  v.dtype = static_cast<DType>(dtype);
  v.ndim = static_cast<int>(ndim);
  v.offset = offset;
  for (int i = 0; i < v.ndim; i++) v.shape[i] = integer((who + "'s shape").c_str(), 0, static_cast<int64_t>(kLimit));
  for (int i = 0; i < v.ndim; i++) v.strides[i] = integer((who + "'s strides").c_str(), -static_cast<int64_t>(kLimit), static_cast<int64_t>(kLimit));
  if (failed_) return false;
  if (static_cast<size_t>(slot) >= argc_) return fail(who + " names buffer " + std::to_string(slot) + " but only " + std::to_string(argc_ - 1) + " were passed");

  napi_value buf = argv_[slot];
  bool isTyped = false;
  napi_is_typedarray(env_, buf, &isTyped);
  if (!isTyped) return fail(who + "'s buffer is not a typed array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env_, buf, &type, &length, &data, nullptr, nullptr) != napi_ok) return fail(who + "'s buffer could not be read");
  if (!arrayTypeMatches(v.dtype, type)) return fail(who + " is " + dtypeName(v.dtype) + " but its buffer is a different typed array");
  v.data = data;
  v.length = static_cast<int64_t>(length);

  if (!checkedNumel(v.shape, v.ndim, v.numel)) return fail(who + " of shape " + v.shapeText() + " is too large");
  if (v.numel == 0) {
    if (v.offset > v.length) return fail(who + "'s offset " + std::to_string(v.offset) + " is past its buffer of " + std::to_string(v.length) + " elements");
    return true;
  }
  // The lowest and highest element the view addresses must both lie inside the buffer.
  double lo = static_cast<double>(v.offset), hi = lo;
  for (int i = 0; i < v.ndim; i++) {
    double span = static_cast<double>(v.shape[i] - 1) * static_cast<double>(v.strides[i]);
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= static_cast<double>(v.length)) {
    return fail(who + " (shape " + v.shapeText() + ", strides " + nabla::shapeText(v.strides, v.ndim) + ", offset " + std::to_string(v.offset) +
                ") reaches elements " + std::to_string(static_cast<int64_t>(lo)) + ".." + std::to_string(static_cast<int64_t>(hi)) +
                " but its buffer holds " + std::to_string(v.length));
  }
  return true;
}

bool Args::finish() {
  if (failed_) return false;
  if (pos_ != metaLength_) return fail("call description has " + std::to_string(metaLength_ - pos_) + " unread numbers (TypeScript/C++ mismatch)");
  return true;
}

}  // namespace nabla
