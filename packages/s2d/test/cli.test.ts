import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseListen } from "../src/serve";

const BIN = path.resolve(__dirname, "../bin/s2d");

describe("s2d CLI (no cloud needed)", function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-cli-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s2d = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: "utf8",
      env: { ...process.env, OS_CLIENT_CONFIG_FILE: path.join(dir, "none.yaml") },
    });

  it("validate accepts a good spec and exits 0 without touching a cloud", () => {
    const f = path.join(dir, "ok.yaml");
    fs.writeFileSync(
      f,
      "source: { cloud: nowhere-a }\ntarget: { cloud: nowhere-b }\nservers: [{ source: web }, { source: db }]\n",
    );
    const r = s2d("validate", f);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include("valid — 2 server(s), concurrency 2");
  });

  it("validate names bad fields and exits 2; XML with a DTD is refused", () => {
    const f = path.join(dir, "bad.yaml");
    fs.writeFileSync(f, "source: { cloud: a }\ntarget: { cloud: b }\nservers: [{ source: web, floatingIp: lots }]\n");
    const r = s2d("validate", f);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(
      /servers\.0\.floatingIp: floatingIp must be "new", "none" or an IPv4 address .* \(got "lots"\)/,
    );
    const x = path.join(dir, "evil.xml");
    fs.writeFileSync(
      x,
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/shadow">]><MigrationSpecs>&e;</MigrationSpecs>',
    );
    const rx = s2d("validate", x);
    expect(rx.status).to.equal(2);
    expect(rx.stderr).to.match(/DOCTYPE or ENTITY declaration is refused/);
  });

  it("migrate refuses to start over an existing journal, resume needs one, usage checks dates", () => {
    const f = path.join(dir, "ok.yaml");
    fs.writeFileSync(`${f}.journal`, '{"server":"web","kind":"start","at":"x"}\n');
    const m = s2d("migrate", f);
    expect(m.status).to.equal(2);
    expect(m.stderr).to.match(/run 's2d resume .*ok\.yaml'/);
    fs.rmSync(`${f}.journal`);
    const r = s2d("resume", f);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/no journal/);
    const u = s2d("usage", "--cloud", "x", "--start", "2026-11-02", "--end", "2026-11-01");
    expect(u.status).to.equal(2);
    expect(u.stderr).to.match(/--end must be after --start/);
  });

  it("caps --concurrency at 16 before any cloud is contacted", () => {
    const f = path.join(dir, "ok.yaml");
    const r = s2d("migrate", f, "--concurrency", "17", "--journal", path.join(dir, "cap.journal"));
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--concurrency must be at most 16 .*got "17"/);
    expect(fs.existsSync(path.join(dir, "cap.journal")), "no journal for a refused run").to.equal(false);
  });
});

describe("s2d CLI: help and missing files", function () {
  this.timeout(60000);
  const s2d = (cwd: string, ...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, OS_CLIENT_CONFIG_FILE: path.join(cwd, "none.yaml") },
    });
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-cli-help-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("every subcommand takes --help and -h: usage on stdout, exit 0, nothing read", () => {
    for (const command of ["migrate", "resume", "plan", "validate", "usage", "help"]) {
      for (const flag of command === "validate" ? ["--help", "-h"] : ["--help"]) {
        const r = s2d(dir, command, flag);
        expect(r.status, `${command} ${flag}: ${r.stderr}`).to.equal(0);
        expect(r.stdout).to.contain("s2d validate SPEC").and.contain("s2d usage --cloud NAME");
        expect(r.stderr).to.equal("");
      }
    }
    // After other arguments too, and no journal appears for a migrate that was only asked for help.
    const r = s2d(dir, "migrate", "spec.yaml", "--keep", "--help");
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it("a missing spec or price file is named with the fix, exit 2, no raw ENOENT", () => {
    for (const command of ["validate", "plan", "migrate", "resume"]) {
      const r = s2d(dir, command, "missing.yaml");
      expect(r.status, command).to.equal(2);
      expect(r.stderr).to.equal(
        `s2d: spec file missing.yaml not found (relative to ${fs.realpathSync(dir)}); give the path of an existing file\n`,
      );
    }
    const abs = path.join(dir, "nope.yaml");
    expect(s2d(dir, "validate", abs).stderr).to.equal(
      `s2d: spec file ${abs} not found; give the path of an existing file\n`,
    );
    const p = s2d(dir, "usage", "--cloud", "x", "--start", "2026-11-01", "--end", "2026-11-02", "--prices", "p.yaml");
    expect(p.status).to.equal(2);
    expect(p.stderr).to.contain("s2d: --prices file p.yaml not found").and.not.contain("ENOENT");
    const folder = s2d(dir, "validate", dir);
    expect(folder.status).to.equal(2);
    expect(folder.stderr).to.contain(`spec file ${dir} is a folder`);
  });

  it("serve needs --auth-cloud and a well-formed --listen; the address defaults to loopback", () => {
    const none = s2d(dir, "serve");
    expect(none.status).to.equal(2);
    expect(none.stderr).to.match(/--auth-cloud is required/);
    const bad = s2d(dir, "serve", "--auth-cloud", "a", "--listen", "everywhere");
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.match(/--listen must be PORT, HOST:PORT or \[IPv6\]:PORT/);
    expect(parseListen(undefined)).to.deep.equal({ host: "127.0.0.1", port: 8787 });
    expect(parseListen("9000")).to.deep.equal({ host: "127.0.0.1", port: 9000 });
    expect(parseListen("0.0.0.0:9000")).to.deep.equal({ host: "0.0.0.0", port: 9000 });
    expect(parseListen("[::1]:9000")).to.deep.equal({ host: "::1", port: 9000 });
    expect(() => parseListen("127.0.0.1:70000")).to.throw(/--listen/);
  });
});
