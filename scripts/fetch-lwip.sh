#!/usr/bin/env bash
# Fetches lwIP 2.1.3 from Debian's source package `lwip` with apt's source download and unpacks
# it under DEST (default embedded/build-lwip/src). Nothing of lwIP is kept in the repository.
#
#   scripts/fetch-lwip.sh [DEST]      # prints DEST/lwip-2.1.3 (the tree) when done
#
# The system's apt configuration is left untouched: a private sources list names the archive apt
# already uses, with a deb-src entry, in a temporary folder. Needs network access to Debian's
# archive (not root: apt-get source --download-only works as any user).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$here/embedded/build-lwip/src}"
version="2.1.3"
tree="$dest/lwip-$version"

if [ -f "$tree/src/core/tcp.c" ]; then
    echo "$tree"
    exit 0
fi

command -v apt-get >/dev/null || { echo "fetch-lwip.sh: needs apt-get (Debian)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"

# The archive apt already uses (deb822 .sources first, then a classic sources.list line).
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "fetch-lwip.sh: found no Debian archive in /etc/apt" >&2; exit 2; }
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")

printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$suite" >"$work/src.sources"
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work" -o "Dir::State::Lists=$work/lists"
      -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")

echo "fetch-lwip.sh: apt-get source --download-only lwip (from $uri $suite)" >&2
apt-get "${opts[@]}" -qq update >&2
(cd "$work" && apt-get "${opts[@]}" -qq source --download-only lwip >&2)

orig=$(ls "$work"/lwip_"$version"*.orig.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || { echo "fetch-lwip.sh: Debian's archive has no lwip $version source" >&2; ls "$work" >&2; exit 1; }
mkdir -p "$dest"
tar -xf "$orig" -C "$work"
rm -rf "$tree"
mv "$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'lwip*' | head -1)" "$tree"
[ -f "$tree/src/core/tcp.c" ] || { echo "fetch-lwip.sh: unexpected tarball layout" >&2; exit 1; }
echo "$tree"
