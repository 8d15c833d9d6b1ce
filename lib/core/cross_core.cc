#include "sluice/core/cross_core.hh"

#include <cstdio>
#include <cstdlib>

namespace sluice {

namespace {
unsigned running_shard_count = 0;
}

unsigned shard_count() noexcept { return running_shard_count; }

// A shard's end of the mesh: its outgoing batches and the pollers that move them.
class cross_core::endpoint {
public:
    endpoint(cross_core& mesh, shard& owner) : mesh_(mesh), owner_(owner), outbound_(mesh.shard_count()) {
        for (auto& batch : outbound_) batch.reserve(receive_burst);
    }

    void queue(detail::cross_core_message& message) {
        const unsigned to = message.is_reply ? message.source : message.target;
        outbound_[to].push_back(&message);
    }

    std::size_t backlog() const noexcept {
        std::size_t waiting = 0;
        for (const auto& batch : outbound_) waiting += batch.size();
        return waiting;
    }

    // Transmit stage: one push per destination per turn.
    bool flush() {
        bool moved = false;
        for (unsigned to = 0; to < outbound_.size(); ++to) {
            auto& batch = outbound_[to];
            if (batch.empty()) continue;
            const std::size_t pushed = mesh_.ring(owner_.id(), to).push_burst(batch);
            batch.erase(batch.begin(), batch.begin() + std::ptrdiff_t(pushed));  // a full ring keeps the rest for next turn
            moved |= pushed != 0;
        }
        return moved;
    }

    // Inbound stage: at most one burst from each peer per turn, so no peer starves another.
    bool drain() {
        detail::cross_core_message* burst[receive_burst];
        bool received = false;
        for (unsigned from = 0; from < outbound_.size(); ++from) {
            if (from == owner_.id()) continue;
            const std::size_t count = mesh_.ring(from, owner_.id()).pop_burst(burst);
            for (std::size_t i = 0; i < count; ++i) {
                if (burst[i]->is_reply) burst[i]->complete_on_source();
                else burst[i]->run_on_target();
            }
            received |= count != 0;
        }
        return received;
    }

    struct inbound_poller final : poller {
        endpoint& self;
        explicit inbound_poller(endpoint& e) : self(e) {}
        // Drain, then push what this turn has queued so far (the tasks' requests and the
        // replies just made) in one batch per peer, without waiting for the transmit stage.
        bool poll() override {
            const bool received = self.drain();
            return self.flush() || received;
        }
    };
    struct flush_poller final : poller {
        endpoint& self;
        explicit flush_poller(endpoint& e) : self(e) {}
        bool poll() override { return self.flush(); }
    };

    cross_core& mesh_;
    shard& owner_;
    std::vector<std::vector<detail::cross_core_message*>> outbound_;
    inbound_poller inbound_{*this};
    flush_poller flusher_{*this};
};

namespace {
thread_local cross_core::endpoint* this_endpoint = nullptr;
}

cross_core::cross_core(unsigned shard_count, std::size_t ring_size)
    : shard_count_(shard_count), rings_(std::size_t(shard_count) * shard_count), endpoints_(shard_count) {
    for (unsigned from = 0; from < shard_count; ++from) {
        for (unsigned to = 0; to < shard_count; ++to) {
            if (from != to) {
                rings_[from * shard_count + to] = std::make_unique<ring_type>(ring_size);
            }
        }
    }
    running_shard_count = shard_count;
}

cross_core::~cross_core() { running_shard_count = 0; }

void cross_core::attach(shard& owner) {
    auto& end = endpoints_[owner.id()];
    end = std::make_unique<endpoint>(*this, owner);
    owner.add_poller(end->inbound_, loop_stage::cross_core_inbound);
    owner.add_poller(end->flusher_, loop_stage::transmit);
    this_endpoint = end.get();
}

void cross_core::detach(shard& owner) {
    auto& end = endpoints_[owner.id()];
    if (!end) return;
    owner.remove_poller(end->inbound_);
    owner.remove_poller(end->flusher_);
    if (this_endpoint == end.get()) this_endpoint = nullptr;
    end.reset();
}

void cross_core::send(detail::cross_core_message& message) {
    if (!this_endpoint) {
        std::fprintf(stderr, "sluice: submit_to() called off-shard; call it from a task running on a shard\n");
        std::abort();
    }
    this_endpoint->queue(message);
}

std::size_t cross_core::backlog() noexcept { return this_endpoint ? this_endpoint->backlog() : 0; }

}  // namespace sluice
