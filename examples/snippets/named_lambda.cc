// The user guide's GCC 12 pitfall ("name a capturing lambda before co_await"), compiled
// so that the snippet stays code: the lambda is a named local, moved into submit_to.
#include <string>
#include <utility>
#include <vector>

#include <sluice/core/submit_to.hh>
#include <sluice/core/task.hh>

using sluice::submit_to;

sluice::task<std::size_t> size_on_shard_1(std::vector<std::string> state) {
    // snippet: named-lambda
    auto work = [state = std::move(state)] { return state.size(); };
    auto n = co_await submit_to(1, std::move(work));
    // end snippet
    co_return n;
}
