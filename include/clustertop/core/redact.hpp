// Credential redaction for text that leaves the program (CSV cells, alert messages printed
// or handed to hooks, headless figures lines). One pure function over strings, so every
// output applies the same rule; docs/exports.md ("Credentials") states it in words.
#pragma once

#include <string>
#include <string_view>

namespace clustertop {

inline constexpr std::string_view kRedacted = "[redacted]";

// Replaces credentials with "[redacted]", keeping everything around them (key names, quotes,
// separators, an Authorization scheme, a well-known token's prefix):
// - a value after a key whose last word is password, passwd, pwd, passphrase, secret, token,
//   auth, credential(s), apikey, or api/access/private/secret + key (words split at `_`, `-`,
//   `.` and lower-to-upper case changes; case-insensitive), with `=`, `:` or `=>` between
//   them (a command-line flag such as `--password` may use a space instead), the key and the
//   value each optionally quoted with ', " or \"; a quoted value runs to its closing quote,
//   an unquoted one to white space or one of , ; & " ' `. A plain number after a `token` key
//   is a count (`#token: 1234`), not a credential, and is kept;
// - the credential of an Authorization / Proxy-Authorization header or field, after any
//   scheme (Basic, Bearer, Digest, token ...), and the word after `Bearer` anywhere;
// - the whole value of a Cookie / Set-Cookie header or field, to its closing quote or the
//   end of the line;
// - the password of "scheme://user:pass@host", to the authority's last '@'; a password
//   holding an unescaped '/', '?' or '#' (which end the authority) to the URL's last '@',
//   unless what follows the ':' is a port;
// - the body of a PEM private key (`-----BEGIN … PRIVATE KEY-----` to its END marker, or to
//   a closing quote or the end of the text where none follows), the markers and the line
//   breaks around the body kept; certificates and public keys are left;
// - well-known token shapes wherever they stand: hf_…, sk-…, ghp_/gho_/ghu_/ghs_/ghr_…,
//   github_pat_…, glpat-…, xoxb-/xoxa-/xoxp-/xoxr-/xoxs-…, AKIA/ASIA… (each with a long
//   enough body; the prefix is kept).
// Idempotent: redacting redacted text changes nothing.
std::string redact_secrets(std::string_view text);

} // namespace clustertop
