#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "clustertop/core/redact.hpp"

namespace clustertop {
namespace {

using Cases = std::vector<std::pair<std::string, std::string>>;

void expect_all(const Cases &cases) {
  for (const auto &[in, want] : cases) {
    EXPECT_EQ(redact_secrets(in), want) << "input: " << in;
    EXPECT_EQ(redact_secrets(want), want) << "not idempotent: " << want;
  }
}

TEST(Redact, QuotedValuesAfterTheSeparator) {
  expect_all({
      {R"({"password": "AAA3"})", R"({"password": "[redacted]"})"},
      {R"({'password': 'AAA26'})", R"({'password': '[redacted]'})"},
      {R"({"token":"AAA21","n":1})", R"({"token":"[redacted]","n":1})"},
      {R"(msg="token=\"AAA25\" next")", R"(msg="token=\"[redacted]\" next")"},
      {R"(\"password\": \"p w\", \"ok\": 1)", R"(\"password\": \"[redacted]\", \"ok\": 1)"},
      {R"({"password": "a \"quoted\" one", "user": "x"})",
       R"({"password": "[redacted]", "user": "x"})"},
      {R"(user password = "two words" end)", R"(user password = "[redacted]" end)"},
      {R"(:password => 'x')", R"(:password => '[redacted]')"},
  });
}

TEST(Redact, KeysEndingInASecretWord) {
  expect_all({
      {"OPENAI_API_KEY=sk-abc rest", "OPENAI_API_KEY=[redacted] rest"},
      {"GITHUB_TOKEN=abc rest", "GITHUB_TOKEN=[redacted] rest"},
      {"AWS_SECRET_ACCESS_KEY=wJalr/K7MDENG+bPxR rest", "AWS_SECRET_ACCESS_KEY=[redacted] rest"},
      {"X-Api-Key: abc123 next", "X-Api-Key: [redacted] next"},
      {"X-Auth-Token: abc", "X-Auth-Token: [redacted]"},
      {"db.password=abc client_secret=def", "db.password=[redacted] client_secret=[redacted]"},
      {R"({"apiKey": "a", "accessToken": "b", "privateKey": "c"})",
       R"({"apiKey": "[redacted]", "accessToken": "[redacted]", "privateKey": "[redacted]"})"},
      {"basic_auth=user:pass next", "basic_auth=[redacted] next"},
      {"git_credentials: x", "git_credentials: [redacted]"},
  });
}

// Forms a tester found shown in clear: a secret word run into the one before or written in
// mixed case, `pass`, Azure's AccountKey and SAS signature, Google and Groq API keys. A plain
// number after `pass` or `sig` is a count or a signal, kept.
TEST(Redact, MoreKeysAndShapesOfCredentials) {
  expect_all({
      {"PGPASSWORD=S3cr3tPass psql", "PGPASSWORD=[redacted] psql"},
      {"PaSsWoRd=hunter2 x", "PaSsWoRd=[redacted] x"},
      {"pass=hunter2 DB_PASS=hunter3", "pass=[redacted] DB_PASS=[redacted]"},
      {"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFy+/==;EndpointSuffix",
       "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[redacted];EndpointSuffix"},
      {"https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=AbCd%2Bef%3D&se=1",
       "https://acct.blob.core.windows.net/c?sv=2022-11-02&sig=[redacted]&se=1"},
      {"key AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW here", "key AIza[redacted] here"},
      {"GROQ gsk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP done",
       "GROQ gsk_[redacted] done"},
      {"test_pass=3 sig=11 passes=4", "test_pass=3 sig=11 passes=4"},
  });
}

