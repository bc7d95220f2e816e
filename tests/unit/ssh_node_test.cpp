// Node arguments, hostile names, host key words, backoff, and ~/.ssh/config resolution
// (explicit settings must win over the file). No network.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "clustertop/transport/child_process.hpp"
#include "clustertop/transport/ssh.hpp"
#include "clustertop/transport/ssh_io.hpp"
#include "clustertop/transport/ssh_session.hpp"

namespace clustertop {
namespace {

TEST(SshNode, ParsesTheUsualForms) {
  auto a = parse_node_argument("mac1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "mac1");
  EXPECT_EQ(a->host, "mac1");
  EXPECT_EQ(a->user, "");
  EXPECT_EQ(a->port, 0);
  auto b = parse_node_argument("alice@gpu-box.local");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->user, "alice");
  EXPECT_EQ(b->host, "gpu-box.local");
  auto c = parse_node_argument("alice@10.0.0.7:2222");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "10.0.0.7");
  EXPECT_EQ(c->port, 2222);
  EXPECT_EQ(c->name, "alice@10.0.0.7:2222");
  auto d = parse_node_argument("[::1]:22");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "::1");
  EXPECT_EQ(d->port, 22);
  auto e = parse_node_argument("bob@[fe80::1%eth0]");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "fe80::1%eth0");
  EXPECT_EQ(e->port, 0);
}

TEST(SshNode, RejectsHostileAndMalformedInput) {
  const char *bad[] = {"",
                       "-oProxyCommand=touch /tmp/pwned",
                       "host;rm -rf /",
                       "$(touch /tmp/x)",
                       "`id`@host",
                       "a b",
                       "host\nother",
                       "user@-oProxyCommand=x",
                       "-l@host",
                       "host:0",
                       "host:65536",
                       "host:22x",
                       "host:",
                       "::1",
                       "[::1",
                       "[::1]x",
                       "[$(id)]:22",
                       "user@",
                       "@host",
                       "a@b@c",
                       ".hidden",
                       "h'ost",
                       "host|cat"};
  for (const char *arg : bad) {
    auto r = parse_node_argument(arg);
    EXPECT_FALSE(r.ok()) << "accepted: " << arg;
    if (!r.ok()) {
      EXPECT_FALSE(r.error().help.empty());
      EXPECT_EQ(r.error().where.find('\n'), std::string::npos) << "control char echoed";
    }
  }
  EXPECT_FALSE(parse_node_argument(std::string(400, 'a')).ok());
  const std::string nul("ho\0st", 5);
  EXPECT_FALSE(parse_node_argument(nul).ok());
}

TEST(SshNode, ValidateCatchesHostileSpecsFromConfig) {
  NodeSpec n;
  n.name = "n";
  n.host = "ok-host";
  EXPECT_TRUE(validate_node(n).ok());
  n.user = "$(reboot)";
  EXPECT_FALSE(validate_node(n).ok());
  n.user = "root";
  n.host = "x;id";
  EXPECT_FALSE(validate_node(n).ok());
  n.host = "ok";
  n.port = 70000;
  EXPECT_FALSE(validate_node(n).ok());
  n.port = 22;
  // A CSV cell starting with one of these is a formula to a spreadsheet: the writer puts a `'`
  // before it, and the name would no longer be its /metrics label.
  for (const char *name : {"-x", "=SUM(A1)", "+1", "@gpu"}) {
    n.name = name;
    const auto s = validate_node(n);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_NE(s.error().message().find("may not start with"), std::string::npos)
        << s.error().message();
  }
  n.name = "gpu-1@rack";
  EXPECT_TRUE(validate_node(n).ok());
  // /metrics writes a backslash doubled: the name would not be its label.
  n.name = "back\\slash";
  const auto backslash = validate_node(n);
  ASSERT_FALSE(backslash.ok());
  EXPECT_NE(backslash.error().message().find("holds a backslash"), std::string::npos)
      << backslash.error().message();
  n.name = "gpu-1@rack";
  // libssh refuses '_' in a host name (an alias too) with "unknown libssh error" at connect;
  // it is said before, with what to write instead. A user name may hold it.
  n.host = "gpu_1";
  const auto underscore = validate_node(n);
  ASSERT_FALSE(underscore.ok());
  EXPECT_NE(underscore.error().message().find("without '_' (e.g. 'gpu-1')"), std::string::npos)
      << underscore.error().message();
  n.host = "gpu-1";
  n.user = "svc_ml";
  EXPECT_TRUE(validate_node(n).ok());
  // A control of direction shows the name in another order (as a line separator breaks it).
  for (const char *name : {"\xc3\xa9\u202Eevil", "a\u2066b", "x\u200Fy"}) {
    n.name = name;
    EXPECT_FALSE(validate_node(n).ok()) << name;
  }
}

// A config's host with its port ("127.0.0.1:23501", as a node argument takes it) passed as an
// IPv6 address (any text with a colon did), check-config said OK, and the run failed with
// "invalid host: unknown libssh error". It is refused, with where the port goes.
TEST(SshNode, AHostWithAPortIsNoIpv6AddressAndSaysWhereThePortGoes) {
  NodeSpec n;
  n.name = "hp";
  for (const char *host : {"::1", "fe80::1%eth0", "2001:db8::7", "::ffff:10.0.0.1"}) {
    n.host = host;
    EXPECT_TRUE(validate_node(n).ok()) << host;
  }
  n.host = "127.0.0.1:23501";
  auto s = validate_node(n);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("write host = \"127.0.0.1\" and port = 23501"),
            std::string::npos)
      << s.error().message();
  for (const char *host : {"n1:", "a:b:c", "fe80::1%eth0;id", "1:2:3:4:5:6:7:8:9"}) {
    n.host = host;
    EXPECT_FALSE(validate_node(n).ok()) << host;
  }
}

