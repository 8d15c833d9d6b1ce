#include "sluice/metrics/counters.hh"

namespace sluice::metrics {

counter& counter_registry::get(std::string_view name) {
    // Linear search: registries hold tens of counters and lookups happen at set-up.
    for (counter& c : counters_)
        if (c.name() == name) return c;
    return counters_.emplace_back(std::string(name));
}

const counter* counter_registry::find(std::string_view name) const noexcept {
    for (const counter& c : counters_)
        if (c.name() == name) return &c;
    return nullptr;
}

counter_snapshot counter_registry::snapshot() const {
    counter_snapshot out;
    for (const counter& c : counters_) out.emplace(c.name(), c.value());
    return out;
}

void counter_registry::reset_all() noexcept {
    for (counter& c : counters_) c.reset();
}

counter_snapshot sum(std::span<const counter_snapshot> per_shard) {
    counter_snapshot total;
    for (const counter_snapshot& shard : per_shard)
        for (const auto& [name, value] : shard) total[name] += value;
    return total;
}

}  // namespace sluice::metrics
