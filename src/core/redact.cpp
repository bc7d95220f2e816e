#include "clustertop/core/redact.hpp"

#include "clustertop/core/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

namespace clustertop {
namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool is_quote(char c) { return c == '"' || c == '\''; }

// Characters of a key name: "OPENAI_API_KEY", "X-Api-Key", "--password", "db.password".
bool is_key_char(char c) { return is_alnum(c) || c == '_' || c == '-' || c == '.'; }

// Where an unquoted value ends.
bool ends_value(char c) {
  return is_space(c) || c == ',' || c == ';' || c == '&' || c == '"' || c == '\'' || c == '`';
}

// `short_secret`: a secret whose key also names counts (`pass`, `sig`): a plain number after
// it is kept, as after `token`.
enum class KeyKind { none, secret, short_secret, token, authorization, cookie };

// The last two words of a key, split at '_', '-', '.' and lower-to-upper case changes
// ("apiKey"); `before` is empty when the key has one word.
struct LastWords {
  std::string_view before;
  std::string_view last;
};

LastWords last_words(std::string_view key) {
  LastWords w;
  std::size_t start = 0;
  for (std::size_t k = 0; k <= key.size(); ++k) {
    const bool end = k == key.size() || key[k] == '_' || key[k] == '-' || key[k] == '.';
    const bool camel = !end && k > start && is_lower(key[k - 1]) && is_upper(key[k]);
    if (end || camel) {
      if (k > start) {
        w.before = w.last;
        w.last = key.substr(start, k - start);
      }
      start = end ? k + 1 : k;
    }
  }
  return w;
}

bool iends_with_ascii(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals_ascii(s.substr(s.size() - suffix.size()), suffix);
}

KeyKind classify_key(std::string_view key) {
  const auto [before, last] = last_words(key);
  if (last.empty()) return KeyKind::none;
  // Run into the word before (PGPASSWORD, dbpassword) or in mixed case (PaSsWoRd, split at
  // every case change into words of two letters).
  for (std::string_view w : {"password", "passwd", "passphrase"})
    if (iends_with_ascii(key, w)) return KeyKind::secret;
  // DB_PASS=, pass=; SAS tokens' sig= (an Azure storage URL's signature).
  if (iequals_ascii(last, "pass") || iequals_ascii(last, "sig")) return KeyKind::short_secret;
  if (iequals_ascii(last, "token")) return KeyKind::token;
  if (iequals_ascii(last, "authorization")) return KeyKind::authorization;
  if (iequals_ascii(last, "cookie")) return KeyKind::cookie;
  static constexpr std::array<std::string_view, 9> kSecretWords = {
      "password", "passwd", "pwd",         "passphrase", "secret",
      "auth",     "apikey", "credentials", "credential"};
  for (auto w : kSecretWords)
    if (iequals_ascii(last, w)) return KeyKind::secret;
  if (iequals_ascii(last, "key")) {
    for (std::string_view w : {"api", "access", "private", "secret", "account"}) // AccountKey=
      if (iequals_ascii(before, w)) return KeyKind::secret;
  }
  return KeyKind::none;
}

struct Span {
  std::size_t start;
  std::size_t end;
};

// A well-known token shape at text[i] (a word start): the span of its body (the prefix is
// kept), or nothing.
std::optional<Span> token_shape(std::string_view text, std::size_t i) {
  struct Shape {
    std::string_view prefix;
    bool (*body)(char);
    std::size_t min;
    bool needs_digit;
  };
  static constexpr auto alnum = [](char c) { return is_alnum(c); };
  static constexpr auto alnum_dash = [](char c) { return is_alnum(c) || c == '-'; };
  static constexpr auto alnum_under = [](char c) { return is_alnum(c) || c == '_'; };
  static constexpr auto alnum_dash_under = [](char c) {
    return is_alnum(c) || c == '-' || c == '_';
  };
  static constexpr auto upper_digit = [](char c) { return is_upper(c) || is_digit(c); };
  // A JWT's three base64url parts, joined by dots: its header always starts `{"`.
  static constexpr auto base64url_dot = [](char c) {
    return is_alnum(c) || c == '-' || c == '_' || c == '.';
  };
  static constexpr std::array<Shape, 19> kShapes = {{
      {"hf_", alnum, 30, false},
      {"sk-", alnum_dash_under, 20, true},
      {"ghp_", alnum, 30, false},
      {"gho_", alnum, 30, false},
      {"ghu_", alnum, 30, false},
      {"ghs_", alnum, 30, false},
      {"ghr_", alnum, 30, false},
      {"github_pat_", alnum_under, 30, false},
      {"glpat-", alnum_dash_under, 20, false},
      {"xoxb-", alnum_dash, 10, true},
      {"xoxa-", alnum_dash, 10, true},
      {"xoxp-", alnum_dash, 10, true},
      {"xoxr-", alnum_dash, 10, true},
      {"xoxs-", alnum_dash, 10, true},
      {"AKIA", upper_digit, 16, false},
      {"ASIA", upper_digit, 16, false},      // AWS temporary key ids
      {"eyJ", base64url_dot, 30, false},     // a JSON Web Token (bearer or session token)
      {"AIza", alnum_dash_under, 35, false}, // a Google API key
      {"gsk_", alnum, 40, false},            // a Groq API key
  }};
  auto try_shape = [&](const Shape &s) -> std::optional<Span> {
    if (text.substr(i, s.prefix.size()) != s.prefix) return std::nullopt;
    const std::size_t start = i + s.prefix.size();
    std::size_t end = start;
    bool digit = false;
    for (; end < text.size() && s.body(text[end]); ++end)
      if (is_digit(text[end])) digit = true;
    if (end - start < s.min || (s.needs_digit && !digit)) return std::nullopt;
    return Span{start, end};
  };
  for (const auto &s : kShapes)
    if (auto span = try_shape(s)) return span;
  return std::nullopt;
}

// The end of a value that starts at text[p] after its opening quote `quote` ("\"" for \").
std::size_t quoted_end(std::string_view text, std::size_t p, std::string_view quote) {
  for (std::size_t k = p; k < text.size(); ++k) {
    if (text[k] == '\r' || text[k] == '\n') return k;
    // An escaped character inside a "..." or '...' string (Python's repr escapes a quote in
    // b'esc\'aped'); a shell's '...' has none, and there this redacts more, never less.
    if (quote.size() == 1 && text[k] == '\\' && k + 1 < text.size()) {
      ++k;
      continue;
    }
    if (text.substr(k, quote.size()) == quote) return k;
  }
  return text.size();
}

std::size_t unquoted_end(std::string_view text, std::size_t p) {
  while (p < text.size() && !ends_value(text[p])) ++p;
  return p;
}

std::size_t line_end(std::string_view text, std::size_t p) {
  while (p < text.size() && text[p] != '\r' && text[p] != '\n') ++p;
  return p;
}

// The value that starts at text[p]: within its quotes when quoted, else to where an unquoted
// value ends.
Span value_at(std::string_view text, std::size_t p) {
  if (is_quote(text[p])) return Span{p + 1, quoted_end(text, p + 1, text.substr(p, 1))};
  return Span{p, unquoted_end(text, p)};
}

bool plain_number(std::string_view v) {
  if (v.empty() || !is_digit(v.front())) return false;
  for (char c : v)
    if (!is_digit(c) && c != '.' && c != ',' && c != '%') return false;
  return true;
}

// The length of a Python string prefix at text[p] that a quote follows (`b'`, `rb"`, `u'`,
// `f'`, any case, at most two letters), or 0.
std::size_t string_prefix(std::string_view text, std::size_t p) {
  const auto prefix_letter = [](char c) {
    c = static_cast<char>(c | 0x20);
    return c == 'b' || c == 'r' || c == 'u' || c == 'f';
  };
  std::size_t n = 0;
  while (n < 2 && p + n < text.size() && prefix_letter(text[p + n])) ++n;
  return n > 0 && p + n < text.size() && is_quote(text[p + n]) ? n : 0;
}

// The length of `name(` at text[p] when a quoted string (with or without a prefix) follows
// it, or 0: `bytearray(b'…')` showed its secret, only `bytearray(b` being the value.
std::size_t call_opening(std::string_view text, std::size_t p) {
  std::size_t k = p;
  while (
      k < text.size() && k - p < 32 &&
      (std::isalnum(static_cast<unsigned char>(text[k])) != 0 || text[k] == '_' || text[k] == '.'))
    ++k;
  if (k == p || k >= text.size() || text[k] != '(') return 0;
  const std::size_t inside = k + 1;
  const std::size_t quote = inside + string_prefix(text, inside);
  return quote < text.size() && is_quote(text[quote]) ? inside - p : 0;
}

// The key [i, j) is a secret's key: the span of its value, or nothing.
std::optional<Span> value_after_key(std::string_view text, std::size_t i, std::size_t j,
                                    KeyKind kind) {
  const bool flag = text[i] == '-'; // --password x
  std::size_t p = j;
  // The key's closing quote: "password": / 'password': / \"password\":
  if (p + 1 < text.size() && text[p] == '\\' && is_quote(text[p + 1]))
    p += 2;
  else if (p < text.size() && is_quote(text[p]))
    ++p;
  const std::size_t after_key = p;
  while (p < text.size() && is_blank(text[p])) ++p;
  if (p < text.size() && (text[p] == '=' || text[p] == ':')) {
    ++p;
    if (p < text.size() && text[p] == '>') ++p; // "password" => "x"
  } else if (!(flag && after_key == j && p > j)) {
    return std::nullopt;
  }
  while (p < text.size() && is_blank(text[p])) ++p;
  if (p >= text.size()) return std::nullopt;
  // A call around a quoted value (`bytearray(b'…')`, `SecretBytes("…")`): the value inside.
  if (const auto n = call_opening(text, p); n > 0) p += n;
  // A Python string's prefix (b'…', rb'…', u'…', f"…"): the quoted value after it, not the
  // prefix alone (a config dict of bytes printed its secrets whole).
  if (const auto n = string_prefix(text, p); n > 0) p += n;

  std::size_t start = p;
  std::size_t end = 0;
  bool quoted = true;
  if (p + 1 < text.size() && text[p] == '\\' && is_quote(text[p + 1])) {
    start = p + 2;
    end = quoted_end(text, start, text.substr(p, 2));
  } else if (is_quote(text[p])) {
    start = p + 1;
    end = quoted_end(text, start, text.substr(p, 1));
  } else {
    quoted = false;
    end = kind == KeyKind::cookie ? line_end(text, start) : unquoted_end(text, start);
  }
  if (kind == KeyKind::authorization) {
    // "Basic xyz", "Bearer xyz", "token xyz": keep the scheme, redact what follows it.
    const std::size_t limit = quoted ? end : line_end(text, start);
    std::size_t k = start;
    while (k < limit && is_alpha(text[k])) ++k;
    std::size_t cred = k;
    while (cred < limit && is_blank(text[cred])) ++cred;
    if (k > start && cred > k && cred < limit && !ends_value(text[cred])) {
      // Digest's credentials are a list of parameters (`username="u", nonce="…",
      // response="…"`), every one of them to the end of the header.
      const bool parameters = iequals_ascii(text.substr(start, k - start), "digest");
      start = cred;
      if (!quoted) end = parameters ? limit : unquoted_end(text, start);
    }
  }
  if (end <= start) return std::nullopt;
  if ((kind == KeyKind::token || kind == KeyKind::short_secret) &&
      plain_number(text.substr(start, end - start)))
    return std::nullopt; // "#token: 1234" is a count, "sig=11" a signal
  return Span{start, end};
}

// After curl's `-u` / `--user` (also wget's, git's): the password of `user:password` (the
// user may be empty), or nothing. Two plain numbers are a uid:gid (`docker run -u
// 1000:1000`), not a user and password.
std::optional<Span> user_password(std::string_view text, std::size_t j, bool long_flag) {
  std::size_t p = j;
  if (long_flag && p < text.size() && text[p] == '=') {
    ++p;
  } else {
    while (p < text.size() && is_blank(text[p])) ++p;
    if (p == j) return std::nullopt;
  }
  if (p >= text.size()) return std::nullopt;
  const auto [start, end] = value_at(text, p);
  const std::string_view value = text.substr(start, end - start);
  const std::size_t colon = value.find(':');
  if (colon == npos || colon + 1 == value.size()) return std::nullopt;
  if (plain_number(value.substr(0, colon)) && plain_number(value.substr(colon + 1)))
    return std::nullopt; // uid:gid
  return Span{start + colon + 1, end};
}

// After a `token` key and white space, with no separator ("using token abc123def456ghi"):
// the value where it has a credential's shape, or nothing, since English goes on after
// "token" too ("token count", "token 5", "token Llama-3-8B-Instruct"). The shape: letters,
// digits and - _ . + / = ~ only (a quoted value to its quote), letters and digits both, and
// a run of at least 12 letters and digits with no other character in it.
std::optional<Span> bare_token(std::string_view text, std::size_t j) {
  constexpr std::size_t kMinRun = 12;
  std::size_t p = j;
  while (p < text.size() && is_blank(text[p])) ++p;
  if (p == j || p >= text.size()) return std::nullopt;
  const auto [start, end] = value_at(text, p);
  std::size_t run = 0;
  std::size_t longest = 0;
  bool letter = false;
  bool digit = false;
  for (std::size_t k = start; k < end; ++k) {
    const char c = text[k];
    if (is_alnum(c)) {
      letter = letter || is_alpha(c);
      digit = digit || is_digit(c);
      longest = std::max(longest, ++run);
    } else if (c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '=' || c == '~') {
      run = 0;
    } else {
      return std::nullopt;
    }
  }
  if (longest < kMinRun || !letter || !digit) return std::nullopt;
  return Span{start, end};
}

// A secret starting with the word [i, j): the span to replace, or nothing.
std::optional<Span> secret_at(std::string_view text, std::size_t i, std::size_t j) {
  if (auto span = token_shape(text, i)) return span;
  const std::string_view key = text.substr(i, j - i);
  if (iequals_ascii(key, "bearer")) {
    std::size_t p = j;
    while (p < text.size() && is_blank(text[p])) ++p;
    if (p == j) return std::nullopt;
    const std::size_t end = unquoted_end(text, p);
    if (end == p) return std::nullopt;
    return Span{p, end};
  }
  if (key == "-u" || key == "--user") return user_password(text, j, key == "--user");
  const KeyKind kind = classify_key(key);
  if (kind == KeyKind::none) return std::nullopt;
  if (auto span = value_after_key(text, i, j, kind)) return span;
  if (kind == KeyKind::token) return bare_token(text, j);
  return std::nullopt;
}

// At "://": the span of the password in "://user:pass@host", or nothing. The authority ends
// at the first '/', '?' or '#' (RFC 3986), white space or a quote, and its user info at its
// last '@' (as Python's urlsplit reads it), so a password holding an unescaped '@' is hidden
// whole. A password typed unescaped into a URL may hold '/', '?' or '#' too, which ends the
// authority before the '@': where the authority has no '@' but a ':' after a user, and what
// follows that ':' is not a port (digits), the password runs to the URL's last '@' (before
// white space or a quote). A path or query with an '@' after a port (`http://h:8080/a@b`) is
// left alone, and a password of digits cut by a '/' is taken for a port and shown.
std::optional<Span> url_password(std::string_view text, std::size_t i) {
  if (text.substr(i, 3) != "://") return std::nullopt;
  const std::size_t begin = i + 3;
  std::size_t colon = npos;         // the authority's first ':'
  std::size_t at = npos;            // the authority's last '@'
  std::size_t authority_end = npos; // its first '/', '?' or '#'
  std::size_t last_at = npos;       // the URL's last '@'
  std::size_t j = begin;
  for (; j < text.size(); ++j) {
    const char c = text[j];
    if (is_space(c) || is_quote(c) || c == '`') break;
    if (c == '@') last_at = j;
    if (authority_end != npos) continue;
    if (c == '/' || c == '?' || c == '#') {
      authority_end = j;
    } else if (c == ':' && colon == npos) {
      colon = j;
    } else if (c == '@') {
      at = j;
    }
  }
  if (authority_end == npos) authority_end = j;
  if (at != npos) {
    if (colon == npos || at <= colon + 1) return std::nullopt;
    return Span{colon + 1, at};
  }
  if (colon == npos || last_at == npos || last_at < authority_end) return std::nullopt;
  const std::string_view user = text.substr(begin, colon - begin);
  if (user.find('[') != npos) return std::nullopt; // an IPv6 host: [::1]:8080
  if (!user.empty()) {
    const std::string_view port = text.substr(colon + 1, authority_end - colon - 1);
    bool digits = true;
    for (char c : port) digits = digits && is_digit(c);
    if (digits) return std::nullopt;
  }
  return Span{colon + 1, last_at};
}

// A PEM private key's marker at or after `from`: "-----BEGIN " or "-----END " (`kind`), a
// label of capitals, digits and spaces holding "PRIVATE KEY" ("RSA PRIVATE KEY", "OPENSSH
// PRIVATE KEY", "PGP PRIVATE KEY BLOCK"), then "-----". Certificates and public keys are not
// secrets.
std::optional<Span> private_key_marker(std::string_view text, std::size_t from,
                                       std::string_view kind) {
  constexpr std::string_view kDashes = "-----";
  for (std::size_t at = text.find(kind, from); at != npos; at = text.find(kind, at + 1)) {
    const std::size_t label = at + kind.size();
    std::size_t k = label;
    while (k < text.size() && (is_upper(text[k]) || is_digit(text[k]) || text[k] == ' ')) ++k;
    if (text.substr(k, kDashes.size()) == kDashes &&
        text.substr(label, k - label).find("PRIVATE KEY") != npos)
      return Span{at, k + kDashes.size()};
  }
  return std::nullopt;
}

constexpr std::string_view kBeginMarker = PrivateKeyLines::kBeginMarker;
constexpr std::string_view kEndMarker = "-----END ";

// A line break, or one written as an escape ("\n" in a JSON string), at text[k] (k < end).
std::size_t line_break_at(std::string_view text, std::size_t k, std::size_t end) {
  if (is_space(text[k])) return 1;
  if (text[k] == '\\' && k + 1 < end && (text[k + 1] == 'n' || text[k + 1] == 'r')) return 2;
  return 0;
}

// The private keys' bodies in `text` replaced, or nothing when it has none: from the end of a
// BEGIN marker to its END marker or, where none follows, to a quote that closes the string
// or the end of the text; the line breaks (or their escapes) around a body are kept.
std::optional<std::string> redact_private_keys(std::string_view text) {
  std::optional<Span> begin = private_key_marker(text, 0, kBeginMarker);
  if (!begin) return std::nullopt;
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  while (begin) {
    const auto end_marker = private_key_marker(text, begin->end, kEndMarker);
    std::size_t end = begin->end;
    if (end_marker) {
      end = end_marker->start;
    } else {
      while (end < text.size() && !is_quote(text[end]) && text[end] != '`' &&
             !(text[end] == '\\' && end + 1 < text.size() && is_quote(text[end + 1])))
        ++end;
    }
    std::size_t start = begin->end;
    while (start < end) {
      const std::size_t n = line_break_at(text, start, end);
      if (n == 0) break;
      start += n;
    }
    while (end > start) {
      if (is_space(text[end - 1])) {
        --end;
      } else if (end - start >= 2 && text[end - 2] == '\\' &&
                 (text[end - 1] == 'n' || text[end - 1] == 'r')) {
        end -= 2;
      } else {
        break;
      }
    }
    if (end > start) {
      out.append(text.substr(copied, start - copied));
      out += kRedacted;
      copied = end;
    }
    begin = private_key_marker(text, end_marker ? end_marker->end : end, kBeginMarker);
  }
  out.append(text.substr(copied));
  return out;
}

// Random text: digits and letters of both cases.
bool reads_random(std::string_view body) {
  bool upper = false, lower = false, digit = false;
  for (const char c : body) {
    upper = upper || is_upper(c);
    lower = lower || (c >= 'a' && c <= 'z');
    digit = digit || is_digit(c);
  }
  return upper && lower && digit;
}

// A well-known token shape glued inside the word [i, j) after a '-', '_' or '.'
// (`x-ghp_…`, `node.hf_…`), which secret_at, looking at the word's start, missed. Inside a
// word the short prefixes `hf_` and `sk-` also start identifiers
// (`transformers.hf_AutoModelForCausalLM…`, `layer_sk-attention_projection_…_int4`): there
// the body must read as random text too.
std::optional<Span> glued_token(std::string_view text, std::size_t i, std::size_t j) {
  for (std::size_t k = i + 1; k < j; ++k) {
    const char before = text[k - 1];
    if (before != '-' && before != '_' && before != '.') continue;
    auto span = token_shape(text, k);
    if (!span) continue;
    const std::string_view prefix = text.substr(k, span->start - k);
    if ((prefix == "hf_" || prefix == "sk-") &&
        !reads_random(text.substr(span->start, span->end - span->start)))
      continue;
    return span;
  }
  return std::nullopt;
}

// Everything but private keys' bodies.
std::string redact_words(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  // Where the last redaction ended. A word starts there as after any other non-key byte (the
  // output has "]" before it): "hf_<token>-password=x" is also a password's key, which
  // redacting the output again would find.
  std::size_t redacted_to = 0;
  while (i < text.size()) {
    std::optional<Span> span;
    std::size_t next = i + 1;
    if (is_key_char(text[i]) && (i == 0 || i == redacted_to || !is_key_char(text[i - 1]))) {
      next = i;
      while (next < text.size() && is_key_char(text[next])) ++next;
      span = secret_at(text, i, next);
      // The first of the two: a key's value comes after its word, a glued token inside it.
      if (auto glued = glued_token(text, i, next); glued && (!span || glued->start < span->start))
        span = glued;
    } else if (text[i] == ':') {
      span = url_password(text, i);
    }
    if (span) {
      out.append(text.substr(i, span->start - i));
      out += kRedacted;
      i = redacted_to = span->end;
    } else {
      out.append(text.substr(i, next - i));
      i = next;
    }
  }
  return out;
}

} // namespace

