// Argument decoding and validation for every entry point of the addon.
//
// A call from JavaScript is (meta, buffer0, buffer1, ...): `meta` is a Float64Array holding the
// call's numbers (op codes, parameters and each view's dtype, buffer slot, offset, shape and
// strides) and the buffers are the typed arrays the views point into. Nothing is trusted: each
// view is checked against its typed array's type and length before any kernel runs, and every
// failure throws a JavaScript error that names the kernel and the offending operand. A kernel
// that returns from a failed check has touched no memory.

#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace nabla {

/** Element types, numbered as the TypeScript side numbers them. */
enum DType : int { kFloat32 = 0, kFloat64 = 1, kInt32 = 2, kBool = 3 };

constexpr int kMaxDims = 16;
constexpr int kMaxBuffers = 16;  // recurrentBackward passes 14

/** A strided window onto a typed array: element (i0, i1, ...) is at data[offset + sum ik*strides[k]]. */
struct View {
  DType dtype = kFloat32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  int64_t offset = 0;
  int64_t numel = 0;
  /** Element 0 of the typed array (not of the view). */
  void* data = nullptr;
  /** Elements in the typed array. */
  int64_t length = 0;

  template <class T>
  T* at() const { return static_cast<T*>(data) + offset; }
  /** True when the view covers numel elements densely in row-major order from offset. */
  bool dense() const;
  /** The shape as "[2, 3]" for messages. */
  std::string shapeText() const;
};

/** Reads one call's arguments; the first failure throws a JavaScript error and sets failed. */
class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* kernel);

  bool ok() const { return !failed_; }
  napi_env env() const { return env_; }
  const char* kernel() const { return kernel_; }

  /** The next number of meta, which must be an integer in [lo, hi]. */
  int64_t integer(const char* what, int64_t lo, int64_t hi);
  /** The next number of meta as a double (any value, NaN included). */
  double number(const char* what);
  /** The next view of meta, bound to its buffer and checked to stay inside it. */
  bool view(View& v, const char* name);
  /** Throw `kernel: message` (once) and mark the call failed; returns false for `return fail(...)`. */
  bool fail(const std::string& message);
  /** Numbers of meta not read yet (bounds a count before anything is sized by it). */
  size_t remaining() const { return failed_ ? 0 : metaLength_ - pos_; }
  /** Every meta number consumed: guards against a TypeScript/C++ layout mismatch. */
  bool finish();

 private:
  napi_env env_;
  const char* kernel_;
  bool failed_ = false;
  const double* meta_ = nullptr;
  size_t metaLength_ = 0;
  size_t pos_ = 0;
  size_t argc_ = 0;
  napi_value argv_[kMaxBuffers + 1] = {};
};

/** Shape equality for messages and checks. */
bool sameShape(const View& a, const View& b);
/** Whether every element of `shape` is equal to the given list. */
std::string shapeText(const int64_t* shape, int ndim);

/** Overflow-checked product of the dims (false on overflow past 2^53). */
bool checkedNumel(const int64_t* shape, int ndim, int64_t& out);

}  // namespace nabla
