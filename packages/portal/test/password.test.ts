import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { hashKind, verifyPassword } from "../src/password";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

describe("portal sign-in hashes (the pool's SHA-512 crypt and Jupyter hashes)", () => {
  // Test vectors of Drepper's "Unix crypt using SHA-256 and SHA-512".
  const vectors: [string, string][] = [
    [
      "Hello world!",
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ],
    [
      "Hello world!",
      "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    ],
  ];

  it("accepts the right password and refuses a wrong one", () => {
    for (const [password, hash] of vectors) {
      expect(hashKind(hash)).to.equal("sha512-crypt");
      expect(verifyPassword(password, hash), hash).to.equal(true);
      expect(verifyPassword("Hello world?", hash)).to.equal(false);
      expect(verifyPassword("", hash)).to.equal(false);
    }
  });

  it("accepts a hash made by the system's mkpasswd (what an admin makes by hand)", function () {
    let hash: string;
    try {
      hash = execFileSync("mkpasswd", ["-m", "sha-512", "-S", "portalsalt12345", "s3cret-Pw"], {
        encoding: "utf8",
      }).trim();
    } catch (e) {
      unavailableHere(this, `mkpasswd is not installed (apt-get install whois): ${(e as Error).message}`);
    }
    expect(verifyPassword("s3cret-Pw", hash)).to.equal(true);
    expect(verifyPassword("s3cret-pw", hash)).to.equal(false);
  });

  it("checks Jupyter's sha512:salt:hex (a notebook's password) and refuses anything else", () => {
    const hash =
      "sha512:abcdefgh:" +
      require("node:crypto").createHash("sha512").update("pw12345678").update("abcdefgh").digest("hex");
    expect(hashKind(hash)).to.equal("jupyter-sha512");
    expect(verifyPassword("pw12345678", hash)).to.equal(true);
    expect(verifyPassword("pw12345679", hash)).to.equal(false);
    // A clear password where a hash belongs matches nothing, not even itself.
    expect(hashKind("pw12345678")).to.equal(undefined);
    expect(verifyPassword("pw12345678", "pw12345678")).to.equal(false);
  });
});
