#!/usr/bin/env bash
# Debian packages the diagrams and the browser tests use: Graphviz (SVG/PNG diagrams, the HTML report's drawings)
# and Chromium (headless page tests). Installs the missing ones when it can (root with apt-get); otherwise says what
# to install and carries on: diagrams then fall back to Mermaid source, and page tests are skipped outside CI.
set -uo pipefail
declare -A program=([graphviz]=dot [chromium]=chromium)
missing=()
for package in "$@"; do
	command -v "${program[$package]:-$package}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
		exit 0
	fi
	echo "apt-get could not install ${missing[*]}; continuing without them"
else
	echo "not installed: ${missing[*]} (Debian/Ubuntu: sudo apt-get install ${missing[*]}; macOS: brew install ${missing[*]})"
fi
exit 0
