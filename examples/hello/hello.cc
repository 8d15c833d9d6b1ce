// hello: the smallest Sluice program (README.md and docs/user-guide.md show it whole).
// Shard 0 asks every shard, over the cross-core rings, which cpu it runs on.
#include <cstdio>

#include <sluice/core/app.hh>
#include <sluice/core/cross_core.hh>
#include <sluice/core/submit_to.hh>

int main(int argc, char** argv) {
    sluice::app app("hello", "asks every shard which cpu it runs on");
    return app.run(argc, argv, []() -> sluice::task<int> {
        for (unsigned shard = 0; shard < sluice::shard_count(); ++shard) {
            unsigned cpu = co_await sluice::submit_to(shard, [] { return sluice::this_shard().cpu(); });
            std::printf("shard %u runs on cpu %u\n", shard, cpu);
        }
        co_return 0;  // the exit code; returning stops every shard
    });
}
