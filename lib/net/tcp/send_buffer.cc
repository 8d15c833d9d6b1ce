// The send buffer: pieces of written bytes, a view per transmission, freed by acknowledgment.
#include "sluice/net/tcp/send_buffer.hh"

#include <algorithm>
#include <utility>

namespace sluice::net::tcp {

buffer_result<std::size_t> send_buffer::write(std::span<const std::byte> bytes) noexcept {
    const std::size_t take = std::min(bytes.size(), room());
    std::size_t taken = 0;
    while (taken < take) {
        if (open_.length() >= piece_bytes) close_open_piece();
        const std::size_t part = std::min(take - taken, piece_bytes - open_.length());
        const auto chunk = bytes.subspan(taken, part);
        // Each step is all or nothing (packet.hh), so a dry pool leaves earlier steps whole.
        if (open_.mbuf() == nullptr) {
            auto made = packet::copy_of(chunk);
            if (!made) {
                if (taken == 0) return made.error();
                break;
            }
            open_ = std::move(made).value();
        } else if (auto appended = open_.append_copy(chunk); !appended) {
            if (taken == 0) return appended.error();
            break;
        }
        taken += part;
    }
    if (open_.length() >= piece_bytes) close_open_piece();
    size_ += taken;
    return taken;
}

bool send_buffer::write(buffer&& bytes) {
    if (bytes.size() > room()) return false;
    if (bytes.empty()) return true;
    // The open packet's bytes come first in sequence, so it closes before the view queues.
    close_open_piece();
    size_ += bytes.size();
    pieces_.push_back(std::move(bytes));
    return true;
}

void send_buffer::close_open_piece() {
    if (open_.length() != 0) pieces_.push_back(std::move(open_).into_buffer());
    open_ = packet();
}

buffer send_buffer::view(seq from, std::size_t max) const {
    buffer out;
    const std::int32_t ahead = from - head_;
    if (ahead < 0 || std::size_t(ahead) >= size_) return out;
    std::size_t offset = std::size_t(ahead);
    std::size_t left = std::min(max, size_ - offset);
    for (std::size_t i = first_piece_; i < pieces_.size(); ++i) {
        const buffer& piece = pieces_[i];
        if (left == 0) return out;
        if (offset >= piece.size()) {
            offset -= piece.size();
            continue;
        }
        const std::size_t part = std::min(left, piece.size() - offset);
        out.append(piece.slice(offset, part));
        left -= part;
        offset = 0;
    }
    if (left != 0) out.append(open_.share(offset, left));
    return out;
}

std::size_t send_buffer::acknowledge(seq upto) noexcept {
    const std::int32_t ahead = upto - head_;
    if (ahead <= 0) return 0;
    const std::size_t freed = std::min(std::size_t(ahead), size_);
    std::size_t left = freed;
    while (left != 0 && first_piece_ < pieces_.size()) {
        buffer& front = pieces_[first_piece_];
        if (front.size() > left) {
            front.trim_front(left);  // drops the whole fragments, keeps the rest as a view
            left = 0;
        } else {
            left -= front.size();
            front.reset();
            ++first_piece_;
        }
    }
    if (first_piece_ == pieces_.size()) {
        pieces_.clear();  // keeps its capacity: a busy connection allocates no more
        first_piece_ = 0;
    } else if (first_piece_ >= 64 && first_piece_ * 2 >= pieces_.size()) {
        pieces_.erase(pieces_.begin(), pieces_.begin() + std::ptrdiff_t(first_piece_));
        first_piece_ = 0;
    }
    open_.trim_front(left);
    head_ += std::uint32_t(freed);
    size_ -= freed;
    // Nothing held: give the open packet's last mbuf back rather than keep it while idle.
    if (size_ == 0) open_ = packet();
    return freed;
}

}  // namespace sluice::net::tcp
