// Congestion control with a fake time line: the RFC 6928 initial window; NewReno's slow
// start (one SMSS per ACK), congestion avoidance (one SMSS per window acknowledged), halving
// on loss with the 2 SMSS floor, the 1 SMSS loss window on timeout, the end of fast recovery
// and the restart after idle; CUBIC's reduction to 0.7 W_max, K, the concave climb to W_max
// and convex probing beyond it, the Reno-friendly region on a short, small path, fast
// convergence and the timeout rule; names and the factory.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "sluice/core/clock.hh"
#include "sluice/net/tcp/congestion/congestion_control.hh"
#include "sluice/net/tcp/congestion/cubic.hh"
#include "sluice/net/tcp/congestion/newreno.hh"

using sluice::clock;
using namespace sluice::net::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t mss = 1000;  // round numbers; initial window 10 * MSS

clock::time_point at(std::chrono::nanoseconds since_zero) { return clock::time_point(since_zero); }
double seconds(clock::duration d) { return std::chrono::duration<double>(d).count(); }

// A sender that always fills its window, each segment acknowledged on its own, the ACKs of
// one window spread evenly over one RTT.
struct saturated_flow {
    congestion_control& control;
    clock::time_point now;
    clock::duration rtt;

    void one_round() {
        const std::uint32_t segments = std::max<std::uint32_t>(control.window() / mss, 1);
        const clock::duration gap = rtt / segments;
        for (std::uint32_t i = 0; i < segments; ++i) {
            control.on_ack(mss, mss, now, rtt);
            now += gap;
        }
    }
    void run_until(clock::time_point end) {
        while (now < end) one_round();
    }
};

// Slow start from the initial window to exactly `segments` segments.
void grow_to(congestion_control& control, std::uint32_t segments) {
    BOOST_REQUIRE(control.in_slow_start());
    while (control.window() < segments * mss) control.on_ack(mss, mss, at(0s), 1ms);
    BOOST_REQUIRE_EQUAL(control.window(), segments * mss);
}

// RFC 9438 Figure 1 in bytes, computed here from the RFC's constants.
double expected_cubic_window(double t, double k, double max_window) {
    return 0.4 * std::pow(t - k, 3) * mss + max_window;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(congestion)

BOOST_AUTO_TEST_CASE(initial_window_follows_rfc_6928) {
    BOOST_CHECK_EQUAL(initial_window(536), 5360u);     // 10 * MSS
    BOOST_CHECK_EQUAL(initial_window(1000), 10000u);   // 10 * MSS
    BOOST_CHECK_EQUAL(initial_window(1448), 14480u);   // 10 * MSS
    BOOST_CHECK_EQUAL(initial_window(1460), 14600u);   // both bounds meet
    BOOST_CHECK_EQUAL(initial_window(4000), 14600u);   // the 14600-byte cap
    BOOST_CHECK_EQUAL(initial_window(8960), 17920u);   // 2 * MSS floor for jumbo frames
    BOOST_CHECK_EQUAL(initial_window(0x8000'0000u), UINT32_MAX);  // saturates, no wrap
}

BOOST_AUTO_TEST_CASE(names_round_trip_and_unknown_names_are_refused) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        BOOST_CHECK(parse_congestion_algorithm(to_string(algorithm)) == algorithm);
    }
    BOOST_CHECK(to_string(congestion_algorithm::newreno) == "newreno");
    BOOST_CHECK(to_string(congestion_algorithm::cubic) == "cubic");
    BOOST_CHECK(!parse_congestion_algorithm("reno"));
    BOOST_CHECK(!parse_congestion_algorithm(""));
    BOOST_CHECK(!parse_congestion_algorithm("cubic "));
}

BOOST_AUTO_TEST_CASE(factory_makes_each_algorithm_at_the_initial_window) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        auto control = make_congestion_control(algorithm, 1460);
        BOOST_REQUIRE(control);
        BOOST_CHECK(control->algorithm() == algorithm);
        BOOST_CHECK_EQUAL(control->window(), 14600u);
        BOOST_CHECK_EQUAL(control->slow_start_threshold(), UINT32_MAX);  // RFC 5681 3.1
        BOOST_CHECK(control->in_slow_start());
    }
    BOOST_CHECK(dynamic_cast<newreno*>(make_congestion_control(congestion_algorithm::newreno, mss).get()));
    BOOST_CHECK(dynamic_cast<cubic*>(make_congestion_control(congestion_algorithm::cubic, mss).get()));
}

