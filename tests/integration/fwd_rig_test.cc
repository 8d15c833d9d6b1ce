// sluice-fwd against the Linux kernel as its peer: tools/rig/fwd-veth runs it on two
// net_af_packet ports over veth pairs into a network namespace of the test's own, and
// tools/rig/fwd_checker.py sends 16 flows each way from inside that namespace and checks
// every frame comes out of the other port exactly once, in order per flow, MACs swapped,
// the rest intact. A machine that cannot build the rig (not root, no `ip netns`, no
// net_af_packet driver) reports the case as skipped, with the reason; never as passed.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::run_command;

std::string rig_script() {
    const char* root = std::getenv("SLUICE_SOURCE_ROOT");
    return root ? std::string(root) + "/tools/rig/fwd-veth" : std::string();
}

std::string apps_dir() {
    const char* apps = std::getenv("SLUICE_APPS_DIR");
    return apps ? std::string(apps) : std::string();
}

// Skips (with the script's reason) where the machine cannot run the rig (--check exits
// 77). Anything else, a missing environment variable or sluice-fwd included, is a broken
// set-up rather than a machine limit: the case then runs and fails on it.
boost::test_tools::assertion_result machine_can_run_the_rig(boost::unit_test::test_unit_id) {
    if (rig_script().empty() || apps_dir().empty()) return true;
    const command_run check = run_command("timeout 30 " + rig_script() + " --check --apps " + apps_dir());
    if (check.exit_code != 77) return true;  // can run, or a real error the case itself reports
    boost::test_tools::assertion_result skip(false);
    skip.message() << check.output;
    return skip;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarder_rig)

BOOST_AUTO_TEST_CASE(sluice_fwd_forwards_every_frame_exactly_once_in_order_per_flow,
                     *boost::unit_test::precondition(machine_can_run_the_rig)) {
    BOOST_REQUIRE_MESSAGE(!rig_script().empty(), "SLUICE_SOURCE_ROOT is not set; run this suite with meson test");
    BOOST_REQUIRE_MESSAGE(!apps_dir().empty(), "SLUICE_APPS_DIR is not set; run this suite with meson test");
    const command_run run = run_command("timeout 120 " + rig_script() + " --apps " + apps_dir() + " --flows 16 --frames 2000");
    BOOST_TEST_MESSAGE(run.output);
    BOOST_CHECK_MESSAGE(run.exit_code == 0, "fwd-veth exited " << run.exit_code << ":\n" << run.output);
    std::smatch verdict;
    BOOST_REQUIRE_MESSAGE(std::regex_search(run.output, verdict,
                                            std::regex("fwd-check: ([0-9]+) frames, ([0-9]+) flow-directions, ([0-9]+) "
                                                       "lost, ([0-9]+) duplicated, ([0-9]+) out of order(.*)")),
                          "no verdict line in:\n" << run.output);
    BOOST_CHECK_EQUAL(verdict[1].str(), "4000");
    BOOST_CHECK_EQUAL(verdict[2].str(), "32");
    BOOST_CHECK_EQUAL(verdict[3].str(), "0");
    BOOST_CHECK_EQUAL(verdict[4].str(), "0");
    BOOST_CHECK_EQUAL(verdict[5].str(), "0");
    BOOST_CHECK_EQUAL(verdict[6].str(), "");  // nothing corrupt, on the wrong port, or never sent
    // The rig leaves nothing behind: not its namespace, not its interfaces.
    std::smatch rig;
    BOOST_REQUIRE_MESSAGE(std::regex_search(run.output, rig, std::regex("namespace (sluice-fwd-([0-9]+)),")),
                          "fwd-veth did not name its namespace:\n" << run.output);
    const std::string pid = rig[2].str();
    const command_run left = run_command("ip netns list | grep -cx '" + rig[1].str() + "\\( .*\\)\\?'; "
                                         "ip -o link | grep -cE ': sf[ab]" + pid + "[:@]'");
    BOOST_CHECK_MESSAGE(left.output == "0\n0\n", "left behind (namespaces, interfaces counted):\n" << left.output);
}

BOOST_AUTO_TEST_SUITE_END()
