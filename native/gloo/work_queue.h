// The process group's one worker thread: every collective runs there, strictly in the order the
// JavaScript thread submitted it (Gloo pairs collectives across ranks by order). Submitting never
// waits for the JavaScript thread, so collectives go on while it computes (DistributedDataParallel
// launches gradient buckets from inside backward); completions come back through a thread-safe
// function. A blocking submit (the *Sync collectives) waits on the JavaScript thread instead.
#pragma once
#include <node_api.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gloo/context.h>

namespace nabla_gloo {

struct Job {
  std::string name;
  // Runs on the worker with the group's context (null before init / after destroy). A non-empty
  // returned string is the error.
  std::function<void(std::shared_ptr<gloo::Context>&)> run;
  // init and destroy run even when the group is broken or absent.
  bool control = false;
  std::string error;
  // Asynchronous: the promise to settle and the arrays held until then.
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> refs;
  // Blocking: the JavaScript thread waits for done.
  bool blocking = false;
  bool done = false;
};

class WorkQueue {
 public:
  // Called once per Node environment, on the JavaScript thread.
  static napi_status setUp(napi_env env);
  static WorkQueue* get();

  // Queues an asynchronous job; the promise settles on the JavaScript thread.
  napi_value submit(napi_env env, std::unique_ptr<Job> job, const std::vector<napi_value>& hold);
  // Queues a job and waits for it (and everything queued before it); throws its error into JS.
  napi_value submitAndWait(napi_env env, std::unique_ptr<Job> job);

  // The world size of the joined group, 0 outside one (read on the JavaScript thread for checks).
  int worldSize() const { return worldSize_.load(); }
  void setWorldSize(int size) { worldSize_.store(size); }

 private:
  void loop();
  void finish(Job* job);
  static void callJs(napi_env env, napi_value, void* context, void* data);
  static void cleanup(void* arg);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable doneCv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;
  bool started_ = false;
  napi_threadsafe_function tsfn_ = nullptr;
  // Asynchronous jobs not yet settled (JavaScript thread only): the tsfn keeps Node alive while > 0.
  int unsettled_ = 0;
  std::shared_ptr<gloo::Context> context_;
  std::string broken_;
  std::atomic<int> worldSize_{0};
};

}  // namespace nabla_gloo