BOOST_AUTO_TEST_CASE(slow_start_grows_one_mss_per_ack_whatever_the_ack_covers) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        auto control = make_congestion_control(algorithm, mss);
        control->on_ack(mss, mss, at(0s), 1ms);
        BOOST_CHECK_EQUAL(control->window(), 11000u);
        control->on_ack(400, mss, at(0s), 1ms);  // min(N, SMSS) = N
        BOOST_CHECK_EQUAL(control->window(), 11400u);
        control->on_ack(3 * mss, mss, at(0s), 1ms);  // a stretch ACK still adds one SMSS
        BOOST_CHECK_EQUAL(control->window(), 12400u);
        control->on_ack(0, mss, at(0s), 1ms);
        BOOST_CHECK_EQUAL(control->window(), 12400u);
    }
}

BOOST_AUTO_TEST_CASE(slow_start_doubles_the_window_each_round_trip) {
    newreno control(mss);
    saturated_flow flow{control, at(0s), 10ms};
    for (std::uint32_t expected : {20000u, 40000u, 80000u}) {
        flow.one_round();
        BOOST_CHECK_EQUAL(control.window(), expected);
    }
}

BOOST_AUTO_TEST_CASE(newreno_avoidance_grows_one_mss_per_window_acknowledged) {
    newreno control(mss);
    grow_to(control, 40);
    control.on_loss(40000, mss, at(1s));
    BOOST_REQUIRE_EQUAL(control.window(), 20000u);
    BOOST_REQUIRE(!control.in_slow_start());

    for (int i = 0; i < 19; ++i) control.on_ack(mss, mss, at(1s), 1ms);
    BOOST_CHECK_EQUAL(control.window(), 20000u);  // 19000 bytes of a 20000-byte window
    control.on_ack(mss, mss, at(1s), 1ms);
    BOOST_CHECK_EQUAL(control.window(), 21000u);
    // Delayed ACKs of two segments: 21000 bytes needs 11 of them (22000 counted, 1000 kept).
    for (int i = 0; i < 10; ++i) control.on_ack(2 * mss, mss, at(1s), 1ms);
    BOOST_CHECK_EQUAL(control.window(), 21000u);
    control.on_ack(2 * mss, mss, at(1s), 1ms);
    BOOST_CHECK_EQUAL(control.window(), 22000u);
    // The 1000 bytes carried over count toward the next window.
    for (int i = 0; i < 21; ++i) control.on_ack(mss, mss, at(1s), 1ms);
    BOOST_CHECK_EQUAL(control.window(), 23000u);
}

BOOST_AUTO_TEST_CASE(newreno_avoidance_adds_one_mss_per_round_trip) {
    newreno control(mss);
    grow_to(control, 40);
    control.on_loss(40000, mss, at(0s));
    saturated_flow flow{control, at(0s), 10ms};
    for (std::uint32_t round = 1; round <= 30; ++round) {
        flow.one_round();
        BOOST_CHECK_EQUAL(control.window(), 20000u + round * mss);
    }
}

BOOST_AUTO_TEST_CASE(newreno_loss_halves_flight_size_with_a_two_mss_floor) {
    newreno control(mss);
    grow_to(control, 40);
    control.on_loss(30000, mss, at(0s));  // flight size, not the window, is halved
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 15000u);
    BOOST_CHECK_EQUAL(control.window(), 15000u);
    control.on_loss(5000, mss, at(1s));
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 2500u);
    control.on_loss(3000, mss, at(2s));
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 2000u);  // 2 * SMSS
    BOOST_CHECK_EQUAL(control.window(), 2000u);
}

