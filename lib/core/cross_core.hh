// sluice::cross_core: the mesh of SPSC rings joining the shards (docs/architecture.md, rule 6), one ring
// per ordered pair. A shard queues outgoing messages during its turn and pushes them to
// the rings in one batch at the transmit stage; the receiver drains its inbound rings at
// the cross_core_inbound stage. Built by the runtime; each shard touches only its own end.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "sluice/core/shard.hh"
#include "sluice/core/spsc_ring.hh"

namespace sluice {

namespace detail {

// A request that crosses to a target shard and comes back as its own reply: the same
// object travels source → target → source, so a round trip allocates nothing.
class cross_core_message {
public:
    unsigned source = 0;
    unsigned target = 0;
    bool is_reply = false;

    // On the target shard: do the work, then reply_to_source().
    virtual void run_on_target() noexcept = 0;
    // Back on the source shard: hand the outcome to whoever waits.
    virtual void complete_on_source() noexcept = 0;

protected:
    ~cross_core_message() = default;
};

}  // namespace detail

class cross_core {
public:
    static constexpr std::size_t receive_burst = 32;

    cross_core(unsigned shard_count, std::size_t ring_size);
    cross_core(const cross_core&) = delete;
    cross_core& operator=(const cross_core&) = delete;
    ~cross_core();

    unsigned shard_count() const noexcept { return shard_count_; }

    // Called on each shard's own thread before its loop starts: plugs its pollers in.
    void attach(shard& owner);
    void detach(shard& owner);

    // From the current shard: queue `message` for its target (or its source, once
    // is_reply is set). Delivered after this turn's transmit stage.
    static void send(detail::cross_core_message& message);

    // Messages queued on this shard that the rings had no room for yet.
    static std::size_t backlog() noexcept;

    class endpoint;  // internal: a shard's end of the mesh (cross_core.cc)

private:
    // Signalled by slot: a request or reply costs one cache line per hop (docs/ring.md).
    using ring_type = spsc_ring<detail::cross_core_message*, ring_signal::slot_value>;

    ring_type& ring(unsigned from, unsigned to) noexcept { return *rings_[from * shard_count_ + to]; }

    unsigned shard_count_;
    std::vector<std::unique_ptr<ring_type>> rings_;  // [from][to]; null on the diagonal
    std::vector<std::unique_ptr<endpoint>> endpoints_;                          // one per shard
};

// The number of shards in the running runtime (0 when none runs).
unsigned shard_count() noexcept;

}  // namespace sluice
