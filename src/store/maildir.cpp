// open_maildir: lock a Maildir, move new/ to cur/, take the sized snapshot.
#include "store/maildir.hpp"

#include "store/file_source.hpp"
#include "store/foreign_uidls.hpp"
#include "store/header_downgrade.hpp"
#include "store/last_login.hpp"
#include "store/maildir_mailbox.hpp"
#include "store/maildir_name.hpp"
#include "store/maildir_scan.hpp"
#include "store/open_error.hpp"
#include "store/retrieval_record.hpp"
#include "store/size_cache.hpp"
#include "store/uidl.hpp"
#include "store/uidl_record.hpp"
#include "store/wire_size.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <span>
#include <system_error>

namespace poplar::store {

namespace {

[[noreturn]] void throw_error(int error, const char* action, const std::filesystem::path& path) {
    throw std::system_error(error, std::generic_category(), std::string(action) + " " + path.string());
}

// Reads errno before building the message, which may allocate.
[[noreturn]] void throw_errno(const char* action, const std::filesystem::path& path) {
    throw_error(errno, action, path);
}

// A Maildir and its folders are private to their owner (Dovecot does the
// same). A parent poplar has to create (the mail root, a domain folder) is
// shared by many users: it stays the server's and only lets them pass.
constexpr mode_t maildir_mode = 0700;
constexpr mode_t parent_mode = 0711;

// Gives a directory this open just created, held open as `fd`, to the mail
// user (see maildir.hpp). By descriptor, so a name swapped meanwhile cannot
// make root chown something else.
void hand_over(int fd, const std::filesystem::path& path, const std::optional<MaildirOwner>& owner) {
    if (owner && ::geteuid() == 0 && ::fchown(fd, owner->uid, owner->gid) != 0) {
        throw_errno("chown", path);
    }
}

// mkdir -p: missing parents with parent_mode, `path` itself with `mode`.
// Returns whether `path` was created by this call.
bool make_directories(const std::filesystem::path& path, mode_t mode) {
    if (::mkdir(path.c_str(), mode) == 0) {
        return true;
    }
    if (errno == EEXIST) {
        return false;
    }
    if (errno != ENOENT || !path.has_relative_path() || path.parent_path() == path) {
        throw_errno("create", path);
    }
    make_directories(path.parent_path(), parent_mode);
    if (::mkdir(path.c_str(), mode) == 0) {
        return true;
    }
    if (errno != EEXIST) {
        throw_errno("create", path);
    }
    return false;
}

// Opens the Maildir itself. Its path comes from the administrator's config and
// may go through symlinks (a moved spool). It exists at nearly every login, so
// it is opened first and created only when missing: no mkdir that fails.
UniqueFd open_maildir_root(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner) {
    const auto open_dir = [&] { return UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); };
    UniqueFd fd = open_dir();
    bool created = false;
    if (!fd.valid() && errno == ENOENT) {
        created = make_directories(dir, maildir_mode);
        fd = open_dir();
    }
    if (!fd.valid()) {
        throw_errno("open", dir);
    }
    if (created) {
        hand_over(fd.get(), dir, owner);
    }
    return fd;
}

// Opens (creating if missing) cur/, new/ or tmp/. Never through a symlink:
// the Maildir may belong to the mail user, who must not be able to point
// poplar (running as root) at another directory to read or delete in.
// Opened first, created only when missing, as open_maildir_root.
UniqueFd open_subdirectory(int dir_fd, const char* name, const std::optional<MaildirOwner>& owner) {
    const auto open_dir = [&] { return UniqueFd(::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)); };
    UniqueFd fd = open_dir();
    bool created = false;
    if (!fd.valid() && errno == ENOENT) {
        created = ::mkdirat(dir_fd, name, maildir_mode) == 0;
        if (!created && errno != EEXIST) {  // EEXIST: another process made it meanwhile
            throw_errno("create", name);
        }
        fd = open_dir();
    }
    if (!fd.valid()) {
        throw_errno("open", name);
    }
    if (created) {
        hand_over(fd.get(), name, owner);
    }
    return fd;
}

