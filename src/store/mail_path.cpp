// Expanding the mail_path template (see mail_path.hpp).
#include "store/mail_path.hpp"

#include <algorithm>
#include <vector>

namespace poplar::store {

namespace {

bool is_control(char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
}

bool safe_user(std::string_view user) {
    return !user.empty() && user != "." && user != ".." &&
           std::none_of(user.begin(), user.end(), [](char c) { return c == '/' || is_control(c); });
}

// The result, with a mark on each byte that came from the user name, so that
// a path component built from it can be checked: "/var/mail/.%n" with the
// user "." must not become "/var/mail/..".
struct Expansion {
    std::string text;
    std::vector<bool> from_user;

    void append(std::string_view piece, bool user) {
        text.append(piece);
        from_user.insert(from_user.end(), piece.size(), user);
    }
};

// True when no path component that holds bytes of the user name is "." or
// "..": a user name cannot climb out of its directory or into another's.
bool components_safe(const Expansion& e) {
    std::size_t start = 0;
    while (start <= e.text.size()) {
        std::size_t end = e.text.find('/', start);
        if (end == std::string::npos) {
            end = e.text.size();
        }
        std::string_view component(e.text.data() + start, end - start);
        bool touched = std::any_of(e.from_user.begin() + static_cast<std::ptrdiff_t>(start),
                                   e.from_user.begin() + static_cast<std::ptrdiff_t>(end), [](bool b) { return b; });
        if (touched && (component == "." || component == "..")) {
            return false;
        }
        start = end + 1;
    }
    return true;
}

} // namespace

std::optional<std::filesystem::path> expand_mail_path(std::string_view tmpl, std::string_view user,
                                                      std::string_view home) {
    if (!safe_user(user)) {
        return std::nullopt;
    }
    std::size_t at = user.find('@');
    std::string_view local = user.substr(0, at);
    std::string_view domain = at == std::string_view::npos ? std::string_view{} : user.substr(at + 1);

    Expansion out;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%') {
            out.append(tmpl.substr(i, 1), false);
            continue;
        }
        if (++i == tmpl.size()) {
            return std::nullopt;  // a lone '%' at the end
        }
        switch (tmpl[i]) {
        case 'u':
            out.append(user, true);
            break;
        case 'n':
            // "@example.com" has no local part: it must not share a
            // directory with the whole domain.
            if (local.empty()) {
                return std::nullopt;
            }
            out.append(local, true);
            break;
        case 'd':
            out.append(domain, true);
            break;
        case 'h':
            if (home.empty()) {
                return std::nullopt;
            }
            out.append(home, false);
            break;
        case '%':
            out.append("%", false);
            break;
        default:
            return std::nullopt;
        }
    }
    if (out.text.empty() || out.text.front() != '/' || out.text.find('\0') != std::string::npos ||
        !components_safe(out)) {
        return std::nullopt;
    }
    return std::filesystem::path(out.text);
}

} // namespace poplar::store
