// poplar-uidls (see uidl_record.hpp).
#include "store/uidl_record.hpp"

#include "store/record_file.hpp"
#include "store/text_lines.hpp"
#include "store/uidl.hpp"

namespace poplar::store {

UidlFileSummary parse_uidl_record(std::string_view text, const OnUidl& on_uidl) {
    UidlFileSummary summary;
    summary.header_ok = true;  // no header
    while (!text.empty()) {
        const auto next = take_complete_line(text);
        if (!next) {
            ++summary.skipped;  // cut short
            break;
        }
        const std::string_view line = *next;
        const std::size_t space = line.find(' ');
        const std::string_view base = line.substr(0, space);
        const std::string_view uidl = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
        if (!RecordFile::storable_key(base) || !valid_uidl(uidl)) {
            ++summary.skipped;
            continue;
        }
        ++summary.entries;
        on_uidl(base, uidl);
    }
    return summary;
}

bool format_uidl_line(std::string& out, std::string_view base_name, std::string_view uidl) {
    if (!RecordFile::storable_key(base_name) || !valid_uidl(uidl)) {
        return false;
    }
    out.append(base_name);
    out += ' ';
    out.append(uidl);
    out += '\n';
    return true;
}

std::error_code add_to_uidl_record(int dir_fd, std::string_view lines, const std::optional<MaildirOwner>& owner) {
    if (lines.empty()) {
        return {};
    }
    std::optional<std::string> text = read_file_head(dir_fd, uidl_record_name, RecordFile::max_bytes + 1);
    if (!text || text->empty() || text->back() == '\n') {
        if (!text || text->size() <= RecordFile::max_bytes) {
            return append_file(dir_fd, uidl_record_name, lines, owner, /*sync=*/true);
        }
    }
    // A cut last line (or a file past what is read): keep the whole lines.
    text->resize(std::min(text->size(), RecordFile::max_bytes));
    text->resize(text->rfind('\n') == std::string::npos ? 0 : text->rfind('\n') + 1);
    text->append(lines);
    return replace_file(dir_fd, uidl_record_name, *text, owner);
}

} // namespace poplar::store
