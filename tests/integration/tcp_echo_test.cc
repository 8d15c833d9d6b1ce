// sluice-echo's TCP against the Linux kernel's (docs/architecture.md, "TCP"): through
// tools/rig/udp-netns, sluice-echo on net_af_packet in one namespace and the kernel's
// clients in another (tools/rig/tcp-checks): nc echoes a line and 256 MiB of random bytes
// (SHA-256 compared), sockperf ping-pong and under-load over TCP, 1,000 connections at
// once, and a client that resets mid-transfer beside one that must lose nothing; then the
// 256 MiB transfer again with 1 % and 5 % of frames dropped each way (nftables on the
// client's veth). And Sluice as the client: sluice-bench-tcp sends 256 MiB of its pattern
// to a kernel echo server (tools/rig/tcp_clients.py serve-echo) and checks the echo; the
// kernel checks what it got by SHA-256. A machine that cannot build a rig reports the
// cases as skipped.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::run_command;

// A rig's --check: exit 77 says this machine cannot run it, and why (the skip's message).
boost::test_tools::assertion_result rig_runs_here(const char* rig) {
    const command_run check = run_command("timeout 30 " + sluice::testing::source_dir() + "/tools/rig/" + rig + " --check");
    if (check.exit_code != 77) return true;
    boost::test_tools::assertion_result skip(false);
    skip.message() << check.output;
    return skip;
}

boost::test_tools::assertion_result machine_can_run_the_rig(boost::unit_test::test_unit_id) {
    return rig_runs_here("udp-netns");
}

boost::test_tools::assertion_result machine_can_run_the_tap_rig(boost::unit_test::test_unit_id) {
    return rig_runs_here("tap-netns");
}

// sluice-echo in the server namespace (adaptive idle: CI has two cores and the kernel's
// clients need one); `environment` and `checks` go to tools/rig/tcp-checks.
std::string run_checks(const std::string& environment, const std::string& checks, unsigned timeout_seconds,
                       const std::string& echo_options = "") {
    const std::string server =
        sluice::testing::apps_dir() + "/sluice-echo " + echo_options +
        " --cores $RIG_SERVER_CPU --idle adaptive --port net_af_packet0 --address 198.18.0.1/30 "
        "--mbuf-size 8192 -- --no-huge --no-pci -m 512 "
        "--vdev=net_af_packet0,iface=$RIG_SERVER_IF,qpairs=1,framesz=8192,blocksz=8192";
    const command_run run = run_command(
        "timeout " + std::to_string(timeout_seconds + 60) + " env " + environment + " " +
        sluice::testing::source_dir() + "/tools/rig/udp-netns --server-pins-itself --ready 'ready on' --timeout " +
        std::to_string(timeout_seconds) + " --server '" + server + "' --client '" + sluice::testing::source_dir() +
        "/tools/rig/tcp-checks " + checks + "'");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    return run.output;
}