BOOST_AUTO_TEST_CASE(newreno_timeout_leaves_one_mss_and_halves_the_threshold) {
    newreno control(mss);
    grow_to(control, 40);
    control.on_timeout(40000, mss, at(0s));
    BOOST_CHECK_EQUAL(control.window(), mss);  // RFC 5681 3.1: loss window
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 20000u);
    BOOST_CHECK(control.in_slow_start());
    saturated_flow flow{control, at(0s), 10ms};
    for (std::uint32_t expected : {2000u, 4000u, 8000u, 16000u}) {
        flow.one_round();
        BOOST_CHECK_EQUAL(control.window(), expected);
    }
    // Of the next 16 ACKs, 4 reach ssthresh; the other 12 are counted toward a window.
    flow.one_round();
    BOOST_CHECK_EQUAL(control.window(), 20000u);
    BOOST_CHECK(!control.in_slow_start());
}

BOOST_AUTO_TEST_CASE(recovery_end_deflates_to_flight_size_plus_one_mss_at_most_ssthresh) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        auto control = make_congestion_control(algorithm, mss);
        grow_to(*control, 40);
        control->on_loss(40000, mss, at(0s));
        const std::uint32_t threshold = control->slow_start_threshold();
        control->on_recovery_end(5000, mss, at(1s));
        BOOST_CHECK_EQUAL(control->window(), 6000u);  // RFC 6582 3.2 step 3 (1)
        control->on_recovery_end(0, mss, at(1s));
        BOOST_CHECK_EQUAL(control->window(), 2000u);  // max(FlightSize, SMSS) + SMSS
        control->on_recovery_end(39000, mss, at(1s));
        BOOST_CHECK_EQUAL(control->window(), threshold);
        BOOST_CHECK_EQUAL(control->slow_start_threshold(), threshold);
    }
}

BOOST_AUTO_TEST_CASE(idle_restart_cuts_to_the_initial_window_and_keeps_ssthresh) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        auto control = make_congestion_control(algorithm, mss);
        grow_to(*control, 50);
        control->on_loss(50000, mss, at(0s));
        const std::uint32_t threshold = control->slow_start_threshold();
        control->on_idle_restart(mss);
        BOOST_CHECK_EQUAL(control->window(), 10000u);  // RFC 5681 4.1: min(IW, cwnd)
        BOOST_CHECK_EQUAL(control->slow_start_threshold(), threshold);
        control->on_timeout(10000, mss, at(1s));
        control->on_idle_restart(mss);
        BOOST_CHECK_EQUAL(control->window(), mss);  // already below IW: unchanged
    }
}

BOOST_AUTO_TEST_CASE(reset_takes_the_new_mss_initial_window_and_forgets_ssthresh) {
    for (auto algorithm : {congestion_algorithm::newreno, congestion_algorithm::cubic}) {
        auto control = make_congestion_control(algorithm, 536);
        BOOST_CHECK_EQUAL(control->window(), 5360u);
        control->reset(1460);
        BOOST_CHECK_EQUAL(control->window(), 14600u);
        control->on_loss(8000, 1460, at(0s));
        control->reset(1460);
        BOOST_CHECK_EQUAL(control->slow_start_threshold(), UINT32_MAX);
        BOOST_CHECK(control->in_slow_start());
    }
}

