# shellcheck shell=bash
# Shared by the scripts in this folder: find (or build) the Python the project
# runs on, keep one virtual environment per test leg, and run commands in it.
#
# Home Assistant needs Python >= 3.14.2. Where the machine has one (a
# developer's laptop, a container), it is used directly. Otherwise a minimal
# Debian sid root with python3.14 is built once with debootstrap, cached in
# .cache/ (git ignores it), and every command runs inside it through chroot,
# with this repository bind-mounted at the same path.

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# SMETS_CACHE: keep the cache elsewhere (several clones or worktrees can share one).
CACHE="${SMETS_CACHE:-$REPO/.cache}"
SIDROOT="$CACHE/sid-root"
MIN_PY="3.14.2"

log() { printf '\033[1m[smets]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[smets] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Legs from scripts/legs.conf: "name phcc_version ha_version".
leg_names() { awk '!/^#/ && NF >= 3 {print $1}' "$REPO/scripts/legs.conf"; }
leg_field() { # leg field_number
	awk -v leg="$1" -v f="$2" '!/^#/ && $1 == leg {print $f}' "$REPO/scripts/legs.conf"
}

LEG="${SMETS_LEG:-newest}"
set_leg() {
	LEG="$1"
	[ -n "$(leg_field "$LEG" 2)" ] || die "unknown leg '$LEG' (see scripts/legs.conf: $(leg_names | xargs))"
}

# --- Python ------------------------------------------------------------------

py_ok() { # python_executable -> status 0 when it is >= MIN_PY
	"$1" -c "import sys; sys.exit(sys.version_info < (${MIN_PY//./, }))" 2>/dev/null
}

# Sets MODE=native and NATIVE_PY, or MODE=root.
detect_python() {
	if [ -n "${SMETS_PYTHON:-}" ]; then
		py_ok "$SMETS_PYTHON" || die "SMETS_PYTHON=$SMETS_PYTHON is not a Python >= $MIN_PY"
		MODE=native NATIVE_PY="$SMETS_PYTHON"
		return
	fi
	if [ "${SMETS_FORCE_ROOT:-0}" != 1 ]; then
		local cand
		for cand in python3.14 python3.15 python3 python; do
			if command -v "$cand" >/dev/null 2>&1 && py_ok "$(command -v "$cand")"; then
				MODE=native NATIVE_PY="$(command -v "$cand")"
				return
			fi
		done
	fi
	MODE=root
}

# The Debian mirror this machine's apt already uses (never hard-coded here).
host_debian_mirror() {
	local uri
	uri=$(
		{
			grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
				sed -E 's/^\s*deb\s+(\[[^]]*\]\s+)?//' | awk '{print $1}'
			awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' /etc/apt/sources.list.d/*.sources 2>/dev/null
		} | grep -E '/debian/?$' | grep -v -- '-security' | head -n 1
	)
	[ -n "$uri" ] || die "no Debian mirror found in /etc/apt (set SMETS_DEBIAN_MIRROR)"
	printf '%s\n' "${uri%/}"
}

host_ca_bundle() {
	local f
	for f in "${SSL_CERT_FILE:-}" "${PIP_CERT:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
		[ -n "$f" ] && [ -s "$f" ] && { printf '%s\n' "$f"; return; }
	done
}

build_sid_root() {
	[ -f "$SIDROOT/.ready" ] && return
	[ "$(id -u)" = 0 ] || die "no Python >= $MIN_PY here and building the Debian root needs root; install Python $MIN_PY+ or set SMETS_PYTHON"
	command -v debootstrap >/dev/null 2>&1 || {
		log "installing debootstrap"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
	}
	local mirror="${SMETS_DEBIAN_MIRROR:-$(host_debian_mirror)}"
	log "no Python >= $MIN_PY on this machine: building a Debian sid root with python3.14 (once, in .cache/)"
	rm -rf "$SIDROOT"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase --include=python3.14,python3.14-venv,ca-certificates \
		sid "$SIDROOT" "$mirror" >"$CACHE/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $CACHE/debootstrap.log"
	local ca
	ca=$(host_ca_bundle)
	if [ -n "$ca" ]; then
		mkdir -p "$SIDROOT/usr/local/share/ca-certificates"
		cp "$ca" "$SIDROOT/usr/local/share/ca-certificates/host-bundle.crt"
		chroot "$SIDROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin update-ca-certificates >/dev/null 2>&1 || true
	fi
	# Only the certificate line of the host's pip configuration is carried over.
	printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$SIDROOT/etc/pip.conf"
	chroot "$SIDROOT" /usr/bin/python3.14 -c 'import sys; assert sys.version_info >= (3, 14, 2), sys.version' ||
		die "the sid root's python3.14 is older than $MIN_PY"
	touch "$SIDROOT/.ready"
}

# Extra Debian packages inside the root: C and C++ compilers for the few dependencies
# that ship no wheel for this Python, and tshark to check packet captures.
ROOT_PACKAGES="gcc g++ libc6-dev python3.14-dev tshark"
ensure_root_packages() {
	install_in_root packages root-packages "$ROOT_PACKAGES"
}

# install_in_root NAME LOG PACKAGES: apt-get install PACKAGES inside the root,
# once: $SIDROOT/.NAME remembers the list, $CACHE/LOG.log has apt's output.
install_in_root() {
	local marker="$SIDROOT/.$1" logfile="$CACHE/$2.log" packages="$3"
	[ -f "$marker" ] && [ "$(cat "$marker")" = "$packages" ] && return
	log "installing into the Debian root: $packages"
	[ -f /etc/resolv.conf ] && cp -L /etc/resolv.conf "$SIDROOT/etc/resolv.conf" 2>/dev/null || true
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		mount -t proc proc "$1/proc"
		mount --rbind /dev "$1/dev"
		chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
			sh -c "apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq --no-install-recommends $2"
	' _ "$SIDROOT" "$packages" >"$logfile" 2>&1 ||
		die "could not install $packages in the Debian root, see $logfile"
	echo "$packages" >"$marker"
}

ensure_python() {
	detect_python
	if [ "$MODE" = root ]; then
		build_sid_root
		ensure_root_packages
		VENV="$CACHE/venv-root-$LEG"
	else
		VENV="$CACHE/venv-$LEG"
	fi
}

# --- running inside the environment -------------------------------------------

# Variables passed into the Debian root (everything else is dropped).
PASS_VARS=(CI TERM COLUMNS LINES NO_COLOR FORCE_COLOR PYTEST_ADDOPTS SMETS_LEG)

# in_env CMD...: run CMD from the current directory with the leg's venv first on PATH.
in_env() {
	local venv_path="$VENV/bin"
	if [ "$MODE" = native ]; then
		PATH="$venv_path:$PATH" VIRTUAL_ENV="$VENV" SMETS_LEG="$LEG" "$@"
		return
	fi
	local -a envs=(HOME=/root LANG=C.UTF-8 LC_ALL=C.UTF-8 "PATH=$venv_path:/usr/local/bin:/usr/bin:/bin"
		"VIRTUAL_ENV=$VENV" "SMETS_LEG=$LEG" SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
		UV_CACHE_DIR="$CACHE/uv-cache" "UV_PYTHON=$VENV/bin/python")
	local v
	for v in "${PASS_VARS[@]}"; do
		[ -n "${!v:-}" ] && envs+=("$v=${!v}")
	done
	[ -f /etc/resolv.conf ] && cp -L /etc/resolv.conf "$SIDROOT/etc/resolv.conf" 2>/dev/null || true
	# A private mount namespace: the mounts vanish with the command. The root's
	# own /tmp (a tmpfs) is mounted first and the repository (and a cache kept
	# outside it) bound after, so a clone under /tmp is not hidden by it.
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		root="$1" repo="$2" cache="$3"; shift 3
		mount -t tmpfs tmpfs "$root/tmp"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		mount --rbind /sys "$root/sys" 2>/dev/null || true
		mkdir -p "$root$repo"
		mount --bind "$repo" "$root$repo"
		case "$cache/" in
		"$repo"/*) ;;
		*) mkdir -p "$root$cache" && mount --bind "$cache" "$root$cache" ;;
		esac
		exec chroot "$root" /usr/bin/env -i "$@"
	' _ "$SIDROOT" "$REPO" "$CACHE" "${envs[@]}" /bin/sh -c 'cd "$0" && exec "$@"' "$PWD" "$@"
}

# --- the leg's virtual environment -------------------------------------------

# Bump when the way a venv is built changes (so every leg is rebuilt).
SETUP_VERSION=1
setup_stamp() {
	{
		echo "$SETUP_VERSION"
		grep -E "^$LEG\s" "$REPO/scripts/legs.conf"
		cat "$REPO/requirements_test.txt"
		grep -o '"requirements": *\[[^]]*\]' "$REPO/custom_components/smets/manifest.json"
		echo "$MODE"
	} | sha256sum | cut -d' ' -f1
}

ensure_venv() {
	local stamp
	stamp=$(setup_stamp)
	if [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$stamp" ]; then
		return
	fi
	local phcc ha
	phcc=$(leg_field "$LEG" 2)
	ha=$(leg_field "$LEG" 3)
	log "setting up leg '$LEG': Home Assistant $ha (pytest-homeassistant-custom-component $phcc)"
	rm -rf "$VENV"
	mkdir -p "$CACHE"
	local py=python3.14
	[ "$MODE" = native ] && py="$NATIVE_PY"
	in_env "$py" -m venv "$VENV"
	in_env python -m pip install -q --disable-pip-version-check uv
	# Home Assistant and its test plugin, with Home Assistant's own constraints.
	in_env uv pip install -q "pytest-homeassistant-custom-component==$phcc" "homeassistant==$ha"
	local constraints
	constraints=$(in_env python -c 'import homeassistant, pathlib; print(pathlib.Path(homeassistant.__file__).parent / "package_constraints.txt")')
	# zigpy and bellows: exactly what this Home Assistant's ZHA pins.
	local zha_reqs pins
	zha_reqs=$(in_env python - <<'PY'
import json, pathlib, homeassistant
manifest = pathlib.Path(homeassistant.__file__).parent / "components/zha/manifest.json"
print("\n".join(r for r in json.loads(manifest.read_text())["requirements"] if r.startswith("zha")))
PY
)
	if [ "$(leg_field "$LEG" 4)" = latest ]; then
		pins=$(in_env uv pip compile -q --no-header --no-annotate - <<<$'zigpy\nbellows' | grep -E '^(zigpy|bellows)==')
	else
		pins=$(printf '%s\n' "$zha_reqs" | in_env uv pip compile -q --no-header --no-annotate -c "$constraints" - |
			grep -E '^(zigpy|bellows)==')
	fi
	[ -n "$pins" ] || die "could not read the zigpy/bellows pins of ZHA ($zha_reqs)"
	log "leg '$LEG': $(echo "$pins" | xargs) (from: $(leg_field "$LEG" 4))"
	printf '%s\n' "$pins" >"$VENV/zigpy-pins.txt"
	local -a pin_constraints=(-c "$constraints")
	# The newest zigpy/bellows may need newer libraries than Home Assistant pins;
	# that leg tests the HAN library alone, so Home Assistant's pins give way.
	[ "$(leg_field "$LEG" 4)" = latest ] && pin_constraints=()
	# shellcheck disable=SC2086
	in_env uv pip install -q "${pin_constraints[@]}" $pins -r "$REPO/requirements_test.txt"
	# The integration's own requirements must be satisfied by those pins.
	in_env python - "$REPO/custom_components/smets/manifest.json" <<'PY'
import json, sys
from importlib.metadata import version
from packaging.requirements import Requirement
for raw in json.load(open(sys.argv[1]))["requirements"]:
    req = Requirement(raw)
    have = version(req.name)
    if not req.specifier.contains(have, prereleases=True):
        sys.exit(f"manifest requirement {raw} is not met by the installed {req.name} {have}")
PY
	echo "$stamp" >"$VENV/.stamp"
}

setup_leg() { # leg
	set_leg "$1"
	mkdir -p "$CACHE"
	# One set-up at a time: parallel scripts/run calls wait for each other here.
	exec {lockfd}>"$CACHE/setup.lock"
	flock "$lockfd"
	ensure_python
	ensure_venv
	flock -u "$lockfd"
}

# --- the browser test (tests/browser) -----------------------------------------
# Playwright for Python drives Debian's Chromium: nothing is downloaded from
# elsewhere. Only the browser step installs these, so the other steps never
# wait for a browser. The Home Assistant it tests comes from the newest leg.

BROWSER_PACKAGES="chromium fonts-dejavu-core"
ensure_browser_packages() {
	install_in_root browser-packages browser-packages "$BROWSER_PACKAGES"
}

# Sets CHROMIUM: Debian's inside the root, else the machine's own (or SMETS_CHROMIUM).
find_chromium() {
	if [ "$MODE" = root ]; then
		ensure_browser_packages
		CHROMIUM=/usr/bin/chromium
		return
	fi
	local cand
	for cand in "${SMETS_CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
		[ -n "$cand" ] || continue
		if command -v "$cand" >/dev/null 2>&1; then
			CHROMIUM="$(command -v "$cand")"
			return
		fi
	done
	die "the browser test needs Chromium: install your system's chromium package (or set SMETS_CHROMIUM)"
}

browser_stamp() {
	{
		echo "$SETUP_VERSION"
		cat "$REPO/requirements_browser.txt"
		echo "$MODE"
	} | sha256sum | cut -d' ' -f1
}

# setup_browser: set up the newest leg (its hass runs the demo) and the browser
# test's own venv. Sets HASS_VENV (the leg's), VENV (the browser's) and CHROMIUM.
setup_browser() {
	setup_leg newest
	HASS_VENV="$VENV"
	exec {lockfd}>"$CACHE/setup.lock"
	flock "$lockfd"
	find_chromium
	if [ "$MODE" = root ]; then
		VENV="$CACHE/venv-root-browser"
	else
		VENV="$CACHE/venv-browser"
	fi
	local stamp
	stamp=$(browser_stamp)
	if ! [ -f "$VENV/.stamp" ] || [ "$(cat "$VENV/.stamp")" != "$stamp" ]; then
		log "setting up the browser test's environment (requirements_browser.txt)"
		rm -rf "$VENV"
		local py=python3.14
		[ "$MODE" = native ] && py="$NATIVE_PY"
		in_env "$py" -m venv --without-pip "$VENV"
		# The leg's uv installs into this venv (UV_PYTHON points at it).
		in_env "$HASS_VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$REPO/requirements_browser.txt"
		echo "$stamp" >"$VENV/.stamp"
	fi
	flock -u "$lockfd"
}
