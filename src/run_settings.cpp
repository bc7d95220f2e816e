#include "clustertop/run_settings.hpp"

namespace clustertop {
namespace {

void take(std::string &target, const std::string &from_file) {
  if (target.empty()) target = from_file;
}

} // namespace

Options merge_settings(const Options &cli, const Config &c) {
  Options o = cli;
  const Options defaults;
  // A value still at its default was not given on the command line: the file may set it.
  if (o.interval == defaults.interval && c.interval) o.interval = *c.interval;
  take(o.known_hosts, expand_home(c.ssh.known_hosts));
  if (o.host_key_checking == defaults.host_key_checking && !c.ssh.host_key_checking.empty())
    o.host_key_checking = c.ssh.host_key_checking;
  take(o.ssh_config, expand_home(c.ssh.config_file));
  if (o.connect_timeout == defaults.connect_timeout && c.ssh.connect_timeout)
    o.connect_timeout = *c.ssh.connect_timeout;
  take(o.csv_dir, expand_home(c.sinks.csv_dir));
  if (o.csv_every == defaults.csv_every && c.sinks.csv_every) o.csv_every = *c.sinks.csv_every;
  if (!o.csv_on_alert && c.sinks.csv_on_alert) o.csv_on_alert = *c.sinks.csv_on_alert;
  if (o.csv_format == defaults.csv_format && !c.sinks.csv_format.empty())
    o.csv_format = c.sinks.csv_format;
  take(o.listen, c.sinks.listen);
  take(o.on_alert, c.sinks.on_alert);
  if (o.hook_timeout == defaults.hook_timeout && c.sinks.hook_timeout)
    o.hook_timeout = *c.sinks.hook_timeout;
  take(o.record_dir, expand_home(c.sinks.record_dir));
  o.known_hosts = expand_home(o.known_hosts);
  o.ssh_config = expand_home(o.ssh_config);
  return o;
}

} // namespace clustertop
