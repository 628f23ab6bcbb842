/**
 * Builder for the shell scripts our components run on hosts (over SSH with @pulumi/command) or in
 * guests (cloud-init runcmd). Every script:
 *  - starts with `set -euo pipefail`, so a failed step stops the run instead of carrying on;
 *  - never enables `set -x`, and reads secrets from standard input into unexported variables, so
 *    a secret is never in argv, the environment, or the command's output;
 *  - gets only the helper functions its body uses, each of which changes the host only when it
 *    is not already in the wanted state, so running the script twice is safe and quiet.
 * The helpers print `changed: …` when they change something, which lets tests (and users reading
 * Pulumi's output) see that a second run changed nothing.
 */

export interface RemoteScriptOptions {
  /** One line saying what the script does; becomes its header comment and log prefix. */
  description: string;
  /**
   * Shell variable names read, one line each and in this order, from standard input before the
   * body runs. Feed them with `secretStdin` (a Pulumi secret) — never via argv or environment.
   */
  stdinSecrets?: string[];
  /** The script body. It may call the helpers documented in HELPERS. */
  body: string;
}

/** Helper functions that a body may call; each is included only when the body names it. */
export const HELPERS: Readonly<Record<string, string>> = {
  log: `log() { printf '%s\\n' "[\${SCRIPT_NAME}] $*" >&2; }`,
  die: `die() { printf '%s\\n' "[\${SCRIPT_NAME}] error: $*" >&2; exit 1; }`,
  ensure_packages: `# ensure_packages PKG...: installs only the packages that are not installed yet.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null || true)" = 'install ok installed' ] || missing+=("$pkg")
  done
  if [ "\${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "\${missing[@]}" >/dev/null
    echo "changed: installed \${missing[*]}"
  fi
}`,
  ensure_dir: `# ensure_dir PATH MODE OWNER[:GROUP]: creates the directory and sets its mode and owner.
ensure_dir() {
  local path=$1 mode=$2 owner=$3
  if [ ! -d "$path" ]; then mkdir -p "$path"; echo "changed: created $path"; fi
  if [ "$(stat -c '%a %U:%G' "$path")" != "$(printf '%o' "$((8#$mode))") \${owner%%:*}:\${owner#*:}" ]; then
    chmod "$mode" "$path"; chown "$owner" "$path"; echo "changed: mode/owner of $path"
  fi
}`,
  ensure_file: `# ensure_file PATH MODE OWNER[:GROUP] < CONTENT: replaces the file only when the content differs.
ensure_file() {
  local path=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
  else
    mkdir -p "$(dirname "$path")"
    chmod "$mode" "$tmp"; chown "$owner" "$tmp"; mv -f "$tmp" "$path"
    echo "changed: wrote $path"
  fi
  if [ "$(stat -c '%a %U:%G' "$path")" != "$(printf '%o' "$((8#$mode))") \${owner%%:*}:\${owner#*:}" ]; then
    chmod "$mode" "$path"; chown "$owner" "$path"; echo "changed: mode/owner of $path"
  fi
}`,
  ensure_line: `# ensure_line FILE LINE: appends LINE to FILE unless a line equal to it is already there.
ensure_line() {
  local path=$1 line=$2
  touch "$path"
  if ! grep -qxF -- "$line" "$path"; then printf '%s\\n' "$line" >>"$path"; echo "changed: added a line to $path"; fi
}`,
  ensure_user: `# ensure_user NAME HOME SHELL: creates a system-wide login user with that home and shell.
ensure_user() {
  local name=$1 home=$2 shell=$3
  if ! id -u "$name" >/dev/null 2>&1; then
    useradd --create-home --home-dir "$home" --shell "$shell" "$name"; echo "changed: created user $name"
  fi
}`,
  run_once: `# run_once MARKER CMD...: runs CMD unless MARKER exists, then creates MARKER (guards steps that must never repeat).
run_once() {
  local marker=$1; shift
  if [ -e "$marker" ]; then return 0; fi
  "$@"
  mkdir -p "$(dirname "$marker")"; date -u +%Y-%m-%dT%H:%M:%SZ >"$marker"; echo "changed: ran $* (marker $marker)"
}`,
  ensure_block: `# ensure_block FILE NAME < CONTENT: keeps CONTENT between "# BEGIN NAME" and "# END NAME" in FILE,
# replacing an older block and keeping every other line. Writes in place (the file may be a bind mount).
ensure_block() {
  local path=$1 name=$2 tmp
  tmp=$(mktemp)
  if [ -f "$path" ]; then
    awk -v b="# BEGIN $name" -v e="# END $name" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$path" >"$tmp"
  fi
  { printf '%s\\n' "# BEGIN $name"; cat; printf '%s\\n' "# END $name"; } >>"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; return 0; fi
  mkdir -p "$(dirname "$path")"
  cat "$tmp" >"$path"; rm -f "$tmp"
  echo "changed: block $name in $path"
}`,
  assert_host_key: `# assert_host_key "TYPE BASE64" [DIR]: stops unless this host's SSH daemon owns the pinned public host key.
# Looks at the keys sshd actually serves (sshd -T), or at DIR/ssh_host_*_key.pub when DIR is given. A guard
# against running on the wrong host (a re-used address, a stale DNS entry) before anything changes.
assert_host_key() {
  local want=$1 dir=\${2:-} type blob file files=()
  type=\${want%% *}; blob=\${want#* }; blob=\${blob%% *}
  if [ -z "$dir" ]; then
    mapfile -t files < <( (sshd -T 2>/dev/null || /usr/sbin/sshd -T 2>/dev/null || true) | awk '$1 == "hostkey" { print $2 ".pub" }')
    dir=/etc/ssh
  fi
  [ "\${#files[@]}" -gt 0 ] || files=("$dir"/ssh_host_*_key.pub)
  for file in "\${files[@]}"; do
    [ -f "$file" ] || continue
    if [ "$(awk '{ print $1 " " $2 }' "$file")" = "$type $blob" ]; then return 0; fi
  done
  die "the SSH host keys of $(hostname) do not include the pinned $type key; refusing to run on the wrong host"
}`,
  write_secret_file: `# write_secret_file PATH VALUE [OWNER]: writes a secret to a 0600 file without it ever reaching argv or output.
write_secret_file() {
  local path=$1 value=$2 owner=\${3:-root:root} tmp
  tmp=$(umask 077 && mktemp)
  printf '%s' "$value" >"$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then rm -f "$tmp"; else chown "$owner" "$tmp"; mv -f "$tmp" "$path"; echo "changed: wrote secret file $path"; fi
  chmod 600 "$path"
}`,
};

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes a value for bash as a single-quoted word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function helpersUsedBy(body: string): string[] {
  const used = new Set<string>();
  const visit = (text: string) => {
    for (const name of Object.keys(HELPERS)) {
      if (!used.has(name) && new RegExp(`(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)`, "m").test(text)) {
        used.add(name);
        visit(HELPERS[name]);
      }
    }
  };
  visit(body);
  return Object.keys(HELPERS).filter((name) => used.has(name));
}