TEST(Redact, HeadersFlagsAndBearer) {
  expect_all({
      {"Authorization: Basic dXNlcjpwYXNz next", "Authorization: Basic [redacted] next"},
      {"Authorization: Bearer abc.def-ghi", "Authorization: Bearer [redacted]"},
      {"Proxy-Authorization: token abc", "Proxy-Authorization: token [redacted]"},
      {R"(Authorization: Digest username="bob", realm="api", nonce="dcd98b", uri="/v1", )"
       R"(response="6629fae49393a05397450978507c4ef1", opaque="5ccc")"
       "\nnext line",
       "Authorization: Digest [redacted]\nnext line"},
      {"authorization=abc123", "authorization=[redacted]"},
      {R"({"Authorization": "Bearer a b"})", R"({"Authorization": "Bearer [redacted]"})"},
      {"Bearer  x next", "Bearer  [redacted] next"},
      {"Bearer x", "Bearer [redacted]"},
      {"Cookie: session=abc123; theme=dark", "Cookie: [redacted]"},
      {"Set-Cookie: id=a3f; Path=/; HttpOnly\r\nnext", "Set-Cookie: [redacted]\r\nnext"},
      {R"(headers={'Cookie': 'a=b; c=d', 'Host': 'x'})",
       R"(headers={'Cookie': '[redacted]', 'Host': 'x'})"},
      {"run --password 'x y' --verbose", "run --password '[redacted]' --verbose"},
      {"run --password hunter2 --verbose", "run --password [redacted] --verbose"},
      {"run --api-key=abc", "run --api-key=[redacted]"},
  });
}

TEST(Redact, WellKnownTokenShapesAnywhere) {
  const std::string hf = "hf_" + std::string(34, 'a');
  const std::string ghp = "ghp_" + std::string(30, 'B') + "012345";
  expect_all({
      {"login with " + hf + " failed", "login with hf_[redacted] failed"},
      {"export " + ghp, "export ghp_[redacted]"},
      {"key sk-proj-abc123def456ghi789jkl0 used", "key sk-[redacted] used"},
      {"github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_[redacted]"},
      {"slack xoxb-123456789012-abcdef", "slack xoxb-[redacted]"},
      {"aws AKIAIOSFODNN7EXAMPLE ok", "aws AKIA[redacted] ok"},
      // A bare JWT (jwt.io's example), with no key or Bearer before it.
      {"session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4g"
       "RG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c expired",
       "session eyJ[redacted] expired"},
      // Too short, or not a token's shape: left alone.
      {"hf_hub_download() and sk-learn and AKIA", "hf_hub_download() and sk-learn and AKIA"},
      {"scikit-learn-intelex-something-long", "scikit-learn-intelex-something-long"},
      {"eyJ is not a token", "eyJ is not a token"},
  });
}

// A token glued to a word before it by '-', '_' or '.' was left whole: the redactor looked for
// token shapes only at a word's start.
TEST(Redact, ATokenShapeGluedAfterADashOrDot) {
  const std::string ghp = "ghp_dbcdefghijklmnopqrstuvwxyz0123456789";
  const std::string hf = "hf_AbCdEfGh1234IjKlMnOp5678QrStUvWx90";
  expect_all({
      {"d x-" + ghp + " (0008)", "d x-ghp_[redacted] (0008)"},
      {"node-" + ghp, "node-ghp_[redacted]"},
      {"cfg.hf_token_" + hf + " set", "cfg.hf_token_hf_[redacted] set"},
      {"secret_" + hf + "-password=hunter2", "secret_hf_[redacted]-password=[redacted]"},
      // Words that only hold a prefix are left alone, and so are identifiers after the short
      // prefixes inside a word: their bodies do not read as random text.
      {"scikit-learn-intelex and my-hf_hub_download",
       "scikit-learn-intelex and my-hf_hub_download"},
      {"transformers.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",
       "transformers.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"},
      {"layer_sk-attention_projection_weights_quantized_int4",
       "layer_sk-attention_projection_weights_quantized_int4"},
  });
}

// A word starts where a redaction ends: the rest of a word after a token's shape was never
// looked at as a key, so its value was left (and a second redaction found it).
TEST(Redact, AKeyRightAfterATokenShape) {
  const std::string hf = "hf_" + std::string(34, 'a');
  expect_all({
      {hf + "-password=hunter2 ok", "hf_[redacted]-password=[redacted] ok"},
      {"AKIAIOSFODNN7EXAMPLEtoken: abc", "AKIA[redacted]token: [redacted]"},
  });
}

