// The passwd-file report of check-config (see passwd_report.hpp).
#include "cli/passwd_report.hpp"

#include "auth/passwd_load.hpp"

namespace poplar::cli {

bool report_passwd_file(const std::filesystem::path& path, std::ostream& out) {
    // The server's own loader: the same checks (a regular file, a size cap)
    // and the same messages the server would log at the first login.
    const auth::PasswdLoad load = auth::load_passwd_file(path);
    for (const auto& message : load.messages) {
        out << "poplar: passwd-file: " << message << "\n";  // the message names the file
    }
    if (!load.table) {
        out << "poplar: passwd-file " << path.string() << ": cannot be read; every login would fail\n";
        return false;
    }
    const std::size_t users = load.table->users.size();
    out << "poplar: passwd-file " << path.string() << ": " << users << " user" << (users == 1 ? "" : "s") << "\n";
    return load.messages.empty();
}

} // namespace poplar::cli
