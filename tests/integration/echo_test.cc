// sluice-echo as users run it. Set-up mistakes (a bad address, prefix, MAC or MTU, a
// missing option) end with one line naming the option, a non-zero exit and no DPDK
// runtime folder left. Against the Linux kernel: tools/rig/udp-netns runs sluice-echo on
// net_af_packet over a veth pair into namespaces of the test's own, and
// tools/rig/echo-checks drives it from the kernel's side with ping (also -s 4000, which
// fragments), nc -u, a datagram to a closed port (ICMP port unreachable), sockperf
// ping-pong and sockperf under-load. tools/rig/tap-netns does the same over net_tap,
// where the kernel's IP fragments reach Sluice's own reassembly. A machine that cannot
// build a rig reports the case as skipped.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::problem_lines;
using sluice::testing::program_run;
using sluice::testing::run_command;

std::string run_prefix() {
    static int serial = 0;
    return "sluice-echotest-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
}

void expect_one_line_failure(const std::string& options, const std::string& must_mention) {
    const std::string prefix = run_prefix();
    const std::string args = "--shards 1 --port net_ring0 " + options +
                             " -- --no-huge --no-pci --vdev=net_ring0 --file-prefix=" + prefix;
    BOOST_TEST_CONTEXT("sluice-echo " << args) {
        const program_run run = sluice::testing::run_program("sluice-echo", args);
        BOOST_CHECK_NE(run.exit_code, 0);
        BOOST_CHECK_LT(run.exit_code, 128);
        const std::string problem = problem_lines(run.err);
        BOOST_REQUIRE(!problem.empty());
        BOOST_CHECK_EQUAL(problem.find('\n'), problem.size() - 1);  // exactly one line
        BOOST_CHECK_EQUAL(problem.rfind("sluice-echo: ", 0), 0u);
        BOOST_CHECK_MESSAGE(problem.find(must_mention) != std::string::npos,
                            "'" << problem << "' should mention '" << must_mention << "'");
        struct stat info;
        BOOST_CHECK(stat(("/var/run/dpdk/" + prefix).c_str(), &info) != 0);
    }
}

std::string source_root() {
    const char* root = std::getenv("SLUICE_SOURCE_ROOT");
    return root ? root : "";
}

