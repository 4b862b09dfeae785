// The passwd-file report of check-config (see passwd_report.hpp).
#include "cli/passwd_report.hpp"

#include "auth/passwd_file.hpp"
#include "auth/scheme_kind.hpp"

#include <fstream>
#include <iterator>
#include <string>

namespace poplar::cli {

bool report_passwd_file(const std::filesystem::path& path, std::ostream& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out << "poplar: passwd-file " << path.string() << ": cannot be read; every login would fail\n";
        return false;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        out << "poplar: passwd-file " << path.string() << ": read error; every login would fail\n";
        return false;
    }
    const auth::PasswdParseResult parsed = auth::parse_passwd_file(text);
    bool usable = parsed.errors.empty();
    for (const auto& error : parsed.errors) {
        out << "poplar: passwd-file " << path.string() << ": " << error << "\n";
    }
    for (const auto& entry : parsed.entries) {
        if (auth::scheme_kind(entry.scheme) == auth::SchemeKind::unknown) {
            out << "poplar: passwd-file " << path.string() << ": user " << entry.user.name
                << " has the unknown scheme {" << entry.scheme << "} and cannot log in\n";
            usable = false;
        }
    }
    out << "poplar: passwd-file " << path.string() << ": " << parsed.entries.size() << " user"
        << (parsed.entries.size() == 1 ? "" : "s") << "\n";
    return usable;
}

} // namespace poplar::cli
