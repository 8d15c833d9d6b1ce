// Sluice as a library: `meson install` of this build, then examples/udp-echo built as a
// team builds its own program — once with its Makefile and `pkg-config --cflags --libs
// sluice`, once as a meson project with dependency('sluice') — and each program run on a
// net_ring port for a second. tests/integration/out-of-tree-build does the steps.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::run_command;

// One scratch folder per test process; the install step runs once, for every case.
struct installed_sluice {
    std::string work = "/tmp/sluice-out-of-tree-" + std::to_string(getpid());
    std::string script = sluice::testing::source_dir() + "/tests/integration/out-of-tree-build";
    std::string build_root = sluice::testing::build_dir();
    command_run install = step("install");

    ~installed_sluice() { std::filesystem::remove_all(work); }

    command_run step(const std::string& name) const {
        return run_command("timeout 300 " + script + " " + name + " " + build_root + " " + work);
    }

    // Runs a built example for one second on a loopback net_ring port of its own.
    command_run run_example(const std::string& binary) const {
        const std::string prefix = "sluice-oot-" + std::to_string(getpid());
        return run_command("timeout 60 " + work + "/" + binary +
                           " --shards 1 --port net_ring0 --address 198.18.0.1/30 --duration 1 -- --no-huge --no-pci"
                           " --vdev=net_ring0 --file-prefix=" + prefix);
    }
};

installed_sluice& installed() {
    static installed_sluice instance;
    return instance;
}

void expect_echo_ran(const command_run& run) {
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_CHECK_EQUAL(run.exit_code, 0);
        BOOST_CHECK(run.output.find("udp-echo: ready on 198.18.0.1/30 udp port 7, 1 shard(s)") != std::string::npos);
        BOOST_CHECK(run.output.find("udp-echo: shard 0 echoed 0") != std::string::npos);
    }
}

// Builds examples/udp-echo with one of the script's steps, then runs what it built.
void expect_example_builds_and_runs(const std::string& step, const std::string& binary) {
    const installed_sluice& sluice = installed();
    BOOST_REQUIRE_EQUAL(sluice.install.exit_code, 0);
    const command_run built = sluice.step(step);
    BOOST_TEST_CONTEXT(built.output) { BOOST_REQUIRE_EQUAL(built.exit_code, 0); }
    expect_echo_ran(sluice.run_example(binary));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sluice_as_a_library)

BOOST_AUTO_TEST_CASE(install_puts_headers_under_sluice_and_a_pc_that_names_them) {
    const installed_sluice& sluice = installed();
    BOOST_TEST_CONTEXT(sluice.install.output) {
        BOOST_REQUIRE_EQUAL(sluice.install.exit_code, 0);
        const std::string include_dir = sluice.work + "/stage/usr/local/include";
        BOOST_CHECK(sluice.install.output.find("-I" + include_dir) != std::string::npos);
        BOOST_CHECK(sluice.install.output.find("-lsluice_net") != std::string::npos);
        BOOST_CHECK(sluice.install.output.find("-lrte_eal") != std::string::npos);  // public Requires: libdpdk
        BOOST_CHECK(std::filesystem::is_regular_file(include_dir + "/sluice/net/udp_socket.hh"));
        BOOST_CHECK(std::filesystem::is_regular_file(include_dir + "/sluice/net/wire/ipv4.hh"));
        BOOST_CHECK(std::filesystem::is_regular_file(include_dir + "/sluice/storage/detail/operation.hh"));
        BOOST_CHECK(std::filesystem::is_regular_file(include_dir + "/sluice/dpdk/bring_up.hh"));
        // Nothing lands beside sluice/ where another project's lib/ or drivers/ would be.
        for (const auto& entry : std::filesystem::directory_iterator(include_dir)) {
            BOOST_CHECK_EQUAL(entry.path().filename().string(), "sluice");
        }
    }
}

BOOST_AUTO_TEST_CASE(example_builds_with_its_makefile_and_pkg_config_and_runs) {
    expect_example_builds_and_runs("make", "make/udp-echo");
}

BOOST_AUTO_TEST_CASE(example_builds_as_a_meson_project_of_its_own_and_runs) {
    expect_example_builds_and_runs("meson", "meson-build/udp-echo");
}

BOOST_AUTO_TEST_CASE(an_unknown_step_is_refused_with_exit_2) {
    const installed_sluice& sluice = installed();
    const command_run refused = sluice.step("makefile");
    BOOST_CHECK_EQUAL(refused.exit_code, 2);
    BOOST_CHECK(refused.output.find("unknown step 'makefile'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