// A URL's user info ends at the authority's last '@'; it was cut at the first, which showed
// the rest of a password holding '@'.
TEST(Redact, AUrlPasswordHoldingAnAt) {
  expect_all({
      {"connect postgres://app:pa@ss@db:5432/x failed",
       "connect postgres://app:[redacted]@db:5432/x failed"},
      {"url='redis://u:p@q@r' email=a@b", "url='redis://u:[redacted]@r' email=a@b"},
      {"see http://host:8080/a@b", "see http://host:8080/a@b"},
      {"mirror://user@host:22 ok", "mirror://user@host:22 ok"},
  });
}

// A password holding '/' (or '?' or '#', unencoded, as people type them into a DSN) cut the
// user info at the '/' and showed the whole password.
TEST(Redact, AUrlPasswordHoldingASlash) {
  expect_all({
      {"connect postgres://user:pa/ss@db:5432/x failed",
       "connect postgres://user:[redacted]@db:5432/x failed"},
      {"GET https://u:abc/def@host/path 401", "GET https://u:[redacted]@host/path 401"},
      {"redis://:s3cr?t#1@cache:6379/0", "redis://:[redacted]@cache:6379/0"},
      // The token's last '@': a password holding both '/' and '@' is hidden whole (and so is
      // a path's '@' after it: more hidden, nothing shown).
      {"dsn=mysql://app:a/b@c@db/x ok", "dsn=mysql://app:[redacted]@db/x ok"},
      {"url: 'amqp://guest:pw/1@mq/vhost'", "url: 'amqp://guest:[redacted]@mq/vhost'"},
      {"db://u:p/w@db/x?u=a@b", "db://u:[redacted]@b"},
  });
}

// The authority ends at the first '/', '?' or '#': a ':' and '@' in a query or fragment of a
// URL with no user info were taken as a user and password.
TEST(Redact, AUrlAuthorityEndsAtAQueryOrFragment) {
  expect_all({
      {"GET https://host?q=a:b@c 200", "GET https://host?q=a:b@c 200"},
      {"GET https://host#frag:x@y 200", "GET https://host#frag:x@y 200"},
      {"GET https://host/?q=a:b@c 200", "GET https://host/?q=a:b@c 200"},
  });
}

// URLs without credentials, with an '@' or ':' past the host, are left as they are.
TEST(Redact, UrlsWithoutCredentialsAreLeftAlone) {
  const std::vector<std::string> lines = {
      "see https://host/a@b and http://host/path?email=a@b.c",
      "clone git@github.com:x/y.git failed",
      "see http://host:8080/a@b",
      "GET http://localhost:4873/@scope/pkg 200",
      "GET http://localhost:8000/v1/models?owner=me@example.com 200",
      "POST http://10.0.0.5:30000/generate 200 user@host",
      "https://cdn.jsdelivr.net/npm/@scope/pkg@1.2.3/dist",
      "mirror://user@host:22 ok",
      "ssh://git@github.com:22/x/y.git",
      "http://[::1]:8080/a@b",
  };
  for (const auto &line : lines) EXPECT_EQ(redact_secrets(line), line);
}

