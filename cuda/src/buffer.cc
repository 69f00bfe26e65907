#include "buffer.h"

#include "allocator.h"

namespace nabla_cuda {

namespace {

// Marks Externals made by this addon (napi_type_tag_object, Node-API 8).
const napi_type_tag kBufferTag = {0x6e61626c61637564ULL, 0x6275666665723031ULL};

void finalize(napi_env, void* data, void*) {
  auto* b = static_cast<DeviceBuffer*>(data);
  releaseBuffer(b);
  delete b;
}

}  // namespace

napi_value wrapBuffer(napi_env env, DeviceBuffer* b) {
  napi_value ext;
  if (napi_create_external(env, b, finalize, nullptr, &ext) != napi_ok) {
    releaseBuffer(b);
    delete b;
    return nullptr;
  }
  napi_type_tag_object(env, ext, &kBufferTag);
  return ext;
}

DeviceBuffer* unwrapBuffer(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return nullptr;
  bool ours = false;
  if (napi_check_object_type_tag(env, v, &kBufferTag, &ours) != napi_ok || !ours) return nullptr;
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<DeviceBuffer*>(data);
}

void releaseBuffer(DeviceBuffer* b) {
  if (!b->live) return;
  b->live = false;
  deviceRelease(b->ptr, b->block);
  b->ptr = nullptr;
}

}  // namespace nabla_cuda