TEST(SshNode, HostKeyPolicyWords) {
  EXPECT_EQ(parse_host_key_policy("strict").value(), HostKeyPolicy::strict);
  EXPECT_EQ(parse_host_key_policy("yes").value(), HostKeyPolicy::strict);
  EXPECT_EQ(parse_host_key_policy("accept-new").value(), HostKeyPolicy::accept_new);
  EXPECT_EQ(parse_host_key_policy("off").value(), HostKeyPolicy::off);
  EXPECT_EQ(parse_host_key_policy("no").value(), HostKeyPolicy::off);
  EXPECT_FALSE(parse_host_key_policy("ask").ok());
}

TEST(SshNode, OptionsFromTheCommandLine) {
  Options cli;
  cli.known_hosts = "/tmp/kh";
  cli.host_key_checking = "accept-new";
  cli.ssh_config = "none";
  cli.connect_timeout = std::chrono::seconds(3);
  auto o = ssh_options_from(cli);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->known_hosts, "/tmp/kh");
  EXPECT_EQ(o->host_key_checking, HostKeyPolicy::accept_new);
  EXPECT_EQ(o->ssh_config, "none");
  EXPECT_EQ(o->connect_timeout, std::chrono::seconds(3));
  cli.host_key_checking = "maybe";
  EXPECT_FALSE(ssh_options_from(cli).ok());
}

TEST(SshNode, BackoffDoublesWithJitterAndCap) {
  using std::chrono::milliseconds;
  const auto min = milliseconds(1000), max = milliseconds(30000);
  EXPECT_EQ(ssh::backoff_delay(0, min, max, 0.5), milliseconds(1000));
  EXPECT_EQ(ssh::backoff_delay(3, min, max, 0.5), milliseconds(8000));
  EXPECT_EQ(ssh::backoff_delay(30, min, max, 0.5), milliseconds(30000));
  EXPECT_EQ(ssh::backoff_delay(0, min, max, 0.0), milliseconds(750));
  EXPECT_LT(ssh::backoff_delay(0, min, max, 0.999), milliseconds(1250));
  EXPECT_LE(ssh::backoff_delay(10, min, max, 0.999), max);
}

class SshConfigTest : public ::testing::Test {
protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ct-sshcfg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/config";
    std::ofstream(path_) << "Host myalias\n  HostName 127.0.0.9\n  Port 2200\n  User alice\n"
                         << "Host *\n  Port 2299\n";
    opts_.ssh_config = path_;
  }
  void TearDown() override {
    std::remove(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_, path_;
  SshOptions opts_;
};

TEST_F(SshConfigTest, AliasResolvesThroughTheFile) {
  auto r = ssh::resolve_node(parse_node_argument("myalias").value(), opts_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->host, "127.0.0.9");
  EXPECT_EQ(r->port, 2200);
  EXPECT_EQ(r->user, "alice");
}

TEST_F(SshConfigTest, ExplicitPortAndUserWinOverTheFile) {
  // libssh lets the file override options set before parsing; we re-apply ours after it.
  auto r = ssh::resolve_node(parse_node_argument("bob@myalias:2222").value(), opts_);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->host, "127.0.0.9");
  EXPECT_EQ(r->port, 2222);
  EXPECT_EQ(r->user, "bob");
}

TEST_F(SshConfigTest, MissingFileIsAnErrorNotSilence) {
  opts_.ssh_config = dir_ + "/nope";
  auto r = ssh::resolve_node(parse_node_argument("myalias").value(), opts_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("nope"), std::string::npos);
}

TEST(SshWrapper, QuotesTheCommandAsOneWord) {
  const std::string hostile = "echo '$(id)'; `id` \"x\" \\";
  const auto wrapped = ssh::wrap_remote_command(hostile);
  EXPECT_EQ(wrapped.rfind("exec /bin/sh -c '", 0), 0U);
  // The command travels as the last single-quoted word, with ' written as '\''.
  EXPECT_NE(wrapped.find("clustertop 'echo '\\''$(id)'\\''; `id` \"x\" \\'"), std::string::npos)
      << wrapped;
}

// The ssh command clustertop suggests, and runs as `ssh -G`, names --known-hosts as OpenSSH
// reads an -o value: a path with a quote, a space and a % was "command-line line 0: invalid
// quotes" (and its `ssh -G` answered nothing). The real ssh reads the command back.
TEST(SshNode, TheSshCommandNamesAnyKnownHostsFile) {
  if (std::system("command -v ssh >/dev/null 2>&1") != 0) GTEST_SKIP() << "no ssh here";
  NodeSpec node = parse_node_argument("root@gpu-1:2222").value();
  SshOptions options;
  options.ssh_config = "none";
  for (const std::string path : {"/tmp/plain/known_hosts", "/tmp/it's 100%/a \"b\" \\c"}) {
    options.known_hosts = path;
    const std::string printed =
        output_of(ssh::ssh_command(node, options, "-G") + " 2>&1", std::chrono::seconds(5));
    EXPECT_NE(printed.find("\nuserknownhostsfile " + path + "\n"), std::string::npos) << printed;
    EXPECT_NE(printed.find("\nport 2222\n"), std::string::npos) << printed;
  }
}

} // namespace
} // namespace clustertop
