#include "args.h"

#include <cmath>
#include <exception>
#include <new>

namespace nabla_cuda {

namespace {

/** Largest magnitude accepted for a size, stride or offset. */
constexpr double kLimit = 4503599627370496.0;  // 2^52

}  // namespace

void failArgument(const char* kernel, const std::string& message) {
  throw Error(ErrorKind::kArgument, std::string(kernel) + ": cuda backend: " + message);
}

Args::Args(napi_env env, napi_callback_info info, const char* kernel) : env_(env), kernel_(kernel) {
  argc_ = kMaxBuffers + 1;
  if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) fail("could not read the call's arguments");
  if (argc_ > kMaxBuffers + 1) argc_ = kMaxBuffers + 1;
  if (argc_ < 1) fail("missing the call description (a Float64Array)");
  bool isTyped = false;
  napi_is_typedarray(env, argv_[0], &isTyped);
  if (!isTyped) fail("the call description must be a Float64Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_get_typedarray_info(env, argv_[0], &type, &length, &data, nullptr, nullptr);
  if (type != napi_float64_array) fail("the call description must be a Float64Array");
  meta_ = static_cast<const double*>(data);
  // The first number is how many the call uses (the array is a reused scratch).
  if (length < 1 || !(meta_[0] >= 1) || meta_[0] > static_cast<double>(length) || meta_[0] != std::floor(meta_[0])) {
    fail("malformed call description");
  }
  metaLength_ = static_cast<size_t>(meta_[0]);
  pos_ = 1;
}

void Args::fail(const std::string& message) const { failArgument(kernel_, message); }

double Args::number(const char* what) {
  if (pos_ >= metaLength_) fail(std::string("call description ended before ") + what);
  return meta_[pos_++];
}

int64_t Args::integer(const char* what, int64_t lo, int64_t hi) {
  const double v = number(what);
  if (!(v == std::floor(v)) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    fail(std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

DView Args::view(const char* name) {
  const std::string who(name);
  DView v;
  v.dtype = static_cast<DType>(integer((who + "'s dtype").c_str(), 0, 3));
  const int64_t slot = integer((who + "'s buffer slot").c_str(), 1, kMaxBuffers);
  v.offset = integer((who + "'s offset").c_str(), 0, static_cast<int64_t>(kLimit));
  v.ndim = static_cast<int>(integer((who + "'s rank").c_str(), 0, kMaxDims));
  for (int i = 0; i < v.ndim; i++) v.shape[i] = integer((who + "'s shape").c_str(), 0, static_cast<int64_t>(kLimit));
  for (int i = 0; i < v.ndim; i++) v.strides[i] = integer((who + "'s strides").c_str(), -static_cast<int64_t>(kLimit), static_cast<int64_t>(kLimit));
  if (static_cast<size_t>(slot) >= argc_) fail(who + " names buffer " + std::to_string(slot) + " but only " + std::to_string(argc_ - 1) + " were passed");

  DeviceBuffer* b = unwrapBuffer(env_, argv_[slot]);
  if (!b) fail(who + "'s buffer is not a cuda device buffer (a tensor of another device passed to a cuda kernel?)");
  if (!b->live) fail(who + "'s buffer has been freed");
  v.buffer = b;
  v.base = static_cast<char*>(b->ptr);
  v.length = static_cast<int64_t>(b->bytes / itemSize(v.dtype));

  double n = 1;
  v.numel = 1;
  for (int i = 0; i < v.ndim; i++) {
    n *= static_cast<double>(v.shape[i]);
    v.numel *= v.shape[i];
    if (n > kLimit) fail(who + " of shape " + shapeText(v) + " is too large");
  }
  if (v.numel == 0) {
    if (v.offset > v.length) fail(who + "'s offset " + std::to_string(v.offset) + " is past its buffer of " + std::to_string(v.length) + " elements");
    return v;
  }
  // The lowest and highest element the view addresses must both lie inside the buffer.
  double lo = static_cast<double>(v.offset), hi = lo;
  for (int i = 0; i < v.ndim; i++) {
    const double span = static_cast<double>(v.shape[i] - 1) * static_cast<double>(v.strides[i]);
    if (span < 0) lo += span;
    else hi += span;
  }
  if (lo < 0 || hi >= static_cast<double>(v.length)) {
    fail(who + " (" + dtypeName(v.dtype) + ", shape " + shapeText(v) + ", strides " + shapeText(v.strides, v.ndim) + ", offset " + std::to_string(v.offset) +
         ") reaches elements " + std::to_string(static_cast<int64_t>(lo)) + ".." + std::to_string(static_cast<int64_t>(hi)) + " but its buffer holds " +
         std::to_string(v.length) + " (" + std::to_string(b->bytes) + " bytes)");
  }
  return v;
}

DView Args::optionalView(const char* name, bool& has) {
  has = integer((std::string(name) + "'s presence flag").c_str(), 0, 1) == 1;
  return has ? view(name) : DView{};
}

void Args::finish() {
  if (pos_ != metaLength_) fail("call description has " + std::to_string(metaLength_ - pos_) + " unread numbers (TypeScript/C++ mismatch)");
}

napi_value guarded(napi_env env, const char* name, const std::function<napi_value()>& body) {
  const char* code = "NABLA_CUDA_ERROR";
  std::string message;
  try {
    return body();
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::kArgument: code = "NABLA_CUDA_ARGUMENT"; break;
      case ErrorKind::kCuda: code = "NABLA_CUDA_ERROR"; break;
      case ErrorKind::kOutOfMemory: code = "NABLA_CUDA_OOM"; break;
      case ErrorKind::kDevice: code = "NABLA_CUDA_DEVICE"; break;
    }
    message = e.kind() == ErrorKind::kArgument ? e.what() : std::string(name) + ": " + e.what();
  } catch (const std::bad_alloc&) {
    message = std::string(name) + ": out of host memory";
  } catch (const std::exception& e) {
    message = std::string(name) + ": " + e.what();
  }
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, code, message.c_str());
  return nullptr;
}

}  // namespace nabla_cuda
