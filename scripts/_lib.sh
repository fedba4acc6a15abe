# Shared by scripts/demo and scripts/test. Sourced from the repository root.

# The Debian packages Solabooks needs at run time (WeasyPrint's text layout for PDFs).
# WeasyPrint's libraries, and the fonts the PDF names (pdf/_print.css): any script a name is
# written in gets real glyphs, embedded in the PDF.
RUNTIME_DEBS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
    fonts-dejavu-core fonts-wqy-zenhei fonts-noto-color-emoji)

say() { printf '\n==> %s\n' "$*"; }

# Install the named Debian packages that are missing, when we can (root + apt-get).
# Returns non-zero if some are still missing afterwards.
ensure_debs() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        say "Installing Debian packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            && return 0
    fi
    echo "Missing Debian packages: ${missing[*]} (install them: sudo apt-get install ${missing[*]})" >&2
    return 1
}

# Create .venv with python3 if it is missing, and (re)install the project into it whenever
# pyproject.toml changed since the last install. $1: extras, e.g. "" or "[test]".
ensure_venv() {
    local extras="${1:-}" python="${PYTHON:-python3}"
    if [ ! -x .venv/bin/python ]; then
        "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
            echo "Solabooks needs Python 3.11 or newer; $python is $("$python" --version 2>&1)." >&2
            exit 1
        }
        say "Creating .venv with $("$python" --version 2>&1)"
        if ! "$python" -m venv .venv; then
            # Debian's python3 has no venv module until python3-venv is installed.
            rm -rf .venv
            ensure_debs python3-venv && "$python" -m venv .venv || {
                rm -rf .venv
                echo "python3 -m venv failed; install python3-venv (sudo apt-get install python3-venv)" >&2
                exit 1
            }
        fi
    fi
    local stamp=".venv/.solabooks-installed" hash want
    hash="$(sha256sum pyproject.toml | cut -c1-16)"
    want="$hash .${extras}"
    # The plain install is covered by any install of this pyproject.toml, extras or not.
    if [ -z "$extras" ] && grep -q "^$hash " "$stamp" 2>/dev/null; then
        return 0
    fi
    if ! grep -qxF -- "$want" "$stamp" 2>/dev/null; then
        say "Installing Solabooks into .venv (pip install -e '.${extras}')"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}" || {
            echo "pip install failed." >&2
            exit 1
        }
        echo "$want" >>"$stamp"
    fi
}
