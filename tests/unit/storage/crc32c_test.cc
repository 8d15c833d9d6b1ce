// CRC32C: the SSE4.2 instruction (when the build targets it) and the portable table give
// the catalogue's check value 0xE3069283 for "123456789", agree with each other on random
// data of every length and alignment, and continue across split inputs.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "sluice/storage/crc32c.hh"

using namespace sluice::storage;

namespace {

std::span<const std::byte> bytes_of(std::string_view text) { return std::as_bytes(std::span(text)); }

}  // namespace

BOOST_AUTO_TEST_SUITE(crc32c_checks)

BOOST_AUTO_TEST_CASE(both_implementations_give_the_standard_check_value) {
    BOOST_TEST(crc32c_portable(bytes_of("123456789")) == 0xE3069283u);
    BOOST_TEST(crc32c_hardware(bytes_of("123456789")) == 0xE3069283u);
    BOOST_TEST(crc32c(bytes_of("123456789")) == 0xE3069283u);
    BOOST_TEST(crc32c({}) == 0u);
    BOOST_TEST_MESSAGE("crc32c uses " << (crc32c_hardware_available() ? "the SSE4.2 instruction" : "the table"));
}

BOOST_AUTO_TEST_CASE(thirty_two_zero_bytes_match_rfc_3720) {
    // RFC 3720 appendix B.4: 32 bytes of zeros give 0x8A9136AA.
    const std::vector<std::byte> zeros(32);
    BOOST_TEST(crc32c_portable(zeros) == 0x8A9136AAu);
    BOOST_TEST(crc32c_hardware(zeros) == 0x8A9136AAu);
}

BOOST_AUTO_TEST_CASE(hardware_and_table_agree_on_random_data_at_every_length_and_alignment) {
    std::mt19937_64 random(3720);
    std::vector<std::byte> data(4096 + 16);
    for (auto& b : data) b = std::byte(random());
    int disagreements = 0;
    for (std::size_t start = 0; start < 8; ++start) {
        for (std::size_t length = 0; length <= 300; ++length) {
            const std::span<const std::byte> piece(data.data() + start, length);
            disagreements += crc32c_hardware(piece) != crc32c_portable(piece);
        }
    }
    const std::span<const std::byte> whole(data.data() + 3, 4096);
    disagreements += crc32c_hardware(whole) != crc32c_portable(whole);
    BOOST_TEST(disagreements == 0);
}

BOOST_AUTO_TEST_CASE(a_crc_continues_across_split_input) {
    const auto text = bytes_of("123456789");
    for (std::size_t split = 0; split <= text.size(); ++split) {
        const std::uint32_t first = crc32c(text.first(split));
        BOOST_TEST(crc32c(text.subspan(split), first) == 0xE3069283u);
        BOOST_TEST(crc32c_portable(text.subspan(split), crc32c_portable(text.first(split))) == 0xE3069283u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