// A PEM private key within one text (a hook message, a JSON string with \n escapes, a
// multi-line status detail): its body. Each line of a log is redacted alone, and a body line
// there is plain base64 (PrivateKeyLines follows a stream's lines for that).
TEST(Redact, APrivateKeyBlockWithinOneText) {
  expect_all({
      {"key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq3\nq9hU+yk=\n"
       "-----END RSA PRIVATE KEY-----\ndone",
       "key:\n-----BEGIN RSA PRIVATE KEY-----\n[redacted]\n-----END RSA PRIVATE KEY-----\ndone"},
      {R"({"msg": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END PRIVATE KEY-----\n"})",
       R"({"msg": "-----BEGIN PRIVATE KEY-----\n[redacted]\n-----END PRIVATE KEY-----\n"})"},
      {"-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAA\r\n"
       "-----END OPENSSH PRIVATE KEY-----",
       "-----BEGIN OPENSSH PRIVATE KEY-----\r\n[redacted]\r\n-----END OPENSSH PRIVATE KEY-----"},
      {"-----BEGIN ENCRYPTED PRIVATE KEY-----MIIFHDBOBgkqhkiG9w0BBQ0w",
       "-----BEGIN ENCRYPTED PRIVATE KEY-----[redacted]"},
      // No END within the text: to its end, or to a quote that closes the string.
      {"-----BEGIN EC PRIVATE "
       "KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49",
       "-----BEGIN EC PRIVATE KEY-----\n[redacted]"},
      {R"(key="-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B" next=1)",
       R"(key="-----BEGIN PRIVATE KEY-----\n[redacted]" next=1)"},
      {"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF0u\n=ab12\n-----END PGP PRIVATE KEY "
       "BLOCK-----",
       "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n[redacted]\n-----END PGP PRIVATE KEY BLOCK-----"},
      // As a secret key's value: the key's rule hides the quoted value to its line break.
      {"private_key: \"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq3\n"
       "-----END RSA PRIVATE KEY-----\" ok",
       "private_key: \"[redacted]\n[redacted]\n-----END RSA PRIVATE KEY-----\" ok"},
      {R"({"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIB\n-----END PRIVATE KEY-----\n", "n": 1})",
       R"({"private_key": "[redacted]", "n": 1})"},
  });
  // Public keys and certificates are not secrets; the line with only the marker has no body.
  const std::vector<std::string> kept = {
      "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END "
      "CERTIFICATE-----",
      "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
      "-----BEGIN RSA PRIVATE KEY-----",
      "-----END RSA PRIVATE KEY-----",
      "---------- PRIVATE KEY ----------",
  };
  for (const auto &text : kept) EXPECT_EQ(redact_secrets(text), text);
}

// A stream's lines, one at a time: what each becomes ("" for kept as it is).
std::vector<std::string> follow(PrivateKeyLines &keys, const std::vector<std::string> &lines) {
  std::vector<std::string> out;
  for (const auto &line : lines) out.push_back(keys.redact(line).value_or(""));
  return out;
}

TEST(RedactPrivateKeyLines, HidesTheBodyBetweenBeginAndEnd) {
  PrivateKeyLines keys;
  EXPECT_EQ(follow(keys, {"2026-02-23 15:00:01 INFO loading key", "-----BEGIN RSA PRIVATE KEY-----",
                          "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,3F17F5316E2BAC89", "",
                          "MIIEpAIBAAKCAQEA7bq3xY0kqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfV",
                          "q9hU+yk=", "-----END RSA PRIVATE KEY-----", "INFO key loaded"}),
            (std::vector<std::string>{"", "", "[redacted]", "[redacted]", "[redacted]",
                                      "[redacted]", "[redacted]", "", ""}));
  // A log prefix before each line, and key data run into the END marker.
  EXPECT_EQ(follow(keys, {"app | -----BEGIN OPENSSH PRIVATE KEY-----",
                          "app | b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz",
                          "app | c2gtZWQyNTUxOQ==-----END OPENSSH PRIVATE KEY-----", "app | ok"}),
            (std::vector<std::string>{"", "[redacted]", "[redacted]", ""}));
}

TEST(RedactPrivateKeyLines, ABeginLineWithKeyDataAfterItsMarker) {
  PrivateKeyLines keys;
  EXPECT_EQ(follow(keys, {"-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
                          "BKcwggSjAgEAAoIBAQC7", "-----END PRIVATE KEY-----"}),
            (std::vector<std::string>{"-----BEGIN PRIVATE KEY-----[redacted]", "[redacted]", ""}));
  // A whole block in one line (a JSON string): redact_secrets' text, and no block after it.
  EXPECT_EQ(
      follow(
          keys,
          {R"({"key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"})",
           "next"}),
      (std::vector<std::string>{
          R"({"key": "-----BEGIN EC PRIVATE KEY-----\n[redacted]\n-----END EC PRIVATE KEY-----"})",
          ""}));
}

