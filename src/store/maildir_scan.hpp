// Reading a Maildir's directories: moving new/ into cur/ and listing messages.
#pragma once

#include <string>
#include <vector>

namespace poplar::store {

// One message file found by a scan.
struct FoundFile {
    std::string name;     // the file name, with its ":2,flags" if any
    bool in_new = false;  // still in new/ (it could not be moved to cur/)
};

// The regular files of the directory `dir_fd` whose names do not start with
// '.' (Dovecot's and other tools' private files). Uses readdir's d_type and
// stats only on file systems that do not fill it in, so listing 100,000
// messages costs no 100,000 stats. Symlinks are skipped: poplar serves only
// files that really are in the Maildir. Throws std::system_error.
std::vector<std::string> list_message_files(int dir_fd);

// Moves every message of new/ into cur/ as "<name>:2," (a name that already
// has a ':' keeps it), never replacing a file already in cur/. Then lists
// cur/. A file that could not be moved is returned with in_new set, so it is
// still served; one that vanished (another program moved it first) is found
// in cur/ instead. Throws std::system_error when a directory cannot be read.
std::vector<FoundFile> move_new_and_list(int new_fd, int cur_fd);

// Lists cur/ then new/ without moving anything: the re-scan that finds a
// message whose flags another program changed.
std::vector<FoundFile> list_cur_and_new(int new_fd, int cur_fd);

} // namespace poplar::store
