#include "sluice/sim/fault_plan.hh"

#include <rte_mbuf.h>

namespace sluice::sim {

void flip_bit(rte_mbuf* frame, std::uint64_t bit) noexcept {
    std::uint64_t offset = bit / 8;
    for (rte_mbuf* segment = frame; segment != nullptr; segment = segment->next) {
        if (offset < segment->data_len) {
            *rte_pktmbuf_mtod_offset(segment, std::uint8_t*, offset) ^= std::uint8_t(1u << (bit % 8));
            return;
        }
        offset -= segment->data_len;
    }
}

}  // namespace sluice::sim
