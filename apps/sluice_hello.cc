// sluice-hello: the smallest Sluice program. Shard 0 asks every shard, over the
// cross-core rings, which CPU it runs on, and prints the answers. With --until-signal it
// then keeps running until SIGINT/SIGTERM, which stops every shard cleanly.
#include <chrono>
#include <cstdio>

#include "sluice/core/app.hh"
#include "sluice/core/cross_core.hh"
#include "sluice/core/sleep.hh"
#include "sluice/core/submit_to.hh"

int main(int argc, char** argv) {
    sluice::app app("sluice-hello", "asks every shard which cpu it runs on, over the cross-core rings");
    bool until_signal = false;
    app.options().add_flag("until-signal", "keep running after the answers until SIGINT or SIGTERM", until_signal);
    return app.run(argc, argv, [&until_signal]() -> sluice::task<int> {
        for (unsigned shard = 0; shard < sluice::shard_count(); ++shard) {
            const unsigned cpu = co_await sluice::submit_to(shard, [] { return sluice::this_shard().cpu(); });
            std::printf("shard %u runs on cpu %u\n", shard, cpu);
        }
        std::fflush(stdout);
        while (until_signal) {
            co_await sluice::sleep_for(std::chrono::milliseconds(100));  // the stop destroys this task
        }
        co_return 0;
    });
}