BOOST_AUTO_TEST_CASE(cubic_loss_reduces_to_beta_and_sets_k_from_w_max) {
    cubic control(mss);
    grow_to(control, 100);
    control.on_loss(100000, mss, at(5s));
    BOOST_CHECK_EQUAL(control.window(), 70000u);  // 0.7 W_max
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 70000u);
    BOOST_CHECK_EQUAL(control.max_window(), 100000.0);
    control.on_ack(mss, mss, at(5s), 10ms);  // the congestion-avoidance stage begins
    // K = cbrt(W_max (1 - beta) / C), W_max in segments.
    BOOST_CHECK_CLOSE(control.k_seconds(), std::cbrt(100 * 0.3 / 0.4), 1e-9);

    cubic limited(mss);  // an application-limited sender: ssthresh from flight size
    grow_to(limited, 100);
    limited.on_loss(50000, mss, at(5s));
    BOOST_CHECK_EQUAL(limited.window(), 35000u);
    BOOST_CHECK_EQUAL(limited.max_window(), 100000.0);  // W_max is cwnd before the cut
    limited.on_loss(2000, mss, at(6s));
    BOOST_CHECK_EQUAL(limited.window(), 2000u);  // Figure 5: at least 2 MSS
}

BOOST_AUTO_TEST_CASE(cubic_climbs_concave_to_w_max_near_k_then_probes_convex) {
    cubic control(mss);
    grow_to(control, 1000);
    const auto start = at(10s);
    control.on_loss(1000 * mss, mss, start);
    const double k = std::cbrt(1000 * 0.3 / 0.4);  // 9.09 s
    const double max_window = 1000.0 * mss;
    saturated_flow flow{control, start, 100ms};
    auto window_at = [&](double t) {
        flow.run_until(start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(t)));
        return double(control.window());
    };

    // The window follows W_cubic: never ahead of the target one RTT out (RFC 9438 4.2),
    // never more than one RTT behind the curve (give or take the byte a whole-byte window
    // rounds away).
    const double rtt = 0.1;
    for (double t = 0.5; t < 14; t += 0.5) {
        const double window = window_at(t);
        const double elapsed = seconds(flow.now - start);
        BOOST_CHECK_LE(window, expected_cubic_window(elapsed + rtt, k, max_window) + 1);
        BOOST_CHECK_GE(window, expected_cubic_window(elapsed - rtt, k, max_window) - 1);
        BOOST_CHECK_GT(window, control.reno_window_estimate());  // not Reno-friendly here
    }

    cubic fresh(mss);
    grow_to(fresh, 1000);
    fresh.on_loss(1000 * mss, mss, start);
    saturated_flow fresh_flow{fresh, start, 100ms};
    auto fresh_at = [&](double t) {
        fresh_flow.run_until(start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(t)));
        return double(fresh.window());
    };
    const double w0 = fresh_at(0.1), w_half = fresh_at(k / 2), w_before = fresh_at(k - 1);
    const double w_k = fresh_at(k + rtt), w_after = fresh_at(k + 3), w_later = fresh_at(k + 6);
    BOOST_CHECK_GT(w_half - w0, w_before - w_half);  // concave: slowing toward W_max
    BOOST_CHECK_LT(w_before, max_window);
    BOOST_CHECK_LE(std::abs(w_k - max_window), double(mss));  // reaches W_max near K
    BOOST_CHECK_LT(w_after - w_k, w_later - w_after);        // convex: speeding up beyond
    BOOST_CHECK_GT(w_later, max_window + 50 * mss);
}

BOOST_AUTO_TEST_CASE(cubic_is_reno_friendly_on_a_short_small_path) {
    cubic control(mss);
    grow_to(control, 20);
    const auto start = at(1s);
    control.on_loss(20000, mss, start);
    const double k = std::cbrt(20 * 0.3 / 0.4);
    saturated_flow flow{control, start, 1ms};

    // alpha_cubic = 3 (1 - 0.7) / (1 + 0.7) segments per RTT while W_est < cwnd_prior.
    for (int round = 0; round < 10; ++round) flow.one_round();
    const double alpha = 3 * 0.3 / 1.7;
    BOOST_CHECK_GE(control.window(), 14000 + 10 * (alpha * mss) - mss);
    BOOST_CHECK_LE(control.window(), 14000 + 10 * (alpha * mss));
    BOOST_CHECK_LE(std::abs(control.window() - control.reno_window_estimate()), 1.0);
    const double elapsed = seconds(flow.now - start);
    BOOST_CHECK_GT(control.window(), expected_cubic_window(elapsed, k, 20000) + 4 * mss);

    // Past cwnd_prior, alpha is 1: Reno's one segment per RTT (RFC 9438 4.3).
    for (int round = 0; round < 20; ++round) flow.one_round();
    const std::uint32_t before = control.window();
    for (int round = 0; round < 40; ++round) flow.one_round();
    BOOST_CHECK_GE(control.window() - before, 39 * mss);
    BOOST_CHECK_LE(control.window() - before, 40 * mss);
}

