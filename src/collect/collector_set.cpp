// Loading every definition directory into one immutable CollectorSet.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "clustertop/collect/collectors.hpp"
#include "clustertop/collect/definition.hpp"
#include "loader_internal.hpp"

namespace clustertop {
namespace {

namespace fs = std::filesystem;

std::string builtin_dir() {
  const fs::path src = fs::path(CLUSTERTOP_SOURCE_DIR) / "collectors";
  std::error_code ec;
  if (fs::is_directory(src, ec)) return src.string();
  return (fs::path(CLUSTERTOP_DATA_DIR) / "collectors").string();
}

Status load_dir(const std::string &dir, bool required, CollectorSet &set,
                std::vector<std::string> &warnings) {
  std::error_code ec;
  if (!required && !fs::is_directory(dir, ec)) return ok_status();
  // The listing's own error says what is wrong (missing, not a directory, no permission):
  // an unreadable --collectors-dir was taken for an empty one and ignored without a word.
  const auto cannot_read = [&](const std::error_code &why) {
    return Error{"cannot read collector directory", why.message(), dir,
                 "pass an existing, readable directory with --collectors-dir (check its path and "
                 "permissions)"};
  };
  std::vector<fs::path> files;
  fs::directory_iterator it(dir, ec);
  if (ec) return cannot_read(ec);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return cannot_read(ec);
    if (it->path().extension() == ".json") files.push_back(it->path());
  }
  if (ec) return cannot_read(ec); // the last step failed
  std::sort(files.begin(), files.end());
  std::map<std::string, std::string> here; // name -> file, for this directory's definitions
  for (const auto &f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in)
      return Error{"cannot read collector definition", "open failed", f.string(),
                   "check the file's permissions"};
    std::stringstream ss;
    ss << in.rdbuf();
    auto def = load_definition(f.string(), ss.str(), warnings);
    if (!def) return def.error();
    // Two of one directory's files claiming one name: which one ran depended on how the
    // files sort. A definition in a later directory replacing one of an earlier (the
    // shipped ones) is the documented way to change it.
    if (const auto twin = here.find(def->name); twin != here.end())
      return Error{"two collector definitions named '" + def->name + "'",
                   twin->second + " and " + f.string(), dir,
                   "rename one (\"name\" in the file) or remove it"};
    here[def->name] = f.string();
    if (set.defs.count(def->name) != 0)
      warnings.push_back(f.string() + ": definition '" + def->name + "' replaces the one in " +
                         set.defs[def->name]->file);
    const std::string name = def->name; // the right side below moves *def first
    set.defs[name] = std::make_shared<const CollectorDef>(std::move(*def));
  }
  return ok_status();
}

} // namespace

Result<std::shared_ptr<const CollectorSet>>
CollectorSet::load(const std::vector<std::string> &extra_dirs, std::vector<std::string> &warnings) {
  auto set = std::make_shared<CollectorSet>();
  if (auto st = load_dir(builtin_dir(), false, *set, warnings); !st) return st.error();
  std::error_code ec;
  for (const auto &d : extra_dirs) {
    if (fs::equivalent(d, builtin_dir(), ec)) continue; // already loaded: not a replacement
    if (auto st = load_dir(d, true, *set, warnings); !st) return st.error();
  }
  if (set->defs.empty())
    return Error{"no collector definitions found", "the built-in directory is empty or missing",
                 builtin_dir(), "reinstall clustertop or pass --collectors-dir"};
  return std::shared_ptr<const CollectorSet>(std::move(set));
}

const CollectorDef *CollectorSet::find(const std::string &name) const {
  const auto it = defs.find(name);
  return it == defs.end() ? nullptr : it->second.get();
}

std::vector<const CollectorDef *> CollectorSet::all() const {
  std::vector<const CollectorDef *> out;
  for (const auto &[n, d] : defs) out.push_back(d.get());
  return out;
}

std::vector<const CollectorDef *> CollectorSet::for_stream(std::string_view collector) const {
  std::vector<const CollectorDef *> out;
  for (const auto &[n, d] : defs)
    if (collector == kLogCollector ? d->type == "log" : d->name == collector)
      out.push_back(d.get());
  return out;
}

std::vector<std::pair<std::string, Combine>> combined_metrics(const CollectorDef &def) {
  std::vector<std::pair<std::string, Combine>> out;
  const auto add = [&out](const MetricSpec &m) {
    if (m.combine != Combine::none) out.emplace_back(m.metric, m.combine);
  };
  const auto &p = def.parse;
  for (const auto *specs : {&p.csv.metrics, &p.json.metrics})
    std::for_each(specs->begin(), specs->end(), add);
  for (const auto *rules : {&p.rules, &p.block.rules})
    for (const auto &r : *rules) std::for_each(r.metrics.begin(), r.metrics.end(), add);
  for (const auto &[key, m] : p.block.fields) add(m);
  return out;
}

} // namespace clustertop
