// Result<T> and Error: failures a user can cause (config, collectors, nodes, SSH).
// Every Error says what failed, why, where, and what to do next. No exceptions here.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace clustertop {

struct Error {
  std::string what;   // what failed: "cannot read config file"
  std::string reason; // why: "No such file or directory"
  std::string where;  // file:line, node, stream; may be empty
  std::string help;   // what to do next; may be empty
  int code = 0;       // the errno of a failed system call, for callers that retry; 0 if none

  // "where: what: reason\n  help: ..." — one line, plus a help line when present.
  [[nodiscard]] std::string message() const;
  // The message on one line, "… (help: …)": for a node's status detail, which alert lines,
  // figures lines and the dashboard show inline (the newline came out as "\x0a  help:").
  [[nodiscard]] std::string one_line() const;
};

template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {} // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &value() & { return std::get<0>(v_); }
  const T &value() const & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }

  const Error &error() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

} // namespace clustertop