BOOST_AUTO_TEST_CASE(cubic_fast_convergence_lowers_w_max_after_an_early_loss) {
    cubic control(mss);
    grow_to(control, 100);
    control.on_loss(100000, mss, at(0s));
    BOOST_REQUIRE_EQUAL(control.window(), 70000u);
    control.on_loss(70000, mss, at(1s));  // before the window got back to W_max
    BOOST_CHECK_CLOSE(control.max_window(), 70000 * (1 + 0.7) / 2, 1e-9);
    BOOST_CHECK_EQUAL(control.window(), 49000u);
    control.on_ack(mss, mss, at(2s), 10ms);
    BOOST_CHECK_CLOSE(control.k_seconds(), std::cbrt((59.5 - 49) / 0.4), 1e-9);

    cubic without(mss);
    without.set_fast_convergence(false);
    grow_to(without, 100);
    without.on_loss(100000, mss, at(0s));
    without.on_loss(70000, mss, at(1s));
    BOOST_CHECK_EQUAL(without.max_window(), 70000.0);

    cubic beyond(mss);  // a loss above the old W_max just remembers the new window
    grow_to(beyond, 100);
    beyond.on_loss(100000, mss, at(0s));
    beyond.on_recovery_end(100000, mss, at(1s));
    saturated_flow flow{beyond, at(1s), 100ms};
    flow.run_until(at(30s));
    const std::uint32_t window = beyond.window();
    BOOST_REQUIRE_GT(window, 100000u);
    beyond.on_loss(window, mss, flow.now);
    BOOST_CHECK_EQUAL(beyond.max_window(), double(window));
}

BOOST_AUTO_TEST_CASE(cubic_timeout_leaves_one_mss_and_restarts_the_curve_at_its_epoch) {
    cubic control(mss);
    grow_to(control, 100);
    control.on_timeout(100000, mss, at(0s));
    BOOST_CHECK_EQUAL(control.window(), mss);
    BOOST_CHECK_EQUAL(control.slow_start_threshold(), 70000u);  // RFC 9438 4.8: beta_cubic
    BOOST_CHECK_EQUAL(control.max_window(), 0.0);                // unknown until the stage starts

    saturated_flow flow{control, at(0s), 100ms};
    while (control.in_slow_start()) control.on_ack(mss, mss, flow.now, flow.rtt);
    BOOST_REQUIRE_EQUAL(control.window(), 70000u);
    const double epoch_window = control.window();
    const auto epoch = flow.now;
    control.on_ack(mss, mss, epoch, flow.rtt);
    BOOST_CHECK_EQUAL(control.k_seconds(), 0.0);              // K = 0
    BOOST_CHECK_EQUAL(control.max_window(), epoch_window);    // W_max = cwnd_epoch
    BOOST_CHECK_EQUAL(control.reno_window_estimate(), epoch_window + 3 * 0.3 / 1.7 * mss * mss / epoch_window);
    // From there the curve is convex only: W_cubic(t) = cwnd_epoch + C t^3.
    flow.run_until(epoch + 6s);
    const double elapsed = seconds(flow.now - epoch);
    BOOST_CHECK_GE(control.window(), expected_cubic_window(elapsed - 0.2, 0, epoch_window));
    BOOST_CHECK_LE(control.window(), expected_cubic_window(elapsed + 0.1, 0, epoch_window) + 1);
}

BOOST_AUTO_TEST_SUITE_END()
