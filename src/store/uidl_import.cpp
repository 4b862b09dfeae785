// `poplar migrate-uidl` (see uidl_import.hpp).
#include "store/uidl_import.hpp"

#include "store/header_downgrade.hpp"
#include "store/maildir.hpp"
#include "store/record_file.hpp"
#include "store/uidl.hpp"
#include "store/uidl_record.hpp"
#include "store/unique_fd.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <memory>
#include <unordered_map>

namespace poplar::store {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string line_ref(std::size_t line) { return "line " + std::to_string(line); }

// The header of message `id`, as far as HeaderBlock collects it.
std::optional<std::string> message_id_of(Mailbox& mailbox, const StoreId& id, HeaderBlock& header,
                                         std::string& buffer) {
    try {
        std::unique_ptr<ByteSource> source = mailbox.open_message(id);
        header.clear();
        while (!header.done()) {
            const std::size_t n = source->read(buffer);
            if (n == 0) break;
            header.feed(std::string_view(buffer.data(), n));
        }
        return find_message_id(header.bytes());
    } catch (const MessageGone&) {
        return std::nullopt;
    } catch (const std::system_error&) {
        return std::nullopt;  // unreadable: its lines are reported as not matched
    }
}

} // namespace

UidlMap parse_uidl_map(std::string_view text) {
    UidlMap map;
    std::unordered_map<std::string, std::size_t> uidl_lines;
    std::unordered_map<std::string, std::size_t> file_lines;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;

        auto refuse = [&](std::string reason) { map.problems.push_back(UidlMapProblem{number, std::move(reason)}); };
        std::size_t blank = line.find_last_of(" \t");
        if (blank == std::string_view::npos) {
            refuse("expected '<msgid-or-filename> <uidl>'");
            continue;
        }
        std::string_view key = trim(line.substr(0, blank));
        std::string_view uidl = line.substr(blank + 1);
        if (!valid_uidl(uidl)) {
            refuse("the UIDL is not 1..70 characters in 0x21..0x7E (RFC 1939)");
            continue;
        }
        if (key.front() == '<') {
            if (key.back() != '>' || key.size() < 3) {
                refuse("a Message-ID must be <...>");
                continue;
            }
        } else {
            key = key.substr(0, key.find(':'));
            if (!RecordFile::storable_key(key)) {
                refuse("the file name is empty or has whitespace or control bytes");
                continue;
            }
            auto [it, added] = file_lines.try_emplace(std::string(key), number);
            if (!added) {
                refuse("file name " + std::string(key) + " is on " + line_ref(it->second) + " too");
                continue;
            }
        }
        auto [it, added] = uidl_lines.try_emplace(std::string(uidl), number);
        if (!added) {
            refuse("UIDL " + std::string(uidl) + " is on " + line_ref(it->second) + " too");
            continue;
        }
        map.entries.push_back(UidlMapEntry{number, std::string(key), std::string(uidl)});
    }
    return map;
}

