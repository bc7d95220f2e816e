// Credential redaction for text that leaves the program (CSV cells, alert messages printed
// or handed to hooks, headless figures lines). One pure function over strings, so every
// output applies the same rule; docs/exports.md ("Credentials") states it in words.
#pragma once

#include <optional>
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
//   is a count (`#token: 1234`), not a credential, and is kept. After a `token` key with
//   no separator (`using token abc123def456ghi`), a value with a credential's shape: letters
//   and digits both, a run of at least 12 of them, nothing but - _ . + / = ~ besides;
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

// Redacted text cut to at most max bytes, with "..." where it was cut: between characters
// (the first bytes of one alone were invalid UTF-8 in hooks' text); never inside a
// "[redacted]" (the CSV's redaction of its cells made "Bearer [redacte..." whole again, the
// mark of the cut gone, and a reader counting redactions missed it); nor where what is left
// reads as a secret's key with "..." its value ("Bearer ...", "password=..."), which that
// redaction would hide: back to the word before, until the cut text stays as it is.
std::string cut_redacted(std::string_view text, std::size_t max);

// Whether a name taken from a node's output (a metric a log's `key=number` made) reads as a
// credential: redaction would change it, or one of its dot-separated parts is a token's body
// (24 or more letters, digits, '-' or '_', with upper and lower case letters and digits in
// three places or more, as random text has them; `TokensPerSecondLast10` is a name): a
// parser keeps only part of a key (`my_sk-AJ71…=5` is the metric `step.AJ71…`), which no
// token shape then matches.
bool reads_as_credential(std::string_view name);

// One stream's lines followed through PEM private key blocks. A key printed to a log arrives a
// line at a time, and a body line alone is plain base64 that redact_secrets cannot tell from
// other text; whoever reads a stream's lines in order (Ingest, one per log stream) asks this
// about each line before keeping it.
class PrivateKeyLines {
public:
  // The most lines hidden after a BEGIN line whose END line never comes: a log that printed
  // only the marker is not hidden for good.
  static constexpr int kMaxLines = 200;
  // What a line that starts a block contains: a reader that finds literals in every line
  // anyway (Ingest's parser group) asks redact() only about lines with it while idle().
  static constexpr std::string_view kBeginMarker = "-----BEGIN ";

  // What to keep of the stream's next line: nothing (keep it as it is), or what replaces it.
  // A line after a line that ends with a `-----BEGIN … PRIVATE KEY-----` marker (or goes on
  // with key data after it), up to the END line, is "[redacted]"; so is an END line with key
  // data just before its marker. The BEGIN line keeps its marker (redact_secrets' text), and
  // the END line is kept when nothing but a prefix stands before it.
  std::optional<std::string> redact(std::string_view line);
  // Not inside a block: a line without kBeginMarker is kept as it is.
  [[nodiscard]] bool idle() const { return left_ == 0; }

private:
  int left_ = 0; // lines still to hide; 0: not in a block
};

} // namespace clustertop
