#!/usr/bin/env bash
# Install Debian packages the project needs, only when some are missing.
#
#   scripts/system-packages.sh PKG...      e.g. scripts/system-packages.sh fonts-noto-cjk chromium
#
# All installed -> exits 0 at once (one dpkg-query per package; apt is not run).
# Otherwise, as root (directly, or re-run through sudo when not root; without sudo it prints the
# command to run and exits 1): `apt-get update`, at most once per run and skipped when this
# script already ran it in the last hour (e.g. an earlier call in the same `make`), then
# `apt-get install -y --no-install-recommends` of the missing packages, non-interactively.
#
# Give real package names, not virtual ones: dpkg-query never reports a virtual name as
# installed, so the check would fail after every install.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PKG..." >&2
    exit 2
fi

missing_packages() {
    # ${db:Status-Status} is "installed" only for a fully installed package (not for
    # config-files or half-installed); an unknown package makes dpkg-query fail.
    local pkg
    for pkg in "$@"; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] \
            || printf '%s\n' "$pkg"
    done
}

mapfile -t missing < <(missing_packages "$@")
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        echo "system-packages: missing ${missing[*]}; installing through sudo" >&2
        exec sudo "$(readlink -f "$0")" "${missing[@]}"
    fi
    echo "$0: missing Debian packages: ${missing[*]}" >&2
    echo "Install them as root with:" >&2
    echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep changed config files without asking; wait for another apt/dpkg rather than fail at once.
apt_opts=(-q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
          -o DPkg::Lock::Timeout=600)
stamp=/var/cache/apt/system-packages.update-stamp

# One of our calls at a time (e.g. under make -j); then look again, since the call that held the
# lock may have installed what we need.
exec 9>/var/lock/system-packages.lock
flock -w 900 9
mapfile -t missing < <(missing_packages "${missing[@]}")
[ "${#missing[@]}" -eq 0 ] && exit 0

updated=no
apt_update() {
    echo "system-packages: apt-get update" >&2
    # A configured source that cannot be reached makes update exit non-zero even though the
    # Debian lists were fetched: carry on and let the install tell.
    if apt-get "${apt_opts[@]}" update >&2; then
        touch "$stamp"
    else
        echo "system-packages: apt-get update reported errors; trying the install anyway" >&2
    fi
    updated=yes
}
apt_install() {
    echo "system-packages: apt-get install ${missing[*]}" >&2
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2
}

# Fresh machines have package lists that may be months old (or none): update first, unless
# this script just did it.
if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
    apt_update
fi
if ! apt_install; then
    [ "$updated" = yes ] && exit 1
    apt_update   # the lists from the last hour were not good enough after all
    apt_install
fi

mapfile -t still < <(missing_packages "${missing[@]}")
if [ "${#still[@]}" -gt 0 ]; then
    echo "$0: still not installed after apt-get install: ${still[*]}" >&2
    exit 1
fi