std::optional<std::string> find_message_id(std::string_view header) {
    while (!header.empty()) {
        std::size_t newline = header.find('\n');
        std::string_view line = header.substr(0, newline);
        header.remove_prefix(newline == std::string_view::npos ? header.size() : newline + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {
            break;  // end of the header
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !equals_ignoring_case(trim(line.substr(0, colon)), "message-id")) {
            continue;
        }
        std::string value(line.substr(colon + 1));
        // Continuation lines start with a space or a tab.
        while (!header.empty() && is_blank(header.front())) {
            newline = header.find('\n');
            std::string_view more = header.substr(0, newline);
            header.remove_prefix(newline == std::string_view::npos ? header.size() : newline + 1);
            if (!more.empty() && more.back() == '\r') more.remove_suffix(1);
            value.append(more);
        }
        std::size_t open = value.find('<');
        std::size_t close = open == std::string::npos ? std::string::npos : value.find('>', open);
        if (close == std::string::npos) {
            return std::nullopt;
        }
        return value.substr(open, close - open + 1);
    }
    return std::nullopt;
}

UidlImportReport import_uidls(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner,
                              std::span<const UidlMapEntry> entries) {
    UidlImportReport report;
    OpenResult opened = open_maildir(dir, owner);
    if (opened.status != OpenStatus::ok) {
        report.status = opened.status;
        report.detail = std::move(opened.detail);
        return report;
    }
    Mailbox& mailbox = *opened.mailbox;
    const std::vector<MessageInfo>& messages = mailbox.messages();

    std::unordered_map<std::string_view, std::size_t> by_base;
    for (std::size_t i = 0; i < messages.size(); ++i) by_base.emplace(messages[i].id.value, i);

    // Message-ID -> its messages in delivery order, and how many are paired.
    std::unordered_map<std::string, std::pair<std::vector<std::size_t>, std::size_t>> by_message_id;
    if (std::any_of(entries.begin(), entries.end(), [](const UidlMapEntry& e) { return e.is_message_id(); })) {
        HeaderBlock header;
        std::string buffer(16 * 1024, '\0');
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (std::optional<std::string> id = message_id_of(mailbox, messages[i].id, header, buffer)) {
                by_message_id[*id].first.push_back(i);
            }
        }
    }

    // Which entry gives each message its UIDL, and the matches in file order.
    std::unordered_map<std::size_t, const UidlMapEntry*> chosen;
    std::vector<std::pair<const UidlMapEntry*, std::size_t>> matches;
    for (const UidlMapEntry& entry : entries) {
        std::optional<std::size_t> index;
        if (entry.is_message_id()) {
            auto it = by_message_id.find(entry.key);
            if (it != by_message_id.end() && it->second.second < it->second.first.size()) {
                index = it->second.first[it->second.second++];
            }
        } else if (auto it = by_base.find(entry.key); it != by_base.end()) {
            index = it->second;
        }
        if (!index) {
            report.unmatched.push_back(UidlMapProblem{
                entry.line, entry.is_message_id() ? "no message with Message-ID " + entry.key
                                                  : "no message with base name " + entry.key});
            continue;
        }
        auto [it, added] = chosen.try_emplace(*index, &entry);
        if (!added) {
            if (it->second->uidl != entry.uidl) {
                report.refused.push_back(UidlMapProblem{
                    entry.line, line_ref(it->second->line) + " gives message " + messages[*index].id.value +
                                    " UIDL " + it->second->uidl});
            }
            continue;
        }
        matches.emplace_back(&entry, *index);
        ++report.matched;
    }

    // The UIDLs after the import: no two messages may share one.
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    struct Holders {
        std::size_t first = 0;
        std::size_t second = none;
    };
    std::unordered_map<std::string_view, Holders> holders;
    holders.reserve(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        auto it = chosen.find(i);
        std::string_view uidl = it == chosen.end() ? std::string_view(messages[i].uidl) : it->second->uidl;
        auto [held, added] = holders.try_emplace(uidl, Holders{i});
        if (!added && held->second.second == none) held->second.second = i;
    }
    std::string lines;
    for (const auto& [entry, index] : matches) {
        const Holders& held = holders.at(entry->uidl);
        if (held.second != none) {
            const std::size_t other = held.first == index ? held.second : held.first;
            report.refused.push_back(UidlMapProblem{
                entry->line, "UIDL " + entry->uidl + " would also be the UIDL of message " + messages[other].id.value});
            continue;
        }
        if (messages[index].uidl != entry->uidl) {
            format_uidl_line(lines, messages[index].id.value, entry->uidl);
            ++report.written;
        }
    }
    if (!report.refused.empty() || lines.empty()) {
        if (!report.refused.empty()) report.written = 0;
        return report;
    }
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd.valid()) {
        report.write_error = std::error_code(errno, std::generic_category());
        report.written = 0;
        return report;
    }
    report.write_error = add_to_uidl_record(dir_fd.get(), lines, owner);
    if (report.write_error) report.written = 0;
    return report;
}

} // namespace poplar::store
