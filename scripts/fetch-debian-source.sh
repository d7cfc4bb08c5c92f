#!/usr/bin/env bash
# Fetches the upstream tarball of a Debian source package with apt's source download and unpacks
# it as DEST/NAME-VERSION. Nothing of it is kept in the repository.
#
#   scripts/fetch-debian-source.sh PACKAGE VERSION DEST MARKER
#       # prints DEST/PACKAGE-VERSION (the tree) when done; MARKER is a file the tree must hold,
#       # relative to it: present already, nothing is fetched
#   DEBIAN_SUITE=trixie scripts/fetch-debian-source.sh ...
#       # from another release of the same archive than the one installed (default: this one's)
#
# The system's apt configuration is left untouched: a private sources list names the archive apt
# already uses, with a deb-src entry, in a temporary folder. Needs network access to Debian's
# archive (not root: apt-get source --download-only works as any user).
set -euo pipefail

[ $# -eq 4 ] || { echo "usage: $0 PACKAGE VERSION DEST MARKER" >&2; exit 2; }
package="$1" version="$2" dest="$3" marker="$4"
me="$(basename "$0")"
tree="$dest/$package-$version"

if [ -f "$tree/$marker" ]; then
    echo "$tree"
    exit 0
fi

command -v apt-get >/dev/null || { echo "$me: needs apt-get (Debian)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial"

# The archive apt already uses (deb822 .sources first, then a classic sources.list line).
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$uri" ] || uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$uri" ] || { echo "$me: found no Debian archive in /etc/apt" >&2; exit 2; }
suite="${DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}"

printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uri" "$suite" >"$work/src.sources"
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work" -o "Dir::State::Lists=$work/lists"
      -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")

echo "$me: apt-get source --download-only $package (from $uri $suite)" >&2
apt-get "${opts[@]}" -qq update >&2
(cd "$work" && apt-get "${opts[@]}" -qq source --download-only "$package" >&2)

orig=$(ls "$work"/"$package"_"$version"*.orig.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || { echo "$me: Debian's archive has no $package $version source" >&2; ls "$work" >&2; exit 1; }
mkdir -p "$work/unpacked" "$dest"
tar -xf "$orig" -C "$work/unpacked"
rm -rf "$tree"
mv "$(find "$work/unpacked" -mindepth 1 -maxdepth 1 -type d | head -1)" "$tree"
[ -f "$tree/$marker" ] || { echo "$me: unexpected tarball layout (no $marker)" >&2; exit 1; }
echo "$tree"