void expect_passed(const std::string& output, std::initializer_list<const char*> checks) {
    for (const char* check : checks) {
        BOOST_CHECK_MESSAGE(output.find(std::string("tcp-checks: PASS ") + check + "\n") != std::string::npos,
                            check << " did not pass:\n" << output);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_against_the_kernel)

BOOST_AUTO_TEST_CASE(echoes_nc_a_256_mib_transfer_sockperf_and_a_thousand_connections,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(400)) {
    const std::string output = run_checks("TCP_CHECKS_MIB=256", "", 300);
    expect_passed(output, {"nc", "transfer", "sockperf", "under-load", "concurrent", "reset"});
    BOOST_CHECK(output.find("tcp accepted ") != std::string::npos);
    BOOST_CHECK(output.find("malformed 0") != std::string::npos);
    BOOST_CHECK_MESSAGE(output.find("leaking") == std::string::npos, "mbufs left out at exit:\n" << output);
}

// net_tap offers TSO (its driver cuts each segment with DPDK's GSO library before the
// kernel reads the frames): sluice-echo hands it segments of many MSS, and the kernel's
// 64 MiB come back whole (SHA-256), so the frames the device made carry right checksums.
BOOST_AUTO_TEST_CASE(hands_net_tap_whole_tso_segments_and_64_mib_come_back_whole,
                     *boost::unit_test::precondition(machine_can_run_the_tap_rig) * boost::unit_test::timeout(400)) {
    const std::string server = sluice::testing::apps_dir() +
                               "/sluice-echo --cores $RIG_SERVER_CPU --idle adaptive --port net_tap0 "
                               "--address 198.18.0.1/30 -- --no-huge --no-pci -m 512 "
                               "--vdev=net_tap0,iface=$RIG_SERVER_IF";
    const command_run run = run_command("timeout 360 env TCP_CHECKS_MIB=64 " + sluice::testing::source_dir() +
                                        "/tools/rig/tap-netns --ready 'ready on' --timeout 300 --server '" + server +
                                        "' --client '" + sluice::testing::source_dir() + "/tools/rig/tcp-checks nc transfer'");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    expect_passed(run.output, {"nc", "transfer"});
    const std::size_t at = run.output.find("tso segments ");
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no TCP report line:\n" << run.output);
    const unsigned long tso = std::stoul(run.output.substr(at + 13));
    BOOST_CHECK_MESSAGE(tso > 0, "sluice-echo sent no TSO segment over net_tap:\n" << run.output);
    BOOST_CHECK(run.output.find("cut in software 0,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_256_mib_transfer_comes_back_whole_with_one_percent_loss_each_way,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(400)) {
    const std::string output = run_checks("TCP_CHECKS_MIB=256 TCP_CHECKS_LOSS=1", "transfer", 300);
    expect_passed(output, {"transfer"});
}

BOOST_AUTO_TEST_CASE(a_256_mib_transfer_comes_back_whole_with_five_percent_loss_each_way,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(400)) {
    const std::string output = run_checks("TCP_CHECKS_MIB=256 TCP_CHECKS_LOSS=5", "transfer reset", 300);
    expect_passed(output, {"transfer", "reset"});
}

// Reordering, duplication and delay come from the sim fault wrapper around sluice-echo's
// port (--faults), both ways: the kernel's TCP and Sluice's must both recover.
BOOST_AUTO_TEST_CASE(a_256_mib_transfer_comes_back_whole_through_reordering_duplication_and_delay,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(400)) {
    const std::string output = run_checks("TCP_CHECKS_MIB=256", "transfer sockperf", 300,
                                          "--faults reorder=5,duplicate=5,delay-us=200,jitter-us=100");
    expect_passed(output, {"transfer", "sockperf"});
    BOOST_CHECK_MESSAGE(output.find("sluice-echo: faults: received lost 0, reordered ") != std::string::npos, output);
}

BOOST_AUTO_TEST_CASE(as_a_client_sends_256_mib_to_a_kernel_echo_server_and_gets_it_back,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(400)) {
    const std::string client = sluice::testing::build_dir() + "/perf/sluice-bench-tcp";
    struct stat info;
    if (stat(client.c_str(), &info) != 0) {
        BOOST_TEST_MESSAGE("skipped: " << client << " is not built (configure with -Dbenchmarks=true)");
        return;
    }
    const std::string server =
        client + " --cores $RIG_SERVER_CPU --idle adaptive --port net_af_packet0 --address 198.18.0.1/30 "
                 "--connect 198.18.0.2:5001 --mode transfer --mebibytes 256 --retry-for 30 --hold 300 --mbuf-size 8192 "
                 "-- --no-huge --no-pci -m 512 --vdev=net_af_packet0,iface=$RIG_SERVER_IF,qpairs=1,framesz=8192,blocksz=8192";
    const command_run run = run_command(
        "timeout 360 " + sluice::testing::source_dir() + "/tools/rig/udp-netns --server-pins-itself --ready 'ready on' "
        "--timeout 300 --server '" + server + "' --client 'python3 " + sluice::testing::source_dir() +
        "/tools/rig/tcp_clients.py serve-echo 198.18.0.2 5001 256'");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    BOOST_CHECK_MESSAGE(run.output.find("the pattern, echoed back") != std::string::npos, run.output);
    BOOST_CHECK_MESSAGE(run.output.find("268435456 echoed back, 0 not as sent: intact") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_SUITE_END()
