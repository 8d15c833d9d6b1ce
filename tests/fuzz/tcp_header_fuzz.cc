// tcp_header_fuzz: wire::tcp_header::parse and parse_quoted, and wire::tcp_options::parse,
// on arbitrary bytes. Each parser gets an exact-size heap copy of what it may read, so
// AddressSanitizer sees a read one byte past it. Checked, aborting on a mismatch:
// - parse refuses exactly what lib/net/wire/tcp.hh says it refuses, with that reason, and
//   a header it takes has the input's fields (read here independently, big-endian);
// - a parsed header emitted and parsed again is the same header (the reserved bits aside,
//   which emit writes as zero), and so is a quoted one;
// - parsed options emitted and parsed again are the same options, whenever they are in a
//   shape a connection sends (SYN options, or timestamps and SACK blocks): length() and
//   emit() then stay within 40 bytes, and emit writes exactly length() bytes.
// Run: tools/fuzz, or build-fuzz/tests/fuzz/tcp_header_fuzz CORPUS_DIR (libFuzzer flags).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "sluice/net/wire/drop_reason.hh"
#include "sluice/net/wire/tcp.hh"
#include "tests/fuzz/fuzz_support.hh"

namespace {

using namespace sluice::net::wire;
using sluice::fuzz::as_bytes;

// An exact-size heap copy: a read past its end is an ASan report, not a quiet read of the
// caller's next byte.
struct heap_copy {
    std::unique_ptr<std::byte[]> bytes;
    std::size_t size;
    explicit heap_copy(std::span<const std::byte> from) : bytes(new std::byte[from.size()]), size(from.size()) {
        if (size != 0) std::memcpy(bytes.get(), from.data(), size);
    }
    std::span<const std::byte> view() const noexcept { return {bytes.get(), size}; }
};

std::uint16_t be16(std::span<const std::byte> b, std::size_t at) {
    return std::uint16_t(std::to_integer<unsigned>(b[at]) << 8 | std::to_integer<unsigned>(b[at + 1]));
}
std::uint32_t be32(std::span<const std::byte> b, std::size_t at) {
    return std::uint32_t(be16(b, at)) << 16 | be16(b, at + 2);
}

// Options emitted and parsed again: the same options, in exactly length() <= 40 bytes.
void check_options_round_trip(const tcp_options& options) {
    const std::size_t length = options.length();
    SLUICE_FUZZ_CHECK(length <= tcp_options::max_length, "length() %zu for a sendable shape", length);
    SLUICE_FUZZ_CHECK(length % 4 == 0, "length() %zu not a multiple of 4", length);
    auto out = std::make_unique<std::byte[]>(length);  // exactly length(): ASan sees a longer write
    const std::size_t written = options.emit({out.get(), length});
    SLUICE_FUZZ_CHECK(written == length, "emit() wrote %zu bytes, length() said %zu", written, length);
    tcp_options again = tcp_options::parse({out.get(), length});
    SLUICE_FUZZ_CHECK(!again.malformed, "emitted options parse as malformed");
    tcp_options want = options;
    want.malformed = false;
    for (std::size_t b = want.sack_count; b < tcp_options::max_sack_blocks; ++b) want.sack[b] = {};
    for (std::size_t b = again.sack_count; b < tcp_options::max_sack_blocks; ++b) again.sack[b] = {};
    SLUICE_FUZZ_CHECK(again == want, "options differ after emit and parse (mss %d/%d, wscale %d/%d, sackok %d/%d, ts %d/%d, sack %u/%u)",
                      want.mss ? int(*want.mss) : -1, again.mss ? int(*again.mss) : -1,
                      want.window_scale ? int(*want.window_scale) : -1, again.window_scale ? int(*again.window_scale) : -1,
                      int(want.sack_permitted), int(again.sack_permitted), int(bool(want.timestamps)),
                      int(bool(again.timestamps)), unsigned(want.sack_count), unsigned(again.sack_count));
}

// What parse keeps is bounded whatever the bytes; and each shape a connection sends
// (lib/net/tcp/output.cc: the SYN's options, or timestamps with SACK blocks, at most 3
// beside timestamps and 4 without) round-trips within 40 bytes.
void check_options(std::span<const std::byte> bytes) {
    const heap_copy copy(bytes);
    const tcp_options parsed = tcp_options::parse(copy.view());
    SLUICE_FUZZ_CHECK(parsed.sack_count <= tcp_options::max_sack_blocks, "sack_count %u", unsigned(parsed.sack_count));
    tcp_options syn_shape = parsed;
    syn_shape.sack_count = 0;
    check_options_round_trip(syn_shape);
    tcp_options ack_shape = parsed;
    ack_shape.mss.reset();
    ack_shape.window_scale.reset();
    ack_shape.sack_permitted = false;
    ack_shape.sack_count = std::uint8_t(std::min<std::size_t>(parsed.sack_count, parsed.timestamps ? 3 : 4));
    check_options_round_trip(ack_shape);
    // Any other mix (SACK blocks beside SYN-only options) is outside emit's contract; it
    // must still round-trip whenever it fits.
    if (parsed.length() <= tcp_options::max_length) check_options_round_trip(parsed);
}

void check_header(std::span<const std::byte> segment, std::size_t segment_length) {
    // The parser may read the header's bytes only: hand it at most 60 of them.
    const heap_copy header_bytes(segment.first(std::min(segment.size(), tcp_header::max_length)));
    const auto parsed = tcp_header::parse(header_bytes.view(), segment_length);
    const std::size_t have = header_bytes.size;
    if (have < tcp_header::min_length || segment_length < tcp_header::min_length) {
        SLUICE_FUZZ_CHECK(!parsed && parsed.error() == drop_reason::tcp_truncated, "short input not refused as truncated");
        return;
    }
    const unsigned words = std::to_integer<unsigned>(segment[12]) >> 4;
    if (words < 5) {
        SLUICE_FUZZ_CHECK(!parsed && parsed.error() == drop_reason::tcp_bad_data_offset, "data offset %u taken", words);
        return;
    }
    if (words * 4 > have || words * 4 > segment_length) {
        SLUICE_FUZZ_CHECK(!parsed && parsed.error() == drop_reason::tcp_truncated, "data offset %u past the bytes taken",
                          words);
        return;
    }
    SLUICE_FUZZ_CHECK(parsed.ok(), "a well-formed header refused (%s)", std::string(name(parsed.error())).c_str());
    const tcp_header& h = *parsed;
    SLUICE_FUZZ_CHECK(h.source_port == be16(segment, 0) && h.destination_port == be16(segment, 2) &&
                          h.sequence == be32(segment, 4) && h.acknowledgment == be32(segment, 8) &&
                          h.data_offset_words == words && h.flags == std::to_integer<std::uint8_t>(segment[13]) &&
                          h.window == be16(segment, 14) && h.checksum == be16(segment, 16) &&
                          h.urgent_pointer == be16(segment, 18),
                      "parsed fields differ from the bytes");
    SLUICE_FUZZ_CHECK(h.header_length() == words * 4, "header_length %zu", h.header_length());

    // Emit the fixed header, put the options back behind it, parse again.
    const std::size_t length = h.header_length();
    auto again_bytes = std::make_unique<std::byte[]>(length);
    h.emit({again_bytes.get(), tcp_header::min_length});
    std::memcpy(again_bytes.get() + tcp_header::min_length, segment.data() + tcp_header::min_length,
                length - tcp_header::min_length);
    for (std::size_t i = 0; i < tcp_header::min_length; ++i) {
        const std::byte want = i == 12 ? (segment[i] & std::byte{0xf0}) : segment[i];  // reserved bits go out as 0
        SLUICE_FUZZ_CHECK(again_bytes[i] == want, "emitted byte %zu differs", i);
    }
    const auto again = tcp_header::parse({again_bytes.get(), length}, length);
    SLUICE_FUZZ_CHECK(again.ok() && *again == h, "header differs after emit and parse");

    check_options(segment.subspan(tcp_header::min_length, length - tcp_header::min_length));
}

void check_quoted(std::span<const std::byte> quoted) {
    const heap_copy copy(quoted.first(std::min<std::size_t>(quoted.size(), 8)));
    const auto parsed = tcp_header::parse_quoted(copy.view());
    if (copy.size < 8) {
        SLUICE_FUZZ_CHECK(!parsed && parsed.error() == drop_reason::tcp_truncated, "short quote not refused");
        return;
    }
    SLUICE_FUZZ_CHECK(parsed.ok() && parsed->source_port == be16(quoted, 0) && parsed->destination_port == be16(quoted, 2) &&
                          parsed->sequence == be32(quoted, 4),
                      "quoted fields differ from the bytes");
    std::byte out[tcp_header::min_length];
    parsed->emit(out);
    const auto again = tcp_header::parse_quoted(std::span<const std::byte>(out, 8));
    SLUICE_FUZZ_CHECK(again.ok() && again->source_port == parsed->source_port &&
                          again->destination_port == parsed->destination_port && again->sequence == parsed->sequence,
                      "quoted header differs after emit and parse");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> bytes = as_bytes({data, size});
    // The segment as IPv4 delivers it (its whole length known), and as a header whose
    // segment the caller says is shorter: the first byte picks that length.
    check_header(bytes, size);
    if (size > 0) check_header(bytes, std::to_integer<std::size_t>(bytes[0]));
    check_quoted(bytes);
    // Options straight from the input, longer than any header holds.
    check_options(bytes);
    return 0;
}
