import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { asRootCommand, renderRemoteScript, shellQuote } from "../../src/scripts/remote-script";
import { assertValidShellScript } from "@openstack-blueprints/test-harness";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

function run(script: string, stdin = ""): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "remote-script-"));
  const file = path.join(dir, "s.sh");
  fs.writeFileSync(file, script);
  const r = spawnSync("bash", [file], { input: stdin, encoding: "utf8" });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("remote script builder", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "remote-script-work-"));
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it("starts with strict mode and includes only the helpers the body uses", () => {
    const script = renderRemoteScript({ description: "demo", body: `ensure_line ${work}/x "a"` });
    expect(script.split("\n").slice(0, 4).join("\n")).to.contain("set -euo pipefail");
    expect(script).to.contain("ensure_line()");
    expect(script).not.to.contain("ensure_packages()");
    assertValidShellScript(script);
  });

  it("every helper passes shellcheck", () => {
    const script = renderRemoteScript({
      description: "all helpers",
      stdinSecrets: ["TOKEN"],
      body: [
        `log starting`,
        `ensure_dir ${work}/d 0755 root:root`,
        `ensure_file ${work}/d/f 0640 root:root <<'EOF'\nhello\nEOF`,
        `ensure_line ${work}/d/lines "one"`,
        `write_secret_file ${work}/d/secret "$TOKEN"`,
        `run_once ${work}/d/marker true`,
        `command -v ensure_packages >/dev/null || die "missing"`,
        `ensure_user nobody /nonexistent /usr/sbin/nologin`,
      ].join("\n"),
    });
    assertValidShellScript(script);
  });

  it("is idempotent: the second run changes nothing", () => {
    const script = renderRemoteScript({
      description: "idempotence",
      stdinSecrets: ["TOKEN"],
      body: [
        `ensure_dir ${work}/i 0750 root:root`,
        `ensure_file ${work}/i/conf 0644 root:root <<'EOF'\nkey = value\nEOF`,
        `ensure_line ${work}/i/list "line one"`,
        `write_secret_file ${work}/i/token "$TOKEN"`,
        `run_once ${work}/i/once.marker touch ${work}/i/ran`,
      ].join("\n"),
    });
    const first = run(script, "s3cret\n");
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain("changed:");
    const second = run(script, "s3cret\n");
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal("");
    expect(fs.readFileSync(`${work}/i/token`, "utf8")).to.equal("s3cret");
    expect((fs.statSync(`${work}/i/token`).mode & 0o777).toString(8)).to.equal("600");
    expect(first.stdout + first.stderr + second.stdout + second.stderr).not.to.contain("s3cret");
  });

  it("ensure_block replaces only its own block and is idempotent", () => {
    const file = `${work}/hosts`;
    fs.writeFileSync(file, "127.0.0.1 localhost\n# BEGIN demo\nold line\n# END demo\n::1 localhost6\n");
    const script = renderRemoteScript({
      description: "block",
      body: `ensure_block ${file} demo <<'EOF'\n10.0.0.1 a.example a\n10.0.0.2 b.example b\nEOF`,
    });
    assertValidShellScript(script);
    const first = run(script);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain(`changed: block demo in ${file}`);
    expect(fs.readFileSync(file, "utf8")).to.equal(
      "127.0.0.1 localhost\n::1 localhost6\n# BEGIN demo\n10.0.0.1 a.example a\n10.0.0.2 b.example b\n# END demo\n",
    );
    const second = run(script);
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal("");
  });

  it("assert_host_key passes only on the host owning the pinned key", () => {
    const dir = fs.mkdtempSync(path.join(work, "ssh-"));
    fs.writeFileSync(`${dir}/ssh_host_ed25519_key.pub`, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHOST root@here\n");
    fs.writeFileSync(`${dir}/ssh_host_rsa_key.pub`, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABRSA root@here\n");
    const check = (key: string) =>
      run(renderRemoteScript({ description: "pin", body: `assert_host_key ${shellQuote(key)} ${dir}\necho reached` }));
    const ok = check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHOST pinned-comment");
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.contain("reached");
    const wrong = check("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOTHER");
    expect(wrong.status).to.equal(1);
    expect(wrong.stdout).not.to.contain("reached");
    expect(wrong.stderr).to.contain("do not include the pinned ssh-ed25519 key");
    assertValidShellScript(renderRemoteScript({ description: "pin", body: "assert_host_key 'ssh-ed25519 AAAA'" }));
  });

  it("fails fast on the first failing command", () => {
    const r = run(renderRemoteScript({ description: "fails", body: "false\necho after" }));
    expect(r.status).to.not.equal(0);
    expect(r.stdout).not.to.contain("after");
  });

  it("demands every secret on standard input", () => {
    const r = run(
      renderRemoteScript({ description: "needs secrets", stdinSecrets: ["A", "B"], body: 'test -n "$A$B"' }),
      "",
    );
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain("expected A on standard input");
  });

  it("refuses set -x and bad secret names", () => {
    expect(() => renderRemoteScript({ description: "x", body: "set -x\ntrue" })).to.throw('enables "set -x"');
    expect(() => renderRemoteScript({ description: "x", stdinSecrets: ["a-b"], body: "true" })).to.throw(
      '"a-b" is not a shell variable name',
    );
  });

  it("quotes values for bash", () => {
    const r = run(`printf '%s' ${shellQuote("it's $HOME `x`")}`);
    expect(r.stdout).to.equal("it's $HOME `x`");
  });

  it("asRootCommand runs the script with bash from a POSIX login shell, stdin passing through", function () {
    if (process.getuid?.() !== 0) {
      // asRootCommand's sudo path needs a sudoer; as root it runs directly, which is what CI checks.
      unavailableHere(this, "asRootCommand is run for real only as root (CI runs the tests as root)");
    }
    const script = renderRemoteScript({
      description: "as root",
      stdinSecrets: ["TOKEN"],
      body: 'printf "%s %s %s\\n" "$(id -u)" "${BASH_VERSION:+bash}" "${#TOKEN}"',
    });
    const r = spawnSync("sh", ["-c", asRootCommand(script)], { input: "abc\n", encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal("0 bash 3\n");
    expect(asRootCommand(script)).not.to.contain("abc");
  });
});
