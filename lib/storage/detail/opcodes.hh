// The io_uring opcodes the engine names that liburing 2.3's headers (Debian 12) may lack,
// written once. engine::supports() asks the kernel's probe before any is used.
#pragma once

#include <liburing.h>

#include <cstdint>

namespace sluice::storage::detail {

#if defined(SLUICE_HAVE_IORING_OP_FTRUNCATE) && SLUICE_HAVE_IORING_OP_FTRUNCATE
inline constexpr std::uint8_t op_ftruncate = IORING_OP_FTRUNCATE;
#else
// IORING_OP_FTRUNCATE: Linux 6.9, opcode 55 in include/uapi/linux/io_uring.h.
inline constexpr std::uint8_t op_ftruncate = 55;
#endif

}  // namespace sluice::storage::detail
