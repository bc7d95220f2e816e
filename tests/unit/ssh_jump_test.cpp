// ProxyJump: the command libssh 0.10 builds from the config file is recognised and rebuilt
// (config file passed on, batch mode, host key policy, timeouts, hops in OpenSSH's order).
// No network: libssh only parses the file here.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "clustertop/transport/ssh_jump.hpp"
#include "clustertop/transport/ssh_session.hpp"

namespace clustertop {
namespace {

using ssh::jump_command;
using ssh::jump_hosts;
using ssh::proxy_jump_hops;
using Hops = std::vector<std::string>;

TEST(SshJump, RecognisesOnlyLibsshsProxyJumpCommand) {
  EXPECT_EQ(proxy_jump_hops("ssh -W '[%h]:%p' bastion"), Hops{"bastion"});
  EXPECT_EQ(proxy_jump_hops("ssh -l al -p 2222 -W '[%h]:%p' bastion"), Hops{"al@bastion:2222"});
  EXPECT_EQ(proxy_jump_hops("ssh -p 22 -W '[%h]:%p' ::1"), Hops{"[::1]:22"});
  // A user's own ProxyCommand is left alone.
  EXPECT_TRUE(proxy_jump_hops("").empty());
  EXPECT_TRUE(proxy_jump_hops("nc %h %p").empty());
  EXPECT_TRUE(proxy_jump_hops("ssh -W %h:%p bastion").empty());
  EXPECT_TRUE(proxy_jump_hops("ssh -W '[%h]:%p' bastion; touch /tmp/x").empty());
  EXPECT_TRUE(proxy_jump_hops("ssh -q -W '[%h]:%p' bastion").empty());
  EXPECT_TRUE(proxy_jump_hops("ssh -W '[%h]:%p'").empty());
}

TEST(SshJump, MultiHopListKeepsOpenSshOrder) {
  // libssh puts the first entry last (as the destination of `ssh -J rest`); OpenSSH visits
  // "a,b" as a first, then b. (The integration test runs a two-hop chain of real sshds.)
  EXPECT_EQ(proxy_jump_hops("ssh -l u1 -p 22 -J u2@b:23,c -W '[%h]:%p' a"),
            (Hops{"u1@a:22", "u2@b:23", "c"}));
  SshOptions o;
  auto cmd = jump_command({"u1@a:22", "u2@b:23", "c"}, o);
  ASSERT_TRUE(cmd.ok());
  // One ssh a hop, each with our options (ssh -J would pass them to none of the hops it
  // jumps through), nested first hop innermost; the outer one runs `-W` on the last hop.
  const auto count = [&](std::string_view what) {
    std::size_t n = 0;
    for (auto at = cmd->find(what); at != std::string::npos; at = cmd->find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10"), 3U)
      << *cmd;
  EXPECT_EQ(count("ProxyCommand="), 2U) << *cmd;
  EXPECT_TRUE(cmd->starts_with("exec ssh ")) << *cmd;
  EXPECT_TRUE(cmd->ends_with(" -W '[%h]:%p' 'c'")) << *cmd;
  EXPECT_LT(cmd->find("u1"), cmd->find("u2")) << *cmd;
  EXPECT_NE(cmd->find("-W '\\''[%%h]:%%p'\\'' '\\''b'\\''"), std::string::npos) << *cmd;
  EXPECT_EQ(cmd->find(" -J "), std::string::npos) << *cmd;
  // Named as the ProxyJump wrote them, users and ports too.
  EXPECT_EQ(jump_hosts(*cmd), (Hops{"u1@a:22", "u2@b:23", "c"}));
}

// Error messages name every hop: read back from the nested command, quotes and % included.
TEST(SshJump, HopsAreReadBackFromTheNestedCommand) {
  SshOptions o;
  o.ssh_config = "/tmp/a b/it's 100%";
  const Hops hops{"x'1%%y", "al@[fe80::1%eth0]:22", "c d", "last"};
  auto cmd = jump_command(hops, o);
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(jump_hosts(*cmd), (Hops{"x'1%%y", "al@[fe80::1%eth0]:22", "c d", "last"})) << *cmd;
  EXPECT_TRUE(jump_hosts("exec ssh -W '[%h]:%p'").empty());
  EXPECT_TRUE(jump_hosts("exec ssh -o 'ProxyCommand=nc %h %p' -W '[%h]:%p' b").empty());
  EXPECT_TRUE(jump_hosts("ssh -W '[%h]:%p' b").empty());
}

TEST(SshJump, CommandIsBatchStrictAndBounded) {
  SshOptions o;
  o.connect_timeout = std::chrono::seconds(4);
  o.keepalive_interval = std::chrono::seconds(2);
  o.tcp_user_timeout = std::chrono::seconds(6);
  auto cmd = jump_command({"al@bastion:2222"}, o);
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(*cmd, "exec ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=4 "
                  "-o ServerAliveInterval=2 -o ServerAliveCountMax=3 -l 'al' -p '2222' "
                  "-W '[%h]:%p' 'bastion'");
  EXPECT_EQ(jump_hosts(*cmd), Hops{"al@bastion:2222"});
  o.host_key_checking = HostKeyPolicy::accept_new;
  EXPECT_NE(jump_command({"b"}, o)->find("StrictHostKeyChecking=accept-new"), std::string::npos);
  EXPECT_EQ(jump_command({"b"}, o)->find("KnownHostsFile"), std::string::npos);
  // `off`: connect and record nothing; `no` alone would write the jump host's key.
  o.host_key_checking = HostKeyPolicy::off;
  const auto off = *jump_command({"b"}, o);
  EXPECT_NE(off.find("StrictHostKeyChecking=no"), std::string::npos);
  EXPECT_NE(off.find("-o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null"),
            std::string::npos)
      << off;
}

TEST(SshJump, ConfigFileIsPassedOnQuotedAndPercentSafe) {
  SshOptions o;
  o.ssh_config = "/tmp/my cfg/it's 100%";
  auto cmd = jump_command({"fe80::1%eth0"}, o);
  ASSERT_TRUE(cmd.ok());
  // libssh turns %% into % before /bin/sh sees the line.
  EXPECT_NE(cmd->find(" -F '/tmp/my cfg/it'\\''s 100%%' "), std::string::npos) << *cmd;
  EXPECT_NE(cmd->find("-W '[%h]:%p' 'fe80::1%%eth0'"), std::string::npos) << *cmd;
  EXPECT_EQ(jump_hosts(*cmd), Hops{"[fe80::1%eth0]"});
  o.ssh_config = "none";
  EXPECT_EQ(jump_command({"b"}, o)->find(" -F "), std::string::npos);
  o.ssh_config.clear(); // ~/.ssh/config: ssh reads it by default
  EXPECT_EQ(jump_command({"b"}, o)->find(" -F "), std::string::npos);
}

TEST(SshJump, HopThatReadsAsAnOptionIsRefused) {
  SshOptions o;
  EXPECT_FALSE(jump_command({"-oProxyCommand=touch /tmp/x"}, o).ok());
  EXPECT_FALSE(jump_command({"u@-oProxyCommand=x"}, o).ok());
  EXPECT_FALSE(jump_command({"ok", "[-x]:22"}, o).ok());
  EXPECT_FALSE(jump_command({"ssh://-x@h"}, o).ok());
  EXPECT_FALSE(jump_command({}, o).ok());
  auto uri = jump_command({"ssh://al@bastion:2222"}, o);
  ASSERT_TRUE(uri.ok());
  EXPECT_NE(uri->find(" -l 'al' -p '2222' -W '[%h]:%p' 'bastion'"), std::string::npos) << *uri;
  EXPECT_TRUE(jump_hosts("nc %h %p").empty());
}

// Through libssh's own config parser: the session a ProxyJump alias gets runs our command.
TEST(SshJump, SessionFromConfigRunsTheRebuiltCommand) {
  char tmpl[] = "/tmp/ct-sshjump-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/config";
  std::ofstream(path) << "Host node\n  HostName 10.1.2.3\n  ProxyJump jumphost\n"
                      << "Host own\n  HostName 10.1.2.4\n  ProxyCommand nc %h %p\n";
  SshOptions o;
  o.ssh_config = path;
  auto proxy_of = [&](const std::string &name) {
    auto s = ssh::new_session(parse_node_argument(name).value(), o);
    EXPECT_TRUE(s.ok());
    char *value = nullptr;
    std::string out;
    if (s.ok() && ssh_options_get(s->get(), SSH_OPTIONS_PROXYCOMMAND, &value) == 0) {
      out = value;
      ssh_string_free_char(value);
    }
    return out;
  };
  const std::string node = proxy_of("node");
  EXPECT_TRUE(node.starts_with("exec ssh -o BatchMode=yes")) << node;
  EXPECT_NE(node.find(" -F '" + path + "' -W '[%h]:%p' 'jumphost'"), std::string::npos) << node;
  EXPECT_EQ(proxy_of("own"), "nc %h %p");
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

} // namespace
} // namespace clustertop
