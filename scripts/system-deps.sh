#!/usr/bin/env bash
# Installs the Debian packages the tests run as programs, when they are missing (npm's `pretest`, `.ci/run`):
#   scripts/system-deps.sh chromium=/usr/bin/chromium mosquitto=/usr/sbin/mosquitto
# Each argument is <package>=<file it installs>; a package whose file is there is left alone, so with nothing
# missing this exits at once, offline. Missing packages are installed with apt-get (one `apt-get update` first)
# when we are root or sudo works without a password; otherwise it stops at once with the command to run.
set -euo pipefail

missing=()
for spec in "$@"; do
  package=${spec%%=*}
  file=${spec#*=}
  if [[ -z $package || -z $file || $file == "$spec" ]]; then
    echo "system-deps: bad argument '$spec': expected <package>=<file it installs>" >&2
    exit 2
  fi
  [[ -x $file ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command_line="sudo apt-get update && sudo apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} and no apt-get here; install the Debian packages ${missing[*]} (on Debian: $command_line), then rerun." >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "system-deps: the tests need the Debian packages ${missing[*]}, and installing them needs root. Run:" >&2
  echo "  $command_line" >&2
  echo "then rerun the tests." >&2
  exit 1
fi

echo "system-deps: installing ${missing[*]} with apt-get (once; about a minute for chromium)"
# Wait for another apt or dpkg run to finish instead of failing on its lock.
apt=("${sudo[@]+"${sudo[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
"${apt[@]}" update -qq
# Recommended packages included: they bring the fonts (Liberation, DejaVu) the browser test renders with.
"${apt[@]}" install -y -qq "${missing[@]}" >/dev/null

for spec in "$@"; do
  file=${spec#*=}
  if [[ ! -x $file ]]; then
    echo "system-deps: ${spec%%=*} is installed but $file is still missing" >&2
    exit 1
  fi
done
echo "system-deps: installed ${missing[*]}"
