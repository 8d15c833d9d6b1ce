// SYN cookies, RFC 4987 3.6: the layout is in syn_cookies.hh. Read RFC 4987 3.6 (the
// scheme and its limits: only what the cookie encodes survives) and RFC 7323 3 before editing.
#include "sluice/net/tcp/syn_cookies.hh"

#include <algorithm>

#include "sluice/net/wire/tcp.hh"

namespace sluice::net::tcp {

namespace {

constexpr unsigned counter_shift = 27;
constexpr unsigned index_shift = 24;
constexpr std::uint32_t hash_mask = 0x00ffffffu;
constexpr std::uint32_t counter_count = 32;  // 5 bits

constexpr std::uint32_t window_scale_mask = 0x0fu;
constexpr std::uint32_t no_window_scale = 0x0fu;
constexpr std::uint32_t sack_permitted_bit = 0x10u;
constexpr std::uint32_t option_bits = 0x3fu;  // 6 bits, bit 5 spare

// Which 64-second period `now` lies in, rounding down also before the clock's epoch.
std::int64_t period_of(clock::time_point now) noexcept {
    return std::chrono::floor<std::chrono::duration<std::int64_t, std::ratio<64>>>(now.time_since_epoch()).count();
}

}  // namespace

syn_cookies::syn_cookies() : key_(hash_key::random()) {}

std::uint32_t syn_cookies::hash(const four_tuple& tuple, seq peer_isn, std::int64_t period_number,
                                std::uint32_t mss_index) const noexcept {
    const hash_input input =
        hash_input{}.add(tuple).add(peer_isn.value, 4).add(std::uint64_t(period_number), 8).add(mss_index, 1);
    return std::uint32_t(keyed_hash(key_, input.bytes())) & hash_mask;
}

syn_cookie syn_cookies::make(const four_tuple& tuple, seq peer_isn, std::uint16_t peer_mss,
                             clock::time_point now) const noexcept {
    // The largest entry that does not exceed what the peer can take; the smallest otherwise.
    std::uint32_t index = 0;
    for (std::uint32_t i = 1; i < mss_table.size(); ++i) {
        if (mss_table[i] <= peer_mss) index = i;
    }
    const std::int64_t period_number = period_of(now);
    const auto counter = std::uint32_t(std::uint64_t(period_number) % counter_count);
    const std::uint32_t cookie =
        counter << counter_shift | index << index_shift | hash(tuple, peer_isn, period_number, index);
    return {seq(cookie), mss_table[index]};
}

std::optional<std::uint16_t> syn_cookies::check(const four_tuple& tuple, seq peer_isn, seq acknowledged,
                                                clock::time_point now) const noexcept {
    const std::uint32_t cookie = acknowledged.value;
    const std::int64_t current = period_of(now);
    const std::uint32_t counter = cookie >> counter_shift;
    // How many periods ago it was made, mod 32: RFC 4987 3.6 bounds a cookie's life.
    const std::uint32_t age = (std::uint32_t(std::uint64_t(current) % counter_count) - counter) % counter_count;
    if (age > 1) return std::nullopt;
    const std::uint32_t index = (cookie >> index_shift) & 0x7u;
    if ((cookie & hash_mask) != hash(tuple, peer_isn, current - std::int64_t(age), index)) return std::nullopt;
    return mss_table[index];
}

std::uint32_t syn_cookies::encode_options(std::uint32_t timestamp_value, const syn_cookie_options& options) noexcept {
    std::uint32_t bits = no_window_scale;
    if (options.window_scale) bits = std::min<std::uint32_t>(*options.window_scale, wire::tcp_max_window_scale);
    if (options.sack_permitted) bits |= sack_permitted_bit;
    std::uint32_t encoded = (timestamp_value & ~option_bits) | bits;
    // Never ahead of the clock: a later TSval below this one would look like a wrap (RFC 7323 5.4).
    if (encoded > timestamp_value) encoded -= option_bits + 1;
    return encoded;
}

syn_cookie_options syn_cookies::decode_options(std::uint32_t echoed_timestamp) noexcept {
    syn_cookie_options options;
    const std::uint32_t scale = echoed_timestamp & window_scale_mask;
    if (scale != no_window_scale) options.window_scale = std::uint8_t(scale);
    options.sack_permitted = (echoed_timestamp & sack_permitted_bit) != 0;
    return options;
}

}  // namespace sluice::net::tcp
