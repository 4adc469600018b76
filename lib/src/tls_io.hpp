// TLS over a connection's descriptor, on the same wait as plain sockets.
//
// OpenSSL reads and writes the socket through a BIO of ours that never waits: recv() and
// send() with MSG_DONTWAIT (and MSG_NOSIGNAL, so a reset peer is an error, not SIGPIPE).
// When OpenSSL wants more bytes or more room, the call returns, and the wait happens here,
// outside OpenSSL, through wait_until_ready(): a thread blocks in poll(), a fiber suspends.
// So no fiber is ever suspended inside an OpenSSL call, whose per-thread error queue
// would not follow it to another thread (pool mode).
#pragma once

#include <cstddef>

#include <boost/asio/buffer.hpp>

#include "socketserver/detail/deadline.hpp"
#include "socketserver/request.hpp"
#include "socketserver/tls_session.hpp"

struct ssl_ctx_st;

namespace socketserver::detail {

/// A new OpenSSL connection state over @p fd through the non-waiting BIO.
ssl_st* new_tls_connection(ssl_ctx_st* context, int fd);

/// The handshake, waiting until @p deadline; throws std::runtime_error with OpenSSL's
/// reason, or system_error `timed_out`.
void tls_handshake(ssl_st* ssl, StreamSocket& socket, const Deadline& deadline);

/// Decrypts at least one byte into @p buffer, or returns 0 at the end of the stream (the
/// peer's close_notify, or the connection closed without one).
std::size_t tls_read_some(TLSSession& session, StreamSocket& socket, boost::asio::mutable_buffer buffer,
                          const Deadline& deadline);

/// Encrypts and sends at least one byte of @p buffer; returns how many.
std::size_t tls_write_some(TLSSession& session, StreamSocket& socket, boost::asio::const_buffer buffer,
                           const Deadline& deadline);

/// True when a read must wait for the socket first: OpenSSL holds no bytes read from it
/// (decrypted or not), and its last recv() found the socket empty. (OpenSSL may leave
/// bytes in the socket after filling its own buffer; an edge-triggered wait for them
/// would never end.)
bool tls_must_wait_to_read(const TLSSession& session) noexcept;

/// A server's TLS 1.3 session tickets are sent with the first write of its connection
/// @p ssl, not right after the handshake: a client that only writes, then closes, would
/// close with them unread, and its kernel would answer with a reset that throws away what
/// the server had not read yet. (The server context issues none by itself.)
void tls_send_tickets_with_first_write(ssl_st* ssl);

/// Sends close_notify, waiting at most until @p deadline for room; errors are ignored.
void tls_send_close_notify(ssl_st* ssl, StreamSocket& socket, const Deadline& deadline) noexcept;

} // namespace socketserver::detail
