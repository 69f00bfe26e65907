// Argument decoding and validation for the addon's entry points, after native/src/checks.h.
//
// A kernel call from JavaScript is (meta, buffer1, buffer2, ...): `meta` is a Float64Array with the
// call's numbers (op codes, parameters, and each view as dtype, buffer slot, offset, rank, shape,
// strides; src/backend/native/encode.ts writes it) and the buffers are this addon's device-buffer
// Externals. Nothing is trusted: every view is checked against its buffer's byte size before a
// kernel is queued, and the first failure throws an Error naming the kernel and the operand.

#pragma once

#include <node_api.h>

#include <cstdint>
#include <functional>
#include <string>

#include "buffer.h"
#include "common.h"
#include "view.h"

namespace nabla_cuda {

constexpr int kMaxBuffers = 8;

class Args {
 public:
  Args(napi_env env, napi_callback_info info, const char* kernel);

  const char* kernel() const { return kernel_; }
  /** The next number of meta, which must be an integer in [lo, hi]. */
  int64_t integer(const char* what, int64_t lo, int64_t hi);
  /** The next number of meta as is (NaN included). */
  double number(const char* what);
  /** The next view of meta, bound to its buffer and checked to stay inside it. */
  DView view(const char* name);
  /** A presence flag, then the view when present (has = false otherwise). */
  DView optionalView(const char* name, bool& has);
  /** Every meta number consumed: guards against a TypeScript/C++ layout mismatch. */
  void finish();
  /** Throw `kernel: cuda backend: message`. */
  [[noreturn]] void fail(const std::string& message) const;

  napi_env env() const { return env_; }
  size_t argc() const { return argc_; }
  napi_value arg(size_t i) const { return argv_[i]; }

 private:
  napi_env env_;
  const char* kernel_;
  const double* meta_ = nullptr;
  size_t metaLength_ = 0;
  size_t pos_ = 0;
  size_t argc_ = 0;
  napi_value argv_[kMaxBuffers + 1] = {};
};

/**
 * Run an entry point's body, turning an Error (or any C++ exception) into a thrown JavaScript Error
 * with a `code`: NABLA_CUDA_ARGUMENT, NABLA_CUDA_ERROR, NABLA_CUDA_OOM or NABLA_CUDA_DEVICE.
 * Messages other than argument errors are prefixed with the entry point's name.
 */
napi_value guarded(napi_env env, const char* name, const std::function<napi_value()>& body);

/** Kernel-side argument failure outside Args (shape rules): "kernel: cuda backend: message". */
[[noreturn]] void failArgument(const char* kernel, const std::string& message);

}  // namespace nabla_cuda
