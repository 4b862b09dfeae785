// Making passwd-file secrets, as `doveadm pw` does: what `poplar pw` and
// `poplar user add|passwd` write.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace poplar::auth {

// The schemes poplar writes, by the name `-s` takes. YESCRYPT is written as
// {CRYPT}$y$..., the form Dovecot reads through libc's crypt() on Debian.
std::span<const std::string_view> writable_schemes();

// "{SCHEME}secret" for `password`, with a fresh random salt; nullopt for a
// scheme not in writable_schemes() (matched case-insensitively) or if the
// system cannot hash.
std::optional<std::string> hash_password(std::string_view scheme, std::string_view password);

} // namespace poplar::auth