// A message file of the scan, parsed. `name` views into the FoundFile, which
// stays put while these are sorted.
struct Candidate {
    MaildirName name;
    FoundFile* file = nullptr;
};

// Reading done by the scan, kept from message to message so that sizing
// 100,000 messages allocates once.
struct ScanBuffers {
    static constexpr std::size_t buffer_size = 64 * 1024;
    // What is read of a message whose size is known: most headers fit in one
    // read of this size (a few KiB is usual), and little body comes with it.
    static constexpr std::size_t header_read = 16 * 1024;
    std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(buffer_size);
    HeaderBlock header;
};

// Both wire sizes of one message: from the cache when it has both; else the
// size from ",W=" of a well-formed name or the cache, and the file is read
// only up to the end of its header; else the whole file is read once. What
// was read is cached. nullopt when the file vanished meanwhile.
std::optional<SizeCache::Sizes> message_sizes(const Candidate& candidate, int cur_fd, int new_fd, SizeCache& cache,
                                              ScanBuffers& buffers) {
    std::optional<std::uint64_t> size;
    if (candidate.name.well_formed && candidate.name.w_size) {
        size = candidate.name.w_size;
    }
    if (std::optional<SizeCache::Sizes> cached = cache.find(candidate.name.base)) {
        if (cached->downgraded_size && (!size || *size == cached->size)) {
            return cached;
        }
        size = size.value_or(cached->size);
    }
    const FoundFile& file = *candidate.file;
    UniqueFd fd = open_message_file(file.in_new ? new_fd : cur_fd, file.name.c_str());
    if (!fd.valid()) {
        int error = errno;
        if (error == ENOENT) {
            return std::nullopt;
        }
        throw_error(error, "open", file.name);
    }
    FileSource source(std::move(fd));
    HeaderBlock& header = buffers.header;
    header.clear();
    WireSizeCounter counter;
    const std::size_t chunk = size ? ScanBuffers::header_read : ScanBuffers::buffer_size;
    while (std::size_t n = source.read(std::span<char>(buffers.buffer.get(), chunk))) {
        const std::string_view piece(buffers.buffer.get(), n);
        header.feed(piece);
        if (size) {
            if (header.done()) {
                break;  // the header is all we need
            }
        } else {
            counter.feed(piece);
        }
    }
    const std::uint64_t wire = size.value_or(counter.total());
    const SizeCache::Sizes sizes{wire, downgraded_wire_size(wire, header)};
    cache.add(candidate.name.base, sizes.size, *sizes.downgraded_size);
    return sizes;
}

