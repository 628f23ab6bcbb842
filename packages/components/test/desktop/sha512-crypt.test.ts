import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

/** Runs a real crypt implementation of this system; returns undefined when the tool is absent. */
function systemCrypt(
  tool: "mkpasswd" | "python3",
  password: string,
  salt: string,
  rounds?: number,
): string | undefined {
  if (tool === "mkpasswd") {
    const args = ["-m", "sha-512", "--stdin", "-S", salt, ...(rounds ? ["-R", String(rounds)] : [])];
    const run = spawnSync("mkpasswd", args, { input: password, encoding: "utf8" });
    if (run.error) return undefined;
    expect(run.status, run.stderr).to.equal(0);
    return run.stdout.trim();
  }
  // Python's crypt module wraps glibc/libxcrypt crypt(3); the password travels on stdin.
  const settings = rounds ? `$6$rounds=${rounds}$${salt}` : `$6$${salt}`;
  const run = spawnSync(
    "python3",
    ["-W", "ignore", "-c", "import crypt,sys; print(crypt.crypt(sys.stdin.read(), sys.argv[1]))", settings],
    {
      input: password,
      encoding: "utf8",
    },
  );
  if (run.error) return undefined;
  expect(run.status, run.stderr).to.equal(0);
  return run.stdout.trim();
}

function requireTool(result: string | undefined, tool: string, pkg: string, ctx: Mocha.Context): string {
  if (result !== undefined) return result;
  const why = `${tool} is not installed (apt-get install ${pkg}); cannot compare with the system's crypt`;
  unavailableHere(ctx, why);
}

const CASES: { password: string; salt: string; rounds?: number }[] = [
  { password: "Hello world!", salt: "saltstring" },
  { password: "", salt: "abc" },
  { password: "a", salt: "x" },
  { password: "correct horse battery staple", salt: "0123456789abcdef" },
  { password: "x".repeat(63), salt: "sixtythree" },
  { password: "y".repeat(64), salt: "sixtyfour" },
  { password: "z".repeat(65), salt: "sixtyfive" },
  { password: "p".repeat(200), salt: "long./Salt99" },
  { password: "Grüße, 日本語 ✓", salt: "unicode" },
  { password: "rounds!", salt: "roundsalt", rounds: 1000 },
  { password: "rounds!", salt: "roundsalt", rounds: 12345 },
];

describe("SHA-512 crypt", () => {
  it("matches the published test vector of the specification", () => {
    // From Drepper's "Unix crypt using SHA-256 and SHA-512", test vector 1.
    expect(sha512Crypt("Hello world!", { salt: "saltstring" })).to.equal(
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    );
  });

  it("agrees with mkpasswd -m sha-512 (whois package) on every case its 8..16-character salt rule allows", function () {
    for (const c of CASES.filter((x) => x.salt.length >= 8)) {
      const expected = requireTool(systemCrypt("mkpasswd", c.password, c.salt, c.rounds), "mkpasswd", "whois", this);
      expect(sha512Crypt(c.password, { salt: c.salt, rounds: c.rounds }), JSON.stringify(c)).to.equal(expected);
    }
  });

  it("agrees with Python's crypt (the system's crypt(3)) on every case", function () {
    for (const c of CASES) {
      const expected = requireTool(systemCrypt("python3", c.password, c.salt, c.rounds), "python3", "python3", this);
      expect(sha512Crypt(c.password, { salt: c.salt, rounds: c.rounds }), JSON.stringify(c)).to.equal(expected);
    }
  });

  it("truncates salts to 16 characters and clamps rounds like crypt(3)", function () {
    const long = sha512Crypt("pw", { salt: "0123456789abcdefEXTRA" });
    expect(long.split("$")[2]).to.equal("0123456789abcdef");
    const py = requireTool(systemCrypt("python3", "pw", "0123456789abcdefEXTRA"), "python3", "python3", this);
    expect(long).to.equal(py);
    expect(sha512Crypt("pw", { salt: "s", rounds: 10 })).to.match(/^\$6\$rounds=1000\$s\$/);
  });

  it("refuses salts crypt cannot carry", () => {
    expect(() => sha512Crypt("pw", { salt: "a$b" })).to.throw('"$"');
    expect(() => sha512Crypt("pw", { salt: "" })).to.throw("non-empty");
  });
});
