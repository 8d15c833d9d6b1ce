#include "sluice/core/spawn.hh"

#include <cstdio>
#include <cstdlib>
#include <typeinfo>

namespace sluice::detail {

detached_promise::detached_promise() : owner(shard::current()) {
    if (!owner) {
        std::fprintf(stderr, "sluice: spawn() called off-shard; spawn from code running on a shard\n");
        std::abort();
    }
    owner->adopt(*this);
}

detached_promise::~detached_promise() { owner->release(*this); }

detached_task detached_promise::get_return_object() noexcept {
    return {std::coroutine_handle<detached_promise>::from_promise(*this)};
}

void detached_promise::unhandled_exception() noexcept {
    ++owner->counters().tasks_failed;
    const char* what = "an exception not derived from std::exception";
    std::string description;
    try {
        throw;
    } catch (const std::exception& e) {
        description = std::string(typeid(e).name()) + ": " + e.what();
        what = description.c_str();
    } catch (...) {
    }
    std::fprintf(stderr, "sluice: shard %u: task spawned at %s:%u (%s) ended with %s\n", owner->id(),
                 origin.file_name(), unsigned(origin.line()), origin.function_name(), what);
}

void start_detached(detached_task started, sluice::source_location origin) {
    started.handle.promise().origin = origin;
    ++started.handle.promise().owner->counters().tasks_spawned;
    started.handle.promise().owner->schedule(started.handle);
}

}  // namespace sluice::detail
