// Carrying out a session's login request: verify the credentials, find and
// open the user's mailbox, and slow down failures.
#pragma once

#include "auth/credentials.hpp"
#include "net/runtime.hpp"
#include "protocol/session.hpp"

#include <asio/awaitable.hpp>
#include <asio/thread_pool.hpp>

#include <string>

namespace poplar::net {

// Runs the passdb and the mailbox open on the worker pool. A failed login is
// answered only after config.auth_failure_delay, on a timer (no thread waits),
// the same for an unknown user as for a wrong password. The password in
// `credentials` is wiped before this returns. Logs failures with the client
// IP and the (sanitized) user name, never the secret.
asio::awaitable<protocol::LoginResult> perform_login(auth::Credentials credentials, const Runtime& runtime,
                                                     asio::thread_pool& pool, const std::string& client_ip);

} // namespace poplar::net