/** Renders a complete bash script from a body; see the module comment for the guarantees. */
export function renderRemoteScript(options: RemoteScriptOptions): string {
  const secrets = options.stdinSecrets ?? [];
  for (const name of secrets) {
    if (!SHELL_NAME.test(name)) throw new Error(`stdinSecrets: "${name}" is not a shell variable name`);
  }
  if (/(^|\n)\s*set\s+-[a-z]*x/.test(options.body)) {
    throw new Error(`${options.description}: the script body enables "set -x", which would print secrets; remove it`);
  }
  const description = options.description.replace(/[\r\n]+/g, " ");
  const lines = [
    "#!/usr/bin/env bash",
    `# ${description}`,
    "# Generated by openstack-blueprints: idempotent, safe to run again.",
    "set -euo pipefail",
    `SCRIPT_NAME=${shellQuote(description)}`,
  ];
  const helpers = helpersUsedBy(options.body);
  if (
    !helpers.includes("log") &&
    !options.body.includes("SCRIPT_NAME") &&
    !helpers.some((h) => HELPERS[h].includes("SCRIPT_NAME"))
  ) {
    // Keep SCRIPT_NAME referenced so shellcheck does not flag it as unused.
    lines.push(': "${SCRIPT_NAME}"');
  }
  lines.push(...helpers.map((name) => HELPERS[name]));
  if (secrets.length > 0) {
    lines.push("# Secrets arrive on standard input, one per line; they are never echoed or exported.");
    for (const name of secrets) {
      lines.push(`${name}=''`);
      lines.push(
        `IFS= read -r ${name} || [ -n "$${name}" ] || { echo "expected ${name} on standard input" >&2; exit 2; }`,
      );
    }
  }
  lines.push(options.body.trim(), "");
  return lines.join("\n");
}

/**
 * The command line to give @pulumi/command for a rendered script: the provider hands it to the
 * remote user's login shell (often dash), so it re-executes the script with bash, as root —
 * directly when the connection user is root, else through `sudo -n` (never prompting). The
 * script is in bash's argv; that is fine because rendered scripts carry no secrets (those come on
 * stdin, which passes through unchanged).
 */
export function asRootCommand(script: string): string {
  if (script.length > 120_000)
    throw new Error(`asRootCommand: the script is ${script.length} bytes, over the 128 KiB argv limit of one argument`);
  return `s=${shellQuote(script)}; if [ "$(id -u)" -eq 0 ]; then exec bash -c "$s"; else exec sudo -n bash -c "$s"; fi`;
}
