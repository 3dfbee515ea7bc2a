# Shared by the benchmark scripts that start servers: sourced, not run.

# `debian_tool TOOL [PACKAGE]`: installs Debian's PACKAGE (default TOOL) when TOOL is
# missing.
debian_tool() {
    local tool="$1" package="${2:-$1}" sudo=""
    command -v "$tool" >/dev/null && return 0
    echo "installing $package (Debian package)…" >&2
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq "$package" >/dev/null
}

# A free TCP port on the loopback.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
