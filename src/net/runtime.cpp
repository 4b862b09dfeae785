// Building a Runtime (see runtime.hpp).
#include "net/runtime.hpp"

#include "net/tls_context.hpp"

#include <unistd.h>

#include <array>

namespace poplar::net {
namespace {

std::string machine_name() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name.data();
}

} // namespace

std::shared_ptr<const Runtime> make_runtime(config::Config config, std::shared_ptr<auth::PasswdFile> passdb) {
    auto runtime = std::make_shared<Runtime>();
    runtime->passdb = passdb ? std::move(passdb) : std::make_shared<auth::PasswdFile>(config.passwd_file);
    runtime->hostname = config.hostname.empty() ? machine_name() : config.hostname;
    runtime->tls = make_tls_context(config);
    runtime->config = std::move(config);
    return runtime;
}

} // namespace poplar::net
