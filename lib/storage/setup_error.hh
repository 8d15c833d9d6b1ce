// One-line messages for the ways a storage engine can fail to start: io_uring refused by
// the kernel (disabled, seccomp, too old) and buffers the memlock limit cannot pin. Pure
// functions of an errno, so tests can check every line without breaking the machine.
#pragma once

#include <cstddef>
#include <string>

namespace sluice::storage {

// io_uring_queue_init_params failed with -error_number on shard `shard_id`.
// `disabled_setting` is /proc/sys/kernel/io_uring_disabled (-1 if unreadable).
std::string describe_setup_failure(int error_number, unsigned shard_id, int disabled_setting);

// io_uring_register_buffers failed with -error_number for `bytes` of buffers.
std::string describe_buffer_registration_failure(int error_number, unsigned shard_id, std::size_t bytes);

// Reads kernel.io_uring_disabled (0, 1 or 2), or -1 where the kernel has no such setting.
int read_io_uring_disabled_setting() noexcept;

}  // namespace sluice::storage