// Private keys first: a secret key's value that holds one ends at the first line break, and
// the body after it would be left.
std::string redact_secrets(std::string_view text) {
  if (auto keys = redact_private_keys(text)) return redact_words(*keys);
  return redact_words(text);
}

std::string cut_redacted(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t cut = utf8_boundary(text, max);
  if (const auto mark = text.rfind(kRedacted, cut);
      mark != std::string_view::npos && mark < cut && mark + kRedacted.size() > cut)
    cut = mark;
  const auto cut_at = [&](std::size_t n) { return std::string(text.substr(0, n)) + "..."; };
  std::string quoted = cut_at(cut);
  for (int back = 0; back < 8 && cut > 0 && redact_secrets(quoted) != quoted; ++back) {
    const auto blank = text.find_last_of(' ', cut - 1);
    cut = blank == std::string_view::npos ? 0 : blank;
    quoted = cut_at(cut);
  }
  return quoted;
}

namespace {
bool is_base64(char c) { return is_alnum(c) || c == '+' || c == '/' || c == '='; }
} // namespace

bool reads_as_credential(std::string_view name) {
  if (redact_secrets(name) != name) return true;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('.', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    bool upper = false, lower = false, word = part.size() >= 24;
    int digit_runs = 0; // random letters and digits have digits in several places
    for (std::size_t i = 0; i < part.size(); ++i) {
      const char c = part[i];
      upper = upper || is_upper(c);
      lower = lower || (c >= 'a' && c <= 'z');
      if (is_digit(c) && (i == 0 || !is_digit(part[i - 1]))) ++digit_runs;
      word = word && (is_alnum(c) || c == '-' || c == '_');
    }
    if (word && upper && lower && digit_runs >= 3) return true;
    start = end + 1;
  }
  return false;
}

std::optional<std::string> PrivateKeyLines::redact(std::string_view line) {
  if (left_ > 0) {
    if (const auto end = private_key_marker(line, 0, kEndMarker)) {
      left_ = 0;
      // Key data run into the marker: "...AB==-----END RSA PRIVATE KEY-----".
      if (end->start > 0 && is_base64(line[end->start - 1])) return std::string(kRedacted);
      return std::nullopt;
    }
    --left_;
    return std::string(kRedacted);
  }
  const auto begin = private_key_marker(line, 0, kBeginMarker);
  if (!begin) return std::nullopt;
  // A block goes on in the next lines where this one ends with the marker or with key data
  // (base64, a line break's escape), and has no END of its own; "key '-----BEGIN ... KEY-----'
  // not accepted" is text about a key.
  if (!private_key_marker(line, begin->end, kEndMarker)) {
    bool data = true;
    for (char c : line.substr(begin->end))
      data = data && (is_base64(c) || is_space(c) || c == '\\');
    if (data) left_ = kMaxLines;
  }
  std::string kept = redact_secrets(line);
  if (kept == line) return std::nullopt;
  return kept;
}

} // namespace clustertop
