#!/usr/bin/env bash
# Install the Debian packages `make run` / `make test` need, idempotently and quickly.
#
#   scripts/setup-system.sh run    what `make run` needs
#   scripts/setup-system.sh test   what `make test` needs (everything `run` needs, and more)
#
# Each package below is listed with a cheap check that says it is already there (a command on PATH, or
# a file / glob), so a machine that has everything costs a few stat calls and no apt. Missing packages
# are installed with one `apt-get install` when running as root (or with `sudo -n` if that works
# without a password); otherwise the script names them and the command to run, and fails.
#
# TO ADD A PACKAGE: one `want` line in the table below: the profile (run|test), the Debian package,
# then the check (`has COMMAND`, `exists PATH_OR_GLOB`, or any shell command that succeeds when the
# package is present), and a comment saying who needs it.
set -euo pipefail

profile="${1:-test}"
case "$profile" in
  run | test) ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=()

has() { command -v "$1" >/dev/null 2>&1; }
exists() { compgen -G "$1" >/dev/null; }
python_can_venv() { has python3.11 || { has python3 && python3 -c 'import ensurepip, venv' 2>/dev/null; }; }

# want PROFILE PACKAGE CHECK...: add PACKAGE to the missing list when CHECK fails and PROFILE applies.
want() {
  local needed_by="$1" package="$2"
  shift 2
  [[ "$needed_by" == run || "$profile" == test ]] || return 0
  "$@" || missing+=("$package")
}

# ---- the package table --------------------------------------------------------------------------
want run  python3-venv       python_can_venv                                  # the .venv (Makefile)
want run  nodejs             has node                                          # anvil, Hardhat (setup-node.sh)
want run  npm                has npm                                           # node_modules (setup-node.sh)
want run  fonts-dejavu-core  exists /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf  # PDF certificates
want run  fonts-noto-core    exists /usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf  # certificates: Latin..Thai
want run  fonts-noto-cjk     exists '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'  # certificates: CJK names
want run  libpango-1.0-0     exists '/usr/lib/*/libpango-1.0.so.0'           # WeasyPrint (certificates): Pango + HarfBuzz
want run  libpangoft2-1.0-0  exists '/usr/lib/*/libpangoft2-1.0.so.0'        # WeasyPrint: fontconfig fonts
want run  libharfbuzz-subset0 exists '/usr/lib/*/libharfbuzz-subset.so.0'    # WeasyPrint: font subsetting
want test chromium           has chromium                                      # browser tests (Playwright)
want test postgresql         exists '/usr/lib/postgresql/*/bin/initdb'         # throw-away test cluster
# --------------------------------------------------------------------------------------------------

[[ ${#missing[@]} -eq 0 ]] && exit 0

install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
if ! has apt-get; then
  echo "MedCred needs these packages, and this is not a Debian system (no apt-get): ${missing[*]}." >&2
  echo "Install their equivalents, then run make again." >&2
  exit 1
fi
if [[ "$(id -u)" -eq 0 ]]; then
  as_root=()
elif has sudo && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "MedCred needs these Debian packages, and installing them needs root: ${missing[*]}." >&2
  echo "Run as root:  apt-get update && ${install[*]}" >&2
  echo "then run make again." >&2
  exit 1
fi

echo "Installing Debian packages for 'make $profile': ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "${install[@]}"
