// sluice-hello: the smallest Sluice program. Shard 0 asks every shard, over the
// cross-core rings, which CPU it runs on, and prints the answers.
#include <cstdio>

#include "lib/core/app.hh"
#include "lib/core/cross_core.hh"
#include "lib/core/submit_to.hh"

int main(int argc, char** argv) {
    sluice::app app("sluice-hello", "asks every shard which cpu it runs on, over the cross-core rings");
    return app.run(argc, argv, []() -> sluice::task<int> {
        for (unsigned shard = 0; shard < sluice::shard_count(); ++shard) {
            const unsigned cpu = co_await sluice::submit_to(shard, [] { return sluice::this_shard().cpu(); });
            std::printf("shard %u runs on cpu %u\n", shard, cpu);
        }
        co_return 0;
    });
}
