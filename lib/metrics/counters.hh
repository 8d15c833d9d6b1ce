// sluice::metrics::counter and counter_registry: plain named uint64 counters, one registry
// per shard. Only the owning shard touches them (no atomics, docs/architecture.md rule 1); a collector
// runs snapshot() on each shard (via submit_to) and sums the snapshots with sum().
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::metrics {

class counter {
public:
    explicit counter(std::string name) : name_(std::move(name)) {}

    // Hot path: a plain add on shard-owned memory.
    void add(uint64_t n = 1) noexcept { value_ += n; }
    counter& operator++() noexcept {
        ++value_;
        return *this;
    }
    counter& operator+=(uint64_t n) noexcept {
        value_ += n;
        return *this;
    }

    uint64_t value() const noexcept { return value_; }
    const std::string& name() const noexcept { return name_; }
    void reset() noexcept { value_ = 0; }

private:
    std::string name_;
    uint64_t value_ = 0;
};

// name -> value, ordered so reports print in a stable order.
using counter_snapshot = std::map<std::string, uint64_t, std::less<>>;

class counter_registry {
public:
    counter_registry() = default;
    // Counters are handed out by reference: copying the registry would leave callers
    // holding the old ones. Moving keeps every counter's address.
    counter_registry(const counter_registry&) = delete;
    counter_registry& operator=(const counter_registry&) = delete;
    counter_registry(counter_registry&&) = default;
    counter_registry& operator=(counter_registry&&) = default;

    // Control path (allocates). The reference stays valid for the registry's lifetime.
    // Asking again for a name returns the same counter, so two modules can share one.
    counter& get(std::string_view name);
    // nullptr when no counter has that name.
    const counter* find(std::string_view name) const noexcept;

    std::size_t size() const noexcept { return counters_.size(); }
    counter_snapshot snapshot() const;
    void reset_all() noexcept;

private:
    std::deque<counter> counters_;  // a deque never moves its elements on growth
};

// Adds snapshots from several shards, name by name (a name missing in one counts as 0).
counter_snapshot sum(std::span<const counter_snapshot> per_shard);

}  // namespace sluice::metrics
