// nabla's CUDA backend: the Node-API module. Exports one function per kernel (entries.h) plus
// device and memory controls: info() (devices, libraries, op tables; never touches the GPU beyond
// counting devices), init(), buffer alloc/free/upload/read/write, synchronize(), memoryStats(),
// emptyCache(), and the TF32 switch. Built by scripts/build-cuda.mjs with nvcc.

#include <node_api.h>

#include <cstring>
#include <string>

#include "allocator.h"
#include "args.h"
#include "buffer.h"
#include "context.h"
#include "entries.h"
#include "ops.h"

#ifndef NABLA_CUDA_ARCH
#define NABLA_CUDA_ARCH "unknown"
#endif

namespace nabla_cuda {

namespace {

void set(napi_env env, napi_value obj, const char* key, napi_value v) { napi_set_named_property(env, obj, key, v); }

napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value str(napi_env env, const std::string& s) {
  napi_value r;
  napi_create_string_utf8(env, s.c_str(), s.size(), &r);
  return r;
}

napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

napi_value nameList(napi_env env, const char* const* names, int count) {
  napi_value arr;
  napi_create_array_with_length(env, count, &arr);
  for (int i = 0; i < count; i++) napi_set_element(env, arr, i, str(env, names[i]));
  return arr;
}

#define NABLA_CUDA_NAME(name) #name,
const char* const kUnaryNames[] = {NABLA_CUDA_UNARY_OPS(NABLA_CUDA_NAME)};
const char* const kParamNames[] = {NABLA_CUDA_PARAM_OPS(NABLA_CUDA_NAME)};
const char* const kBinaryNames[] = {NABLA_CUDA_BINARY_OPS(NABLA_CUDA_NAME)};
const char* const kReduceNames[] = {NABLA_CUDA_REDUCE_OPS(NABLA_CUDA_NAME)};
#undef NABLA_CUDA_NAME

/** Up to n arguments of a plain (non-kernel) entry point. */
struct Plain {
  size_t argc;
  napi_value argv[4];
  Plain(napi_env env, napi_callback_info info) : argc(4) { napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr); }
};

double numberArg(napi_env env, const Plain& p, size_t i, const char* fn, const char* what) {
  double v = 0;
  if (i >= p.argc || napi_get_value_double(env, p.argv[i], &v) != napi_ok) {
    throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: " + what + " must be a number");
  }
  return v;
}

int64_t countArg(napi_env env, const Plain& p, size_t i, const char* fn, const char* what) {
  const double v = numberArg(env, p, i, fn, what);
  if (!(v >= 0 && v <= 9007199254740991.0) || v != static_cast<double>(static_cast<int64_t>(v))) {
    throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: " + what + " must be a non-negative integer, got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

DeviceBuffer* bufferArg(napi_env env, const Plain& p, size_t i, const char* fn) {
  DeviceBuffer* b = i < p.argc ? unwrapBuffer(env, p.argv[i]) : nullptr;
  if (!b) throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: expected a cuda device buffer");
  if (!b->live) throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: the buffer has been freed");
  return b;
}

/** A typed array argument: its data, byte length and element type code. */
struct HostArray {
  void* data = nullptr;
  size_t bytes = 0;
  int dtype = -1;
};

HostArray hostArrayArg(napi_env env, const Plain& p, size_t i, const char* fn) {
  bool isTyped = false;
  if (i < p.argc) napi_is_typedarray(env, p.argv[i], &isTyped);
  if (!isTyped) throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: expected a typed array");
  napi_typedarray_type type;
  size_t length = 0;
  HostArray h;
  napi_get_typedarray_info(env, p.argv[i], &type, &length, &h.data, nullptr, nullptr);
  switch (type) {
    case napi_float32_array: h.dtype = kFloat32; break;
    case napi_float64_array: h.dtype = kFloat64; break;
    case napi_int32_array: h.dtype = kInt32; break;
    case napi_uint8_array: h.dtype = kBool; break;
    default: throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: expected a Float32Array, Float64Array, Int32Array or Uint8Array");
  }
  h.bytes = length * itemSize(h.dtype);
  return h;
}

napi_value newBuffer(napi_env env, size_t bytes) {
  auto* b = new DeviceBuffer();
  b->ptr = deviceAlloc(bytes, b->block);
  b->bytes = bytes;
  return wrapBuffer(env, b);
}

napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, "info", [&]() -> napi_value {
    const DeviceInfo d = probeDevices();
    napi_value o;
    napi_create_object(env, &o);
    set(env, o, "deviceCount", num(env, d.count));
    set(env, o, "deviceError", str(env, d.countError));
    set(env, o, "runtimeVersion", num(env, d.runtimeVersion));
    set(env, o, "driverVersion", num(env, d.driverVersion));
    set(env, o, "cublas", boolean(env, haveCublas()));
    set(env, o, "cudnn", boolean(env, haveCudnn()));
    set(env, o, "cudnnVersion", str(env, haveCudnn() ? cudnnVersionText() : ""));
    set(env, o, "arch", str(env, NABLA_CUDA_ARCH));
    set(env, o, "initialized", boolean(env, initialized()));
    set(env, o, "unaryOps", nameList(env, kUnaryNames, static_cast<int>(UnaryOp::count)));
    set(env, o, "paramOps", nameList(env, kParamNames, static_cast<int>(ParamOp::count)));
    set(env, o, "binaryOps", nameList(env, kBinaryNames, static_cast<int>(BinaryOp::count)));
    set(env, o, "reduceOps", nameList(env, kReduceNames, static_cast<int>(ReduceOp::count)));
    return o;
  });
}

/** init(): select the device and create the stream; returns its description. */
napi_value Init(napi_env env, napi_callback_info) {
  return guarded(env, "init", [&]() -> napi_value {
    ensureInit();
    const cudaDeviceProp& p = deviceProps();
    napi_value o;
    napi_create_object(env, &o);
    set(env, o, "name", str(env, p.name));
    set(env, o, "computeCapability", str(env, std::to_string(p.major) + "." + std::to_string(p.minor)));
    set(env, o, "multiProcessors", num(env, p.multiProcessorCount));
    set(env, o, "totalMemory", num(env, static_cast<double>(p.totalGlobalMem)));
    return o;
  });
}

/**
 * alloc(bytes, zero = true): a device buffer, zero-filled unless `zero` is false (the cpu backend's
 * buffers start zeroed and nb.zeros relies on it; scratch copies skip the fill).
 */
napi_value Alloc(napi_env env, napi_callback_info info) {
  return guarded(env, "alloc", [&]() -> napi_value {
    Plain p(env, info);
    const int64_t bytes = countArg(env, p, 0, "alloc", "the byte count");
    bool zero = true;
    if (p.argc > 1) {
      napi_valuetype t;
      napi_typeof(env, p.argv[1], &t);
      if (t == napi_boolean) napi_get_value_bool(env, p.argv[1], &zero);
    }
    napi_value ext = newBuffer(env, static_cast<size_t>(bytes));
    DeviceBuffer* b = unwrapBuffer(env, ext);
    if (zero && b && b->ptr) checkCuda(cudaMemsetAsync(b->ptr, 0, b->bytes, stream()), "cudaMemsetAsync");
    return ext;
  });
}

napi_value Free(napi_env env, napi_callback_info info) {
  return guarded(env, "free", [&]() -> napi_value {
    Plain p(env, info);
    DeviceBuffer* b = p.argc > 0 ? unwrapBuffer(env, p.argv[0]) : nullptr;
    if (!b) throw Error(ErrorKind::kArgument, "free: cuda backend: expected a cuda device buffer");
    releaseBuffer(b);  // freeing twice is harmless
    return nullptr;
  });
}

napi_value BufferBytes(napi_env env, napi_callback_info info) {
  return guarded(env, "bufferBytes", [&]() -> napi_value {
    Plain p(env, info);
    DeviceBuffer* b = p.argc > 0 ? unwrapBuffer(env, p.argv[0]) : nullptr;
    if (!b) throw Error(ErrorKind::kArgument, "bufferBytes: cuda backend: expected a cuda device buffer");
    return num(env, b->live ? static_cast<double>(b->bytes) : -1.0);
  });
}

/** fromHost(typedArray): a new device buffer holding a copy of the array. */
napi_value FromHost(napi_env env, napi_callback_info info) {
  return guarded(env, "fromHost", [&]() -> napi_value {
    Plain p(env, info);
    const HostArray h = hostArrayArg(env, p, 0, "fromHost");
    napi_value ext = newBuffer(env, h.bytes);
    DeviceBuffer* b = unwrapBuffer(env, ext);
    // Pageable source: the call returns once the data is staged, so the array may change afterwards.
    if (b && b->ptr) checkCuda(cudaMemcpyAsync(b->ptr, h.data, h.bytes, cudaMemcpyHostToDevice, stream()), "cudaMemcpyAsync (host to device)");
    return ext;
  });
}

/** Check [offset, offset + count) elements of dtype fit the buffer. */
void checkRange(const char* fn, const DeviceBuffer* b, int dtype, int64_t offset, int64_t count) {
  const int64_t length = static_cast<int64_t>(b->bytes / itemSize(dtype));
  if (offset + count > length) {
    throw Error(ErrorKind::kArgument, std::string(fn) + ": cuda backend: elements " + std::to_string(offset) + ".." + std::to_string(offset + count) +
                                          " are outside a buffer of " + std::to_string(length) + " " + dtypeName(dtype) + " elements");
  }
}

/** read(buffer, dtype, offset, count): a host typed array copy; waits for queued work. */
napi_value Read(napi_env env, napi_callback_info info) {
  return guarded(env, "read", [&]() -> napi_value {
    Plain p(env, info);
    DeviceBuffer* b = bufferArg(env, p, 0, "read");
    const int64_t dtype = countArg(env, p, 1, "read", "the dtype code");
    if (dtype > 3) throw Error(ErrorKind::kArgument, "read: cuda backend: unknown dtype code " + std::to_string(dtype));
    const int64_t offset = countArg(env, p, 2, "read", "the offset"), count = countArg(env, p, 3, "read", "the element count");
    checkRange("read", b, static_cast<int>(dtype), offset, count);
    const size_t size = itemSize(static_cast<int>(dtype));
    void* data = nullptr;
    napi_value ab, arr;
    if (napi_create_arraybuffer(env, count * size, &data, &ab) != napi_ok) throw Error(ErrorKind::kArgument, "read: could not allocate the host array");
    const napi_typedarray_type types[] = {napi_float32_array, napi_float64_array, napi_int32_array, napi_uint8_array};
    napi_create_typedarray(env, types[dtype], count, ab, 0, &arr);
    if (count > 0) {
      checkCuda(cudaMemcpyAsync(data, static_cast<char*>(b->ptr) + offset * size, count * size, cudaMemcpyDeviceToHost, stream()),
                "cudaMemcpyAsync (device to host)");
    }
    synchronize("read");
    return arr;
  });
}

/** write(buffer, offset, typedArray): copy host elements into the buffer at an element offset. */
napi_value Write(napi_env env, napi_callback_info info) {
  return guarded(env, "write", [&]() -> napi_value {
    Plain p(env, info);
    DeviceBuffer* b = bufferArg(env, p, 0, "write");
    const int64_t offset = countArg(env, p, 1, "write", "the offset");
    const HostArray h = hostArrayArg(env, p, 2, "write");
    const size_t size = itemSize(h.dtype);
    checkRange("write", b, h.dtype, offset, static_cast<int64_t>(h.bytes / size));
    if (h.bytes > 0) {
      checkCuda(cudaMemcpyAsync(static_cast<char*>(b->ptr) + offset * size, h.data, h.bytes, cudaMemcpyHostToDevice, stream()),
                "cudaMemcpyAsync (host to device)");
    }
    return nullptr;
  });
}

napi_value Synchronize(napi_env env, napi_callback_info) {
  return guarded(env, "synchronize", [&]() -> napi_value {
    synchronize("synchronize");
    return nullptr;
  });
}

napi_value MemoryStatsEntry(napi_env env, napi_callback_info) {
  return guarded(env, "memoryStats", [&]() -> napi_value {
    const MemoryStats s = memoryStats();
    napi_value o;
    napi_create_object(env, &o);
    set(env, o, "allocatedBytes", num(env, static_cast<double>(s.allocated)));
    set(env, o, "reservedBytes", num(env, static_cast<double>(s.reserved)));
    set(env, o, "peakAllocatedBytes", num(env, static_cast<double>(s.peak)));
    set(env, o, "cachedBytes", num(env, static_cast<double>(s.cached)));
    set(env, o, "cudaMallocs", num(env, static_cast<double>(s.mallocs)));
    set(env, o, "cudaFrees", num(env, static_cast<double>(s.frees)));
    set(env, o, "liveBlocks", num(env, static_cast<double>(s.blocks)));
    if (initialized()) {
      size_t freeBytes = 0, total = 0;
      if (cudaMemGetInfo(&freeBytes, &total) == cudaSuccess) {
        set(env, o, "deviceFreeBytes", num(env, static_cast<double>(freeBytes)));
        set(env, o, "deviceTotalBytes", num(env, static_cast<double>(total)));
      }
    }
    return o;
  });
}

napi_value ResetPeak(napi_env env, napi_callback_info) {
  return guarded(env, "resetPeakMemory", [&]() -> napi_value {
    resetPeak();
    return nullptr;
  });
}

napi_value EmptyCache(napi_env env, napi_callback_info) {
  return guarded(env, "emptyCache", [&]() -> napi_value {
    emptyCache();
    return nullptr;
  });
}

napi_value SetAllowTF32(napi_env env, napi_callback_info info) {
  return guarded(env, "allowTF32", [&]() -> napi_value {
    Plain p(env, info);
    bool flag = false;
    if (p.argc < 1 || napi_get_value_bool(env, p.argv[0], &flag) != napi_ok) throw Error(ErrorKind::kArgument, "allowTF32: expected a boolean");
    setTf32Allowed(flag);
    applyTf32ToCublas();
    return nullptr;
  });
}

napi_value GetAllowTF32(napi_env env, napi_callback_info) {
  return guarded(env, "allowTF32", [&]() -> napi_value { return boolean(env, tf32Allowed()); });
}

struct Entry {
  const char* name;
  napi_callback fn;
};

const Entry kEntries[] = {
    {"info", Info}, {"init", Init}, {"alloc", Alloc}, {"free", Free}, {"bufferBytes", BufferBytes}, {"fromHost", FromHost},
    {"read", Read}, {"write", Write}, {"synchronize", Synchronize}, {"memoryStats", MemoryStatsEntry}, {"resetPeakMemory", ResetPeak},
    {"emptyCache", EmptyCache}, {"setAllowTF32", SetAllowTF32}, {"getAllowTF32", GetAllowTF32},
    {"copy", Copy}, {"fill", Fill}, {"unary", Unary}, {"paramUnary", ParamUnary}, {"binary", Binary}, {"where", Where},
    {"reduce", Reduce}, {"argReduce", ArgReduce}, {"softmax", Softmax}, {"softmaxBackward", SoftmaxBackward},
    {"matmul", Matmul}, {"conv", Conv}, {"convBackwardData", ConvBackwardData}, {"convBackwardFilter", ConvBackwardFilter},
    {"pool", Pool}, {"poolBackward", PoolBackward}, {"maxPoolBackward", MaxPoolBackward},
    {"moments", Moments}, {"channelMoments", ChannelMoments}, {"batchNormApply", BatchNormApply}, {"batchNormBackward", BatchNormBackward},
    {"indexSelect", IndexSelect}, {"indexAdd", IndexAdd}, {"gather", Gather}, {"scatterAdd", ScatterAdd}, {"random", Random},
    {"adamStep", AdamStep}, {"sgdStep", SgdStep}, {"crossEntropyForward", CrossEntropyForward}, {"crossEntropyBackward", CrossEntropyBackward},
};

}  // namespace

}  // namespace nabla_cuda

NAPI_MODULE_INIT() {
  for (const auto& e : nabla_cuda::kEntries) {
    napi_value fn;
    if (napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, e.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
