// Maildir delivery (see maildir_delivery.hpp).
#include "common/fault_point.hpp"
#include "store/maildir_delivery.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace poplar::store {
namespace {

constexpr std::size_t write_chunk = 64 * 1024;

// The host part of a Maildir name, with '/' and ':' escaped as the Maildir
// convention asks (they would break the path and the info part).
std::string maildir_host() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
    std::string host;
    for (const char* c = name.data(); *c != '\0'; ++c) {
        if (*c == '/') host += "\\057";
        else if (*c == ':') host += "\\072";
        else host += *c;
    }
    return host;
}

// "<seconds>.M<usec>P<pid>Q<n>.<host>", Dovecot's form: unique per process
// by the counter, across processes by the pid, across reboots by the time.
std::string unique_base() {
    static std::atomic<unsigned> counter{0};
    timeval now{};
    ::gettimeofday(&now, nullptr);
    return fmt::format("{}.M{}P{}Q{}.{}", now.tv_sec, now.tv_usec, ::getpid(), ++counter, maildir_host());
}

// RFC 5322 section 2.2: a header field name is printable ASCII but ':'.
bool is_header_field(std::string_view line) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    for (std::size_t i = 0; i < colon; ++i) {
        const unsigned char c = static_cast<unsigned char>(line[i]);
        if (c < 33 || c > 126) return false;
    }
    return true;
}

} // namespace

MaildirDelivery::MaildirDelivery(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner,
                                 std::uint64_t max_size)
    : max_size_(max_size) {
    try {
        folders_ = open_maildir_folders(dir, owner);
    } catch (const std::system_error& e) {
        error_ = e.code().value();
        error_what_ = e.what();
        return;
    }
    tmp_name_ = unique_base();
    file_ = UniqueFd(::openat(folders_->tmp.get(), tmp_name_.c_str(),
                              O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file_.valid()) {
        fail(errno, "create a file in tmp/");
        return;
    }
    if (owner && ::geteuid() == 0 && ::fchown(file_.get(), owner->uid, owner->gid) != 0) {
        fail(errno, "chown the new file");
    }
}

MaildirDelivery::~MaildirDelivery() {
    if (file_.valid() && !moved_ && folders_) {
        ::unlinkat(folders_->tmp.get(), tmp_name_.c_str(), 0);
    }
}

void MaildirDelivery::fail(int error, const char* what) {
    if (error_ == 0) {
        error_ = error;
        error_what_ = fmt::format("cannot {}: {}", what, std::strerror(error));
    }
}

void MaildirDelivery::check_first_line(std::string_view bytes) {
    if (header_first_) return;
    const auto end = bytes.find('\n');
    first_line_.append(bytes.substr(0, end == std::string_view::npos ? bytes.size() : end));
    if (end != std::string_view::npos || first_line_.size() > 998) {
        header_first_ = is_header_field(first_line_);
    }
}

void MaildirDelivery::write_out(std::string_view bytes) {
    if (bytes.empty() || error_ != 0 || too_big_) return;
    check_first_line(bytes);
    size_ += bytes.size();
    wire_.feed(bytes);
    if (max_size_ != 0 && size_ > max_size_) {
        too_big_ = true;  // nothing more is written; finish() refuses it
        return;
    }
    buffer_.append(bytes);
    if (buffer_.size() < write_chunk) return;
    std::string_view rest = buffer_;
    while (!rest.empty()) {
        const ssize_t n = ::write(file_.get(), rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail(errno, "write the message");
            return;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    buffer_.clear();
}

void MaildirDelivery::append(std::string_view bytes) {
    // CRLF -> LF, also when the CR and the LF come in different pieces.
    std::string converted;
    converted.reserve(bytes.size() + 1);
    for (char c : bytes) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c != '\n') converted += '\r';
        }
        if (c == '\r') {
            pending_cr_ = true;
            continue;
        }
        converted += c;
    }
    write_out(converted);
}

DeliveryResult MaildirDelivery::finish() {
    if (pending_cr_) {
        pending_cr_ = false;
        write_out("\r");
    }
    if (!header_first_ && !first_line_.empty()) header_first_ = is_header_field(first_line_);
    DeliveryResult result;
    result.size = size_;
    if (error_ != 0) {
        result.status = DeliveryStatus::temporary;
        result.detail = error_what_;
        return result;
    }
    if (too_big_) {
        result.status = DeliveryStatus::too_big;
        result.detail = fmt::format("message is larger than the limit of {} octets", max_size_);
        return result;
    }
    if (size_ == 0 || !header_first_.value_or(false)) {
        result.status = DeliveryStatus::not_a_message;
        result.detail = size_ == 0 ? "the message is empty" : "the message does not start with a header field";
        return result;
    }
    std::string_view rest = buffer_;
    while (!rest.empty() && error_ == 0) {
        const ssize_t n = ::write(file_.get(), rest.data(), rest.size());
        if (n < 0) {
            if (errno != EINTR) fail(errno, "write the message");
            continue;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    buffer_.clear();
    fault_point("deliver.before_fsync");
    // The data must be on disk before its name is in new/: after a crash a
    // reader may find it, and must find all of it.
    if (error_ == 0 && ::fsync(file_.get()) != 0) fail(errno, "fsync the message");
    const std::string final_name = fmt::format("{},S={},W={}", tmp_name_, size_, wire_.total());
    if (error_ == 0 &&
        ::linkat(folders_->tmp.get(), tmp_name_.c_str(), folders_->fresh.get(), final_name.c_str(), 0) != 0) {
        fail(errno, "link the message into new/");
    }
    if (error_ != 0) {
        result.status = DeliveryStatus::temporary;
        result.detail = error_what_;
        return result;
    }
    moved_ = true;
    fault_point("deliver.after_link");
    ::unlinkat(folders_->tmp.get(), tmp_name_.c_str(), 0);
    // And the new name must be on disk before the sender is told "delivered".
    if (::fsync(folders_->fresh.get()) != 0) {
        fail(errno, "fsync new/");
        ::unlinkat(folders_->fresh.get(), final_name.c_str(), 0);
        result.status = DeliveryStatus::temporary;
        result.detail = error_what_;
        return result;
    }
    result.status = DeliveryStatus::ok;
    result.detail = final_name;
    return result;
}

} // namespace poplar::store
