// The fix a failed rx queue set-up names: on net_af_xdp, the interface's (or its veth
// peer's) MTU, read from a scratch sysfs tree the test writes; elsewhere, the mbufs.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "sluice/dpdk/setup_hint.hh"

namespace {

using sluice::dpdk::rx_queue_setup_hint;

// A sysfs-like folder with one interface: its mtu, ifindex and iflink files.
struct scratch_sysfs {
    std::filesystem::path root = "/tmp/sluice-sysfs-" + std::to_string(getpid());
    scratch_sysfs() { std::filesystem::create_directories(root); }
    ~scratch_sysfs() { std::filesystem::remove_all(root); }
    void add(const std::string& name, unsigned mtu, unsigned index, unsigned link) const {
        std::filesystem::create_directories(root / name);
        std::ofstream(root / name / "mtu") << mtu << "\n";
        std::ofstream(root / name / "ifindex") << index << "\n";
        std::ofstream(root / name / "iflink") << link << "\n";
    }
};

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(setup_hint)

BOOST_AUTO_TEST_CASE(devarg_value_finds_a_key_among_the_vdev_arguments) {
    BOOST_CHECK_EQUAL(sluice::dpdk::devarg_value("iface=veth0,start_queue=0", "iface").value_or("?"), "veth0");
    BOOST_CHECK_EQUAL(sluice::dpdk::devarg_value("start_queue=0,iface=v1", "iface").value_or("?"), "v1");
    BOOST_CHECK(!sluice::dpdk::devarg_value("ifaces=veth0", "iface"));
    BOOST_CHECK(!sluice::dpdk::devarg_value("", "iface"));
}

BOOST_AUTO_TEST_CASE(af_xdp_on_an_interface_with_a_jumbo_mtu_names_the_mtu_not_the_mbufs) {
    scratch_sysfs sysfs;
    sysfs.add("veth0", 9000, 7, 6);
    const std::string hint = rx_queue_setup_hint("net_af_xdp", "iface=veth0", -EINVAL, sysfs.root.string());
    BOOST_TEST_CONTEXT(hint) {
        BOOST_CHECK(mentions(hint, "MTU 9000"));
        BOOST_CHECK(mentions(hint, "ip link set dev veth0 mtu 1500"));
        BOOST_CHECK(!mentions(hint, "mbufs"));
    }
}

BOOST_AUTO_TEST_CASE(af_xdp_on_a_veth_names_the_peers_mtu_limit) {
    scratch_sysfs sysfs;
    sysfs.add("veth0", 1500, 7, 6);  // iflink != ifindex: a peer elsewhere
    const std::string hint = rx_queue_setup_hint("net_af_xdp", "iface=veth0", -EINVAL, sysfs.root.string());
    BOOST_TEST_CONTEXT(hint) {
        BOOST_CHECK(mentions(hint, "peer's MTU must also be at most 3506"));
        BOOST_CHECK(!mentions(hint, "mbufs"));
    }
}

BOOST_AUTO_TEST_CASE(af_xdp_with_an_interface_that_does_not_exist_says_so) {
    scratch_sysfs sysfs;
    const std::string hint = rx_queue_setup_hint("net_af_xdp", "iface=nosuch0", -EINVAL, sysfs.root.string());
    BOOST_CHECK_MESSAGE(mentions(hint, "no interface nosuch0"), hint);
}

BOOST_AUTO_TEST_CASE(other_drivers_keep_the_mbuf_advice) {
    BOOST_CHECK(mentions(rx_queue_setup_hint("net_af_packet", "iface=veth0", -ENOMEM), "framesz"));
    BOOST_CHECK(mentions(rx_queue_setup_hint("net_ring", "", -EINVAL), "more mbufs than rx descriptors"));
}

BOOST_AUTO_TEST_SUITE_END()
