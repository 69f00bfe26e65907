#include "work_queue.h"

#include <exception>

namespace nabla_gloo {

namespace {
// Leaked on purpose: the worker thread is detached and may outlive static destructors at exit.
WorkQueue* g_queue = nullptr;
}  // namespace

napi_status WorkQueue::setUp(napi_env env) {
  if (g_queue) return napi_ok;
  auto* q = new WorkQueue();
  napi_value name;
  napi_status s = napi_create_string_utf8(env, "nabla_gloo", NAPI_AUTO_LENGTH, &name);
  if (s != napi_ok) return s;
  s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, q, callJs, &q->tsfn_);
  if (s != napi_ok) return s;
  // Idle, the queue must not keep Node running.
  napi_unref_threadsafe_function(env, q->tsfn_);
  napi_add_env_cleanup_hook(env, cleanup, q);
  g_queue = q;
  return napi_ok;
}

WorkQueue* WorkQueue::get() { return g_queue; }

void WorkQueue::cleanup(void* arg) {
  auto* q = static_cast<WorkQueue*>(arg);
  std::lock_guard<std::mutex> lock(q->mutex_);
  q->stopping_ = true;
  q->wake_.notify_all();
}

napi_value WorkQueue::submit(napi_env env, std::unique_ptr<Job> job, const std::vector<napi_value>& hold) {
  napi_value promise;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    napi_throw_error(env, nullptr, "nabla_gloo: could not create a promise");
    return nullptr;
  }
  for (napi_value v : hold) {
    napi_ref r;
    napi_create_reference(env, v, 1, &r);
    job->refs.push_back(r);
  }
  if (unsettled_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!started_) {
    started_ = true;
    std::thread([this] { loop(); }).detach();
  }
  queue_.push_back(job.release());
  wake_.notify_one();
  return promise;
}

napi_value WorkQueue::submitAndWait(napi_env env, std::unique_ptr<Job> job) {
  job->blocking = true;
  Job* raw = job.get();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!started_) {
      started_ = true;
      std::thread([this] { loop(); }).detach();
    }
    queue_.push_back(raw);
    wake_.notify_one();
    doneCv_.wait(lock, [raw] { return raw->done; });
  }
  if (!raw->error.empty()) {
    std::string text = "distributed." + raw->name + ": " + raw->error;
    napi_throw_error(env, nullptr, text.c_str());
    return nullptr;
  }
  napi_value undef;
  napi_get_undefined(env, &undef);
  return undef;
}

void WorkQueue::loop() {
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    if (!job->control && !broken_.empty()) {
      job->error = "the process group is broken by an earlier error: " + broken_;
    } else if (!job->control && !context_) {
      job->error = "no process group; call initProcessGroup first";
    } else {
      try {
        job->run(context_);
      } catch (const std::exception& e) {
        job->error = e.what();
      } catch (...) {
        job->error = "unknown error";
      }
      // After one failed collective the ranks are out of step: every later one fails at once.
      if (!job->control && !job->error.empty()) broken_ = "distributed." + job->name + ": " + job->error;
      if (job->control && job->error.empty()) broken_.clear();
    }
    finish(job);
  }
}

void WorkQueue::finish(Job* job) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (job->blocking) {
    job->done = true;
    doneCv_.notify_all();
    return;
  }
  // After the environment's cleanup the thread-safe function is gone: nobody waits any more.
  if (stopping_) return;
  napi_call_threadsafe_function(tsfn_, job, napi_tsfn_nonblocking);
}

void WorkQueue::callJs(napi_env env, napi_value, void* context, void* data) {
  auto* q = static_cast<WorkQueue*>(context);
  std::unique_ptr<Job> job(static_cast<Job*>(data));
  if (env == nullptr) return;
  for (napi_ref r : job->refs) napi_delete_reference(env, r);
  if (job->error.empty()) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    napi_resolve_deferred(env, job->deferred, undef);
  } else {
    napi_value msg, err;
    std::string text = "distributed." + job->name + ": " + job->error;
    napi_create_string_utf8(env, text.c_str(), text.size(), &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  if (--q->unsettled_ == 0) napi_unref_threadsafe_function(env, q->tsfn_);
}

}  // namespace nabla_gloo