TEST(RedactPrivateKeyLines, WhatIsNotAPrivateKeyBlockIsKept) {
  PrivateKeyLines keys;
  const std::vector<std::string> lines = {
      "-----BEGIN CERTIFICATE-----",
      "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa",
      "-----END CERTIFICATE-----",
      "-----BEGIN PUBLIC KEY-----",
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
      "-----END PUBLIC KEY-----",
      "ssh: key '-----BEGIN OPENSSH PRIVATE KEY-----' not accepted",
      "INFO next line",
      "-----END RSA PRIVATE KEY-----",
      "INFO after a stray END",
  };
  EXPECT_EQ(follow(keys, lines), std::vector<std::string>(lines.size(), ""));
}

// A BEGIN whose END never comes hides kMaxLines lines, then the log shows again.
TEST(RedactPrivateKeyLines, AMissingEndHidesABoundedNumberOfLines) {
  PrivateKeyLines keys;
  EXPECT_FALSE(keys.redact("-----BEGIN PRIVATE KEY-----"));
  for (int i = 0; i < PrivateKeyLines::kMaxLines; ++i)
    EXPECT_EQ(keys.redact("line " + std::to_string(i)), std::string(kRedacted)) << i;
  EXPECT_FALSE(keys.redact("INFO back"));
}

// "token <value>" with no '=' or ':': hidden where the value has a credential's shape (long,
// letters and digits), not where English goes on ("the token count", "token 5").
TEST(Redact, ATokenWithoutASeparator) {
  expect_all({
      {"using token abc123def456ghi", "using token [redacted]"},
      {"login with token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b ok",
       "login with token [redacted] ok"},
      {"HF_TOKEN 'Zx81kQpL0mN4vB7c' set", "HF_TOKEN '[redacted]' set"},
      {"Token AbCdEf0123456789/+== expired", "Token [redacted] expired"},
  });
  const std::vector<std::string> kept = {
      "the token count is 512",
      "token 5 of 512",
      "token limit reached: 4096",
      "token usage 0.81",
      "slot update_slots: id  0 | task 0 | prompt token   0: 128000 '<|begin_of_text|>'",
      "eos token 128009 stops generation",
      "the token is ready; token budget exceeded",
      "token Llama-3-8B-Instruct",
      "token 2024-05-19T10:13:11",
      "token [redacted]",
  };
  for (const auto &line : kept) EXPECT_EQ(redact_secrets(line), line);
}

// curl's -u / --user user:password.
TEST(Redact, AUserFlagsPassword) {
  expect_all({
      {"curl -u admin:hunter2 http://x", "curl -u admin:[redacted] http://x"},
      {"curl --user 'admin:two words' -s", "curl --user 'admin:[redacted]' -s"},
      {"curl --user=admin:hunter2 -s", "curl --user=admin:[redacted] -s"},
      {"curl -u :s3cretpassw0rd http://x", "curl -u :[redacted] http://x"},
      {"curl -u admin:84629173 http://x", "curl -u admin:[redacted] http://x"},
      // No password, or a uid:gid pair: nothing to hide.
      {"curl -u admin http://x", "curl -u admin http://x"},
      {"python -u serve.py", "python -u serve.py"},
      {"docker run -u 1000:1000 img", "docker run -u 1000:1000 img"},
  });
}

TEST(Redact, FormsThatWereAlreadyHandledStay) {
  expect_all({
      {"pull https://user:s3cr3t@hf.co/m failed", "pull https://user:[redacted]@hf.co/m failed"},
      {"login password=hunter2 tokens=512", "login password=[redacted] tokens=512"},
      {"secret: foo", "secret: [redacted]"},
      {"HF_TOKEN: 'hf_abc' api_key = xyz", "HF_TOKEN: '[redacted]' api_key = [redacted]"},
      {"PASSWORD=abc", "PASSWORD=[redacted]"},
  });
}

