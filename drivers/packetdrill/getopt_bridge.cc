// getopt_long for EAL inside packetdrill. packetdrill loads us with RTLD_DEEPBIND, so
// librte_eal binds optind, optarg and optopt to libc's own variables, while libc's
// getopt_long works on packetdrill's copies of them (a PIE program that uses getopt gets
// copy relocations). EAL's `optind = 1` then never reaches getopt, which parses nothing,
// and EAL starts without --no-huge. Our getopt_long, which EAL binds to first under
// DEEPBIND, carries the variables across before and after libc's. Nothing else calls it:
// the program itself never sees this library's symbols (RTLD_LOCAL).
#include <dlfcn.h>
#include <getopt.h>

namespace {

using getopt_long_function = int (*)(int, char* const*, const char*, const option*, int*);

template <typename T>
T* in_main_program(const char* name) {
    void* program = dlopen(nullptr, RTLD_NOW | RTLD_NOLOAD);
    return program == nullptr ? nullptr : static_cast<T*>(dlsym(program, name));
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int getopt_long(int argc, char* const argv[], const char* short_options,
                                                                   const option* long_options, int* index) {
    static const auto real = reinterpret_cast<getopt_long_function>(dlsym(RTLD_NEXT, "getopt_long"));
    static int* const program_optind = in_main_program<int>("optind");
    static char** const program_optarg = in_main_program<char*>("optarg");
    static int* const program_optopt = in_main_program<int>("optopt");
    // EAL restarts a parse with optind = 1; libc restarts cleanly (its own state too) from 0.
    if (program_optind != nullptr && *program_optind != optind) *program_optind = optind == 1 ? 0 : optind;
    const int result = real(argc, argv, short_options, long_options, index);
    if (program_optind != nullptr) optind = *program_optind;
    if (program_optarg != nullptr) optarg = *program_optarg;
    if (program_optopt != nullptr) optopt = *program_optopt;
    return result;
}
