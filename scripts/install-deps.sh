#!/usr/bin/env bash
# Installs every Debian package clustertop needs to build, test and benchmark.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libncurses-dev libssh-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev
  libfmt-dev libpcre2-dev
  libgtest-dev googletest libbenchmark-dev
  clang clang-format clang-tidy
  openssh-server openssh-client tmux procps iproute2 coreutils python3 prometheus bc curl
  faketime
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The prometheus package starts a service where systemd runs; tests start their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  "${sudo[@]}" systemctl disable --now prometheus || true
fi