// A Python dict of bytes or raw strings, as a traceback prints a config: the value in its
// quotes, not the prefix letter alone ("'password': [redacted]'SECRET'").
TEST(Redact, APythonStringPrefixBeforeTheQuotedValue) {
  expect_all({
      {"cfg {'password': b'SECRETbytes', 'secret_key': b'S2'} end",
       "cfg {'password': b'[redacted]', 'secret_key': b'[redacted]'} end"},
      {"token=rb\"abc def\" ok", "token=rb\"[redacted]\" ok"},
      {"api_key: u'k1' password: f'p{x}'", "api_key: u'[redacted]' password: f'[redacted]'"},
      {"password: bob", "password: [redacted]"},
      // A call around the quoted value: the value inside it.
      {"{'password': bytearray(b'SECRET'), 'x': 1}",
       "{'password': bytearray(b'[redacted]'), 'x': 1}"},
      {"api_key=SecretBytes(\"k2\") ok", "api_key=SecretBytes(\"[redacted]\") ok"},
      // An escaped quote inside the value ends nothing.
      {"password=b'esc\\'aped secret' ok", "password=b'[redacted]' ok"},
  });
}

// Ordinary inference-server lines: "token" and "tokens" in figures are not credentials.
TEST(Redact, OrdinaryLogLinesAreLeftIntact) {
  const std::vector<std::string> lines = {
      "gen.tokens_per_s=27 prompt tokens: 100",
      "Decode batch. #running-req: 1, #token: 1234, token usage: 0.01, gen throughput "
      "(token/s): 35.24, #queue-req: 0",
      "Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 35.2 tokens/s, "
      "Running: 1 reqs, GPU KV cache usage: 0.81%",
      "SamplingParams(n=1, temperature=0.7, max_tokens=512, skip_special_tokens=True, "
      "stop_token_ids=[], truncate_prompt_tokens=None)",
      "token usage 0.81 tokens-per-sec: 35.1 tokens per second: 81.00",
      "prompt eval time =     123.45 ms /    10 tokens (   12.35 ms per token,    81.00 "
      "tokens per second)",
      "slot update_slots: id  0 | task 0 | prompt token   0: 128000 '<|begin_of_text|>'",
      "[STEP 12] eval=31ms model=7ms gpu_eval=0.5ms fence_wait=0.8ms ctx=12K",
      "generated 512 tokens in 14.2s (36.1 tok/s) token_count=512 token: 42",
      "password_file=/etc/clustertop/pw passwords checked: 3 the token is ready",
      "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.15 GiB total capacity)",
  };
  for (const auto &line : lines) EXPECT_EQ(redact_secrets(line), line);
}

// Every line of the recorded fixtures (vLLM, SGLang, exo, llama.cpp, mlx-lm, failures,
// samplers) and of the collector definitions' samples: real log text, none of it a secret.
TEST(Redact, FixtureAndCollectorSampleLinesAreLeftIntact) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(CLUSTERTOP_TEST_DATA);
  std::size_t checked = 0;
  for (const auto &entry : fs::recursive_directory_iterator(root / "fixtures")) {
    if (!entry.is_regular_file() || entry.path().filename() == "SOURCES") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      EXPECT_EQ(redact_secrets(line), line) << entry.path();
      ++checked;
    }
  }
  for (const auto &entry : fs::directory_iterator(root.parent_path() / "collectors")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const auto j = nlohmann::json::parse(in);
    for (const auto &sample : j.value("samples", nlohmann::json::array()))
      for (const auto &line : sample.value("lines", nlohmann::json::array())) {
        const auto text = line.get<std::string>();
        EXPECT_EQ(redact_secrets(text), text) << entry.path();
        ++checked;
      }
  }
  EXPECT_GT(checked, 100u);
}

} // namespace
} // namespace clustertop