boost::test_tools::assertion_result machine_can_run_the_rig(boost::unit_test::test_unit_id) {
    if (source_root().empty()) return true;
    const command_run check = run_command("timeout 30 " + source_root() + "/tools/rig/udp-netns --check");
    if (check.exit_code != 77) return true;
    boost::test_tools::assertion_result skip(false);
    skip.message() << check.output;
    return skip;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(echo_command_line)

BOOST_AUTO_TEST_CASE(bad_address_is_one_line_naming_the_option) {
    expect_one_line_failure("--address 198.18.0.300/30", "--address");
}
BOOST_AUTO_TEST_CASE(missing_prefix_length_is_one_line) { expect_one_line_failure("--address 198.18.0.1", "--address"); }
BOOST_AUTO_TEST_CASE(network_address_is_refused) { expect_one_line_failure("--address 198.18.0.0/30", "network"); }
BOOST_AUTO_TEST_CASE(bad_mac_is_one_line_naming_the_option) {
    expect_one_line_failure("--address 198.18.0.1/30 --mac 02:00:00:00:00", "--mac");
}
BOOST_AUTO_TEST_CASE(multicast_mac_is_refused) {
    expect_one_line_failure("--address 198.18.0.1/30 --mac 01:00:5e:00:00:01", "multicast");
}
BOOST_AUTO_TEST_CASE(mtu_out_of_range_is_one_line) { expect_one_line_failure("--address 198.18.0.1/30 --mtu 40", "--mtu"); }
BOOST_AUTO_TEST_CASE(gateway_outside_the_prefix_is_refused) {
    expect_one_line_failure("--address 198.18.0.1/30 --gateway 198.19.0.1", "gateway");
}
BOOST_AUTO_TEST_CASE(missing_address_names_the_option) { expect_one_line_failure("", "--address"); }
BOOST_AUTO_TEST_CASE(a_bad_fault_spec_is_one_line_naming_the_option) {
    expect_one_line_failure("--address 198.18.0.1/30 --faults reorder=five", "--faults");
    expect_one_line_failure("--address 198.18.0.1/30 --faults jiggle=5", "--faults");
}
BOOST_AUTO_TEST_CASE(a_join_that_is_not_a_multicast_group_is_one_line_naming_the_option) {
    expect_one_line_failure("--address 198.18.0.1/30 --join 198.18.0.9", "--join");
    expect_one_line_failure("--address 198.18.0.1/30 --join 224.0.0.251", "--join");  // local control
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(echo_against_the_kernel)

// Runs `rig` with sluice-echo (its options and EAL arguments given) as the server and
// tools/rig/echo-checks as the client; every check must pass. Returns the output.
std::string expect_every_check_passes(const std::string& rig, const std::string& echo_arguments,
                                      bool pool_full_at_exit = true) {
    const char* apps = std::getenv("SLUICE_APPS_DIR");
    BOOST_REQUIRE(apps && !source_root().empty());
    const std::string server = std::string(apps) + "/sluice-echo " + echo_arguments;
    const command_run run = run_command("timeout 200 " + source_root() + "/tools/rig/" + rig +
                                        " --ready 'ready on' --timeout 90 --server '" + server + "' --client '" +
                                        source_root() + "/tools/rig/echo-checks'");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    for (const char* check : {"ping", "ping-4000", "nc-udp", "unreachable", "sockperf", "under-load"}) {
        BOOST_CHECK_MESSAGE(run.output.find(std::string("echo-checks: PASS ") + check + "\n") != std::string::npos,
                            check << " did not pass:\n" << run.output);
    }
    BOOST_CHECK(run.output.find("socket dropped 0") != std::string::npos);  // no datagram lost for room
    if (pool_full_at_exit) {
        BOOST_CHECK_MESSAGE(run.output.find("leaking") == std::string::npos, "mbufs left out at exit:\n" << run.output);
    }
    return run.output;
}

// adaptive idle: CI has two cores and the kernel peer needs one.
// framesz 8192: af_packet hands over datagrams the kernel reassembled for it (its fanout
// defragments), so a 4028-byte ping must fit one frame and one mbuf.
std::string af_packet_echo(const std::string& cores, unsigned queues) {
    return "--cores " + cores + " --idle adaptive --port net_af_packet0 --address 198.18.0.1/30 --mbuf-size 8192 "
           "-- --no-huge --no-pci -m 512 --vdev=net_af_packet0,iface=$RIG_SERVER_IF,qpairs=" +
           std::to_string(queues) + ",framesz=8192,blocksz=8192";
}

BOOST_AUTO_TEST_CASE(answers_ping_fragmented_ping_nc_and_sockperf_from_the_kernel,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(240)) {
    const std::string output =
        expect_every_check_passes("udp-netns --server-pins-itself", af_packet_echo("$RIG_SERVER_CPU", 1));
    BOOST_CHECK(output.find("1 shard(s)") != std::string::npos);
}

// Two shards, two queues: flows spread over them, and a neighbour one shard learns from
// ARP reaches the other (docs/architecture.md, "Neighbours across shards").
BOOST_AUTO_TEST_CASE(two_shards_share_neighbours_and_both_answer,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(240)) {
    const std::string output = expect_every_check_passes("udp-netns --server-pins-itself", af_packet_echo("0,1", 2));
    BOOST_CHECK(output.find("2 shard(s)") != std::string::npos);
}

// net_af_xdp on the same veth: an XDP socket instead of a packet socket; fragments reach
// Sluice's reassembly as sent. DPDK 22.11's af_xdp builds its UMEM on our mempool and
// keeps the mbufs of its fill ring when the port closes, so the pool is not full at exit
// (sluice-echo says so and leaks the pool rather than free memory the kernel maps).
BOOST_AUTO_TEST_CASE(answers_the_kernel_over_net_af_xdp,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(240)) {
    const std::string output = expect_every_check_passes(
        "udp-netns --server-pins-itself",
        "--cores $RIG_SERVER_CPU --idle adaptive --port net_af_xdp0 --address 198.18.0.1/30 -- --no-huge --no-pci "
        "-m 512 --vdev=net_af_xdp0,iface=$RIG_SERVER_IF,start_queue=0,queue_count=1",
        false);
    BOOST_CHECK_MESSAGE(output.find("reassembled 2") != std::string::npos, output);
    // What stays out is the fill ring's 2048 alone: the last reply's mbuf, which af_xdp
    // reaps from its completion ring only on a later transmit, came back at the drain.
    if (output.find("leaking") != std::string::npos) {
        BOOST_CHECK_MESSAGE(output.find("destroyed with 2048 mbufs still in use") != std::string::npos, output);
    }
}

// Over net_tap the kernel's IP fragments reach Sluice as sent: its own reassembly answers
// `ping -s 4000` (two datagrams of three fragments each).
BOOST_AUTO_TEST_CASE(reassembles_the_kernels_fragments_over_net_tap,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(240)) {
    const std::string output = expect_every_check_passes(
        "tap-netns", "--cores $RIG_SERVER_CPU --idle adaptive --port net_tap0 --address 198.18.0.1/30 -- --no-huge "
                     "--no-pci -m 512 --vdev=net_tap0,iface=$RIG_SERVER_IF");
    BOOST_CHECK_MESSAGE(output.find("reassembled 2") != std::string::npos, output);
}

// Multicast receive (docs/user-guide.md, "Multicast"): sluice-echo joins 239.1.2.3 and
// the kernel in the client namespace sends to the group over the veth. tools/rig/
// multicast-checks asks with an IGMPv3 general query and sees sluice-echo's report, then
// sends datagrams to the group (each answered unicast) and one to a group not joined.
BOOST_AUTO_TEST_CASE(a_joined_group_receives_the_kernels_datagrams,
                     *boost::unit_test::precondition(machine_can_run_the_rig) * boost::unit_test::timeout(240)) {
    BOOST_REQUIRE(!source_root().empty());
    const std::string server =
        sluice::testing::apps_dir() + "/sluice-echo --join 239.1.2.3 " + af_packet_echo("$RIG_SERVER_CPU", 1);
    const command_run run = run_command("timeout 200 " + source_root() +
                                        "/tools/rig/udp-netns --server-pins-itself --ready 'ready on' --timeout 60 "
                                        "--server '" + server + "' --client '" + source_root() +
                                        "/tools/rig/multicast-checks 239.1.2.3 239.1.2.4'");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_EQUAL(run.exit_code, 0);
    for (const char* check : {"report", "datagrams", "not-joined"}) {
        BOOST_CHECK_MESSAGE(run.output.find(std::string("multicast-checks: PASS ") + check + "\n") != std::string::npos,
                            check << " did not pass:\n" << run.output);
    }
    BOOST_CHECK_MESSAGE(run.output.find("multicast received 5 in 1 group(s)") != std::string::npos, run.output);
    BOOST_CHECK(run.output.find("joined 239.1.2.3 on udp port 11111") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
