#include "sshd_fixture.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "clustertop/core/shell_quote.hpp"

namespace clustertop::test {

int sh(const std::string &cmd, std::string *out) {
  FILE *p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    if (out != nullptr) out->append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

namespace {

// The key part of a .pub file: "ssh-ed25519 AAAA..." without the comment.
std::string key_part(const std::string &pub) {
  const auto sp1 = pub.find(' ');
  const auto sp2 = pub.find(' ', sp1 + 1);
  return pub.substr(0, sp2);
}

bool accepts(const std::string &netns, const std::string &address, int port) {
  const std::string probe = "exec 3<>/dev/tcp/" + address + "/" + std::to_string(port);
  const std::string cmd = (netns.empty() ? "" : "ip netns exec " + netns + " ") + "bash -c " +
                          shell_quote(probe) + " 2>/dev/null";
  return sh(cmd) == 0;
}

} // namespace

Sshd::Sshd(std::string address, std::string netns, std::vector<std::string> extra_config)
    : address_(std::move(address)), netns_(std::move(netns)) {
  char tmpl[] = "/tmp/ct-sshd-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  ::chmod(dir_.c_str(), 0700);
  ::mkdir("/run/sshd", 0755); // sshd's privilege-separation directory, needed as root
  port_ = free_port();
  const std::string q = shell_quote(dir_);
  if (sh("ssh-keygen -q -t ed25519 -N '' -f " + q +
         "/host_key && ssh-keygen -q -t ed25519 "
         "-N '' -f " +
         q +
         "/other_host_key && ssh-keygen -q -t ed25519 -N '' -C clustertop-test "
         "-f " +
         q + "/client_key && cp " + q + "/client_key.pub " + q + "/authorized_keys") != 0)
    throw std::runtime_error("ssh-keygen failed");
  std::ofstream cfg(dir_ + "/sshd_config");
  for (const auto &line : extra_config) cfg << line << "\n";
  cfg << "ListenAddress " << address_ << "\nHostKey " << dir_ << "/host_key\n"
      << "AuthorizedKeysFile " << dir_ << "/authorized_keys\nPidFile " << dir_ << "/sshd.pid\n"
      << "PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n"
      << "PermitRootLogin prohibit-password\nLogLevel ERROR\n"
      // Keeps Debian's bash from sourcing ~/.bashrc (slow, and output would corrupt streams).
      << "SetEnv SHLVL=1\n";
}

Sshd::~Sshd() {
  kill_all();
  sh("rm -rf " + shell_quote(dir_));
}

bool Sshd::start() {
  if (pid_ > 0) return true;
  const std::string cfg = dir_ + "/sshd_config";
  const std::string port = std::to_string(port_);
  const std::string log = this->log();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::freopen(log.c_str(), "a", stderr);
    if (netns_.empty()) {
      ::execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", cfg.c_str(), "-p", port.c_str(),
              static_cast<char *>(nullptr));
    } else {
      ::execl("/usr/sbin/ip", "ip", "netns", "exec", netns_.c_str(), "/usr/sbin/sshd", "-D", "-e",
              "-f", cfg.c_str(), "-p", port.c_str(), static_cast<char *>(nullptr));
    }
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (accepts(netns_, address_, port_)) return true;
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) { // sshd refused to start: see sshd.log
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

void Sshd::kill_all() {
  if (pid_ <= 0) return;
  // Session processes are children of the listener: find them by parent id first.
  const std::vector<pid_t> children = children_of(pid_);
  ::kill(pid_, SIGKILL);
  for (pid_t c : children) ::kill(c, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string Sshd::known_hosts_line() const {
  return "[" + address_ + "]:" + std::to_string(port_) + " " +
         key_part(read_file(dir_ + "/host_key.pub"));
}

std::string Sshd::other_key_line() const {
  return "[" + address_ + "]:" + std::to_string(port_) + " " +
         key_part(read_file(dir_ + "/other_host_key.pub"));
}

std::string Sshd::node_arg() const { return "root@" + address_ + ":" + std::to_string(port_); }

namespace {

pid_t parent_of(pid_t pid) {
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(st, line);
  const auto rp = line.rfind(')'); // the command name may hold spaces and parentheses
  if (rp == std::string::npos || rp + 2 > line.size()) return -1;
  std::istringstream rest(line.substr(rp + 2));
  char state = 0;
  int ppid = -1;
  rest >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  if (DIR *d = ::opendir("/proc")) {
    while (dirent *e = ::readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid > 0) out.push_back(pid);
    }
    ::closedir(d);
  }
  return out;
}

} // namespace

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  if (parent <= 0) return out;
  for (pid_t pid : all_pids())
    if (parent_of(pid) == parent) out.push_back(pid);
  return out;
}

bool descends_from(pid_t pid, pid_t ancestor) {
  for (int depth = 0; pid > 1 && depth < 64; ++depth, pid = parent_of(pid))
    if (pid == ancestor) return true;
  return false;
}

std::vector<pid_t> tcp_clients_of(int port) {
  // /proc/net/tcp: "sl local rem st ... uid timeout inode"; addresses as HEXIP:HEXPORT.
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  std::vector<std::string> inodes;
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line); // header
  while (std::getline(tcp, line)) {
    std::istringstream f(line);
    std::string sl, local, rem, st, queues, timer, retr, uid, timeout, inode;
    f >> sl >> local >> rem >> st >> queues >> timer >> retr >> uid >> timeout >> inode;
    if (rem == want && st == "01") inodes.push_back("socket:[" + inode + "]");
  }
  std::vector<pid_t> out;
  for (pid_t pid : all_pids()) {
    const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR *d = ::opendir(fd_dir.c_str());
    if (d == nullptr) continue;
    bool holds = false;
    while (dirent *e = ::readdir(d)) {
      char target[64] = {};
      const std::string fd = fd_dir + "/" + e->d_name;
      const auto n = ::readlink(fd.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      for (const auto &inode : inodes) holds = holds || inode == std::string(target, n);
    }
    ::closedir(d);
    if (holds) out.push_back(pid);
  }
  return out;
}

int count_processes(const std::string &needle) {
  return static_cast<int>(command_lines(needle).size());
}

std::vector<std::string> command_lines(const std::string &needle) {
  std::vector<std::string> out;
  const pid_t self = ::getpid();
  for (const pid_t pid : all_pids()) {
    if (pid == self) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(needle) == std::string::npos) continue;
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    out.push_back(cmdline);
  }
  return out;
}

bool wait_for(EventQueue &queue, std::vector<Event> &seen, const EventPred &pred,
              std::chrono::milliseconds timeout) {
  for (const auto &e : seen)
    if (pred(e)) return true;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    bool hit = false;
    for (auto &e : queue.drain()) {
      hit = hit || pred(e);
      seen.push_back(std::move(e));
    }
    if (hit) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool is_status(const Event &e, const std::string &node, const std::string &stream,
               NodeState state) {
  const auto *s = std::get_if<NodeStatus>(&e);
  return s != nullptr && s->node == node && s->stream == stream && s->state == state;
}

bool has_line(const Event &e, const std::string &node, const std::string &line) {
  const auto *b = std::get_if<LineBatch>(&e);
  if (b == nullptr || b->node != node) return false;
  for (const auto &l : b->lines)
    if (l == line) return true;
  return false;
}

std::string describe(const std::vector<Event> &seen) {
  std::string out;
  for (const auto &e : seen) {
    if (const auto *s = std::get_if<NodeStatus>(&e))
      out += "status " + s->node + " [" + s->stream + "] " + to_string(s->state) + ": " +
             s->detail + "\n";
    else if (const auto *b = std::get_if<LineBatch>(&e))
      out += "lines " + b->node + " [" + b->stream + "] x" + std::to_string(b->lines.size()) +
             (b->lines.empty() ? "" : " first=" + b->lines.front()) + "\n";
  }
  return out.size() > 6000 ? out.substr(out.size() - 6000) : out;
}

} // namespace clustertop::test