OpenResult open_locked(UniqueFd dir_fd, UniqueFd cur_fd, UniqueFd new_fd, MailboxLock lock,
                       const std::optional<MaildirOwner>& owner) {

    std::vector<FoundFile> files = move_new_and_list(new_fd.get(), cur_fd.get());
    std::vector<Candidate> candidates;
    candidates.reserve(files.size());
    for (FoundFile& file : files) {
        candidates.push_back(Candidate{parse_maildir_name(file.name), &file});
    }
    // Sorting pointers moves 8 bytes per swap instead of a whole Candidate.
    // Stable, so that of two files with one base name the one in cur/ (listed
    // first) is kept; equal base names are adjacent since the whole key comes
    // from the base name.
    std::vector<const Candidate*> order;
    order.reserve(candidates.size());
    for (const Candidate& candidate : candidates) {
        order.push_back(&candidate);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const Candidate* a, const Candidate* b) { return delivered_before(a->name, b->name); });
    auto last = std::unique(order.begin(), order.end(),
                            [](const Candidate* a, const Candidate* b) { return a->name.base == b->name.base; });
    order.erase(last, order.end());

    SizeCache cache = SizeCache::load(dir_fd.get());
    ScanBuffers buffers;
    std::vector<MessageInfo> messages;
    std::vector<MaildirMailbox::Location> locations;
    messages.reserve(order.size());
    locations.reserve(order.size());
    for (const Candidate* candidate : order) {
        std::optional<SizeCache::Sizes> sizes = message_sizes(*candidate, cur_fd.get(), new_fd.get(), cache, buffers);
        if (!sizes) {
            continue;  // moved or deleted by another program since the scan
        }
        std::string base(candidate->name.base);
        std::string uidl = uidl_for_base_name(base);
        messages.push_back(
            MessageInfo{StoreId{std::move(base)}, std::move(uidl), sizes->size, sizes->downgraded_size.value_or(0)});
        // candidate->name views into this name: it is not used after the move.
        locations.push_back(MaildirMailbox::Location{std::move(candidate->file->name), candidate->file->in_new, true});
    }
    cache.save(dir_fd.get(), messages.size());

    // UIDLs other servers (or migrate-uidl) left: three failed openat when
    // there are none. A message they moved off a taken UIDL is recorded so
    // that its UIDL stays; a failed write only means the same is worked out
    // again next time.
    const std::string moved = apply_uidl_sources(messages, read_uidl_sources(dir_fd.get()));
    if (!moved.empty()) {
        (void)add_to_uidl_record(dir_fd.get(), moved, owner);
    }

    RetrievalRecord retrieved = RetrievalRecord::load(dir_fd.get());
    retrieved.fill(messages);
    std::optional<std::int64_t> previous_login = read_last_login(dir_fd.get());

    OpenResult result;
    result.status = OpenStatus::ok;
    result.mailbox = std::make_unique<MaildirMailbox>(
        std::move(lock), std::move(cur_fd), std::move(new_fd), std::move(messages), std::move(locations),
        MaildirMailbox::Records{std::move(dir_fd), owner, std::move(retrieved), previous_login});
    return result;
}

OpenResult open_or_throw(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner) {
    MaildirFolders folders = open_maildir_folders(dir, owner);
    UniqueFd dir_fd = std::move(folders.root);
    UniqueFd cur_fd = std::move(folders.cur);
    UniqueFd new_fd = std::move(folders.fresh);

    LockAttempt attempt = MailboxLock::try_acquire(dir / "poplar.lock");
    if (attempt.outcome == LockOutcome::in_use) {
        return OpenResult{OpenStatus::in_use, nullptr, "mailbox " + dir.string() + " is locked by another session"};
    }
    if (attempt.outcome != LockOutcome::acquired) {
        throw std::system_error(attempt.error, "lock " + (dir / "poplar.lock").string());
    }
    return open_locked(std::move(dir_fd), std::move(cur_fd), std::move(new_fd), std::move(*attempt.lock), owner);
}

} // namespace

MaildirFolders open_maildir_folders(const std::filesystem::path& dir, const std::optional<MaildirOwner>& owner) {
    MaildirFolders folders;
    folders.root = open_maildir_root(dir, owner);
    folders.cur = open_subdirectory(folders.root.get(), "cur", owner);
    folders.fresh = open_subdirectory(folders.root.get(), "new", owner);
    folders.tmp = open_subdirectory(folders.root.get(), "tmp", owner);
    return folders;
}

OpenResult open_maildir(const std::filesystem::path& dir, std::optional<MaildirOwner> owner) {
    OpenResult failure;
    try {
        try {
            return open_or_throw(dir, owner);
        } catch (const std::system_error& e) {
            int error = e.code().category() == std::generic_category() ? e.code().value() : EIO;
            failure.status = open_status_for_errno(error);
            failure.detail = "Maildir " + dir.string() + ": " + e.what();
        } catch (const std::bad_alloc&) {
            failure.status = OpenStatus::temporary;
            failure.detail = "Maildir " + dir.string() + ": out of memory";
        } catch (const std::exception& e) {
            failure.status = OpenStatus::temporary;
            failure.detail = "Maildir " + dir.string() + ": " + e.what();
        }
    } catch (...) {
        // Building the detail ran out of memory: report without it.
    }
    return failure;
}

} // namespace poplar::store
