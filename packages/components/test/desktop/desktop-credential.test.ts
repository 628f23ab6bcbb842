import { expect } from "chai";
import { createHash } from "node:crypto";
import {
  checkDesktopCredentialInputs,
  createDesktopCredential,
  desktopCredentialProvider,
  diffDesktopCredential,
  generateDesktopPassword,
  generateReportToken,
  randomCryptSalt,
  updateDesktopCredential,
} from "../../src/desktop/desktop-credential";
import { CRYPT_ALPHABET, sha512Crypt } from "../../src/desktop/sha512-crypt";

describe("DesktopCredential provider (password + SHA-512 crypt hash, made once)", () => {
  it("generates letters-and-digits passwords of the asked length with at least two of each class", () => {
    for (const length of [12, 20, 64, 128]) {
      for (let i = 0; i < 50; i++) {
        const pw = generateDesktopPassword(length);
        expect(pw)
          .to.have.length(length)
          .and.match(/^[A-Za-z0-9]+$/);
        expect(pw.match(/[a-z]/g)!.length, pw).to.be.at.least(2);
        expect(pw.match(/[A-Z]/g)!.length, pw).to.be.at.least(2);
        expect(pw.match(/[0-9]/g)!.length, pw).to.be.at.least(2);
      }
    }
    expect(new Set(Array.from({ length: 200 }, () => generateDesktopPassword(20))).size).to.equal(200);
  });

  it("draws every character from the random source and shuffles the class minimums into place", () => {
    // A scripted source: the six class minimums first, then filler, then the shuffle's swaps.
    const draws: number[] = [];
    const scripted = (max: number) => {
      draws.push(max);
      return max - 1;
    };
    const pw = generateDesktopPassword(12, scripted);
    // 6 class picks (26, 26, 26, 26, 10, 10), 6 fillers from 62 characters, 11 shuffle swaps.
    expect(draws.slice(0, 6)).to.deep.equal([26, 26, 26, 26, 10, 10]);
    expect(draws.slice(6, 12)).to.deep.equal([62, 62, 62, 62, 62, 62]);
    expect(draws.slice(12)).to.deep.equal([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    expect(pw).to.have.length(12);
    expect([...pw].sort().join("")).to.equal([..."zzZZ99999999"].sort().join(""));
  });

  it("refuses lengths outside 12–128 with the value and the range", () => {
    expect(() => generateDesktopPassword(8)).to.throw("length 8 must be a whole number from 12 to 128");
    expect(() => generateDesktopPassword(12.5)).to.throw("12.5");
    expect(() => checkDesktopCredentialInputs({ user: "", length: 20 })).to.throw('user ""');
    expect(checkDesktopCredentialInputs({ user: "alice", length: 20 })).to.deep.equal({
      user: "alice",
      length: 20,
      rotation: "",
      hashScheme: "sha512-crypt",
      withReportToken: false,
    });
    expect(() => checkDesktopCredentialInputs({ user: "alice", length: 20, hashScheme: "md5" as never })).to.throw(
      'hashScheme "md5"',
    );
    expect(() => checkDesktopCredentialInputs({ user: "alice", length: 20, withReportToken: "yes" as never })).to.throw(
      'withReportToken "yes" must be true or false',
    );
  });

  it("creates a password and a crypt hash of it with a fresh 16-character salt", () => {
    const a = createDesktopCredential({ user: "alice", length: 20, rotation: "" });
    const b = createDesktopCredential({ user: "alice", length: 20, rotation: "" });
    expect(a.outs).to.deep.include({ user: "alice", length: 20, rotation: "" });
    expect(a.outs.passwordHash).to.match(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const salt = a.outs.passwordHash.split("$")[2];
    expect(sha512Crypt(a.outs.password, { salt })).to.equal(a.outs.passwordHash);
    expect(a.outs.passwordHash).not.to.contain(a.outs.password);
    expect(b.outs.password).not.to.equal(a.outs.password);
    expect(b.outs.passwordHash.split("$")[2]).not.to.equal(salt);
    expect(a.id)
      .to.match(/^alice-[0-9A-Za-z]{8}$/)
      .and.not.equal(b.id);
    expect([...randomCryptSalt()].every((ch) => CRYPT_ALPHABET.includes(ch))).to.equal(true);
  });

  it("hashes for Jupyter when asked: sha512:<salt>:<hex of SHA-512(password + salt)>", () => {
    const { outs } = createDesktopCredential({ user: "carol", length: 24, rotation: "", hashScheme: "jupyter-sha512" });
    const [scheme, salt, digest] = outs.passwordHash.split(":");
    expect(scheme).to.equal("sha512");
    expect(salt).to.have.length(16);
    expect(digest).to.equal(
      createHash("sha512")
        .update(outs.password + salt)
        .digest("hex"),
    );
  });

  it("keeps the credential while the inputs stay, and replaces it (a new password) when any changes", () => {
    const olds = { user: "alice", length: 20, rotation: "" };
    expect(diffDesktopCredential(olds, { ...olds })).to.deep.equal({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    // A missing rotation (older state) is the same as "".
    expect(diffDesktopCredential({ user: "alice", length: 20 }, olds).changes).to.equal(false);
    expect(diffDesktopCredential(olds, { ...olds, rotation: "2026-11" })).to.deep.equal({
      changes: true,
      replaces: ["rotation"],
      deleteBeforeReplace: false,
    });
    expect(diffDesktopCredential(olds, { ...olds, length: 24 }).replaces).to.deep.equal(["length"]);
    expect(diffDesktopCredential(olds, { ...olds, user: "alicia" }).replaces).to.deep.equal(["user"]);
    expect(diffDesktopCredential(olds, { ...olds, hashScheme: "sha512-crypt" }).changes).to.equal(false);
    expect(diffDesktopCredential(olds, { ...olds, hashScheme: "jupyter-sha512" }).replaces).to.deep.equal([
      "hashScheme",
    ]);
  });

  it("makes a session report token only when asked: 48 letters and digits, different each time", () => {
    const plain = createDesktopCredential({ user: "alice", length: 20 });
    expect(plain.outs).not.to.have.property("reportToken");
    const a = createDesktopCredential({ user: "alice", length: 20, withReportToken: true });
    const b = createDesktopCredential({ user: "alice", length: 20, withReportToken: true });
    expect(a.outs.reportToken).to.match(/^[A-Za-z0-9]{48}$/);
    expect(b.outs.reportToken).not.to.equal(a.outs.reportToken);
    expect(a.outs.reportToken).not.to.contain(a.outs.password);
    // Every character is one draw from the random source, over all 62 letters and digits.
    const draws: number[] = [];
    expect(generateReportToken((max) => (draws.push(max), 0))).to.equal("a".repeat(48));
    expect(draws).to.deep.equal(Array(48).fill(62));
  });

  it("turning the report token on or off is an update that keeps the password; other changes still replace", () => {
    const made = createDesktopCredential({ user: "alice", length: 20, rotation: "" });
    const inputs = { user: "alice", length: 20, rotation: "", hashScheme: "sha512-crypt" as const };
    // On: a change, no replacement (the engine then calls update, not create).
    expect(diffDesktopCredential(made.outs, { ...inputs, withReportToken: true })).to.deep.equal({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const on = updateDesktopCredential(made.outs, { ...inputs, withReportToken: true }).outs;
    expect([on.password, on.passwordHash]).to.deep.equal([made.outs.password, made.outs.passwordHash]);
    expect(on.reportToken).to.match(/^[A-Za-z0-9]{48}$/);
    expect(on.withReportToken).to.equal(true);
    // Unchanged afterwards: no diff; an update anyway keeps the same token.
    expect(diffDesktopCredential(on, { ...inputs, withReportToken: true }).changes).to.equal(false);
    expect(updateDesktopCredential(on, { ...inputs, withReportToken: true }).outs.reportToken).to.equal(on.reportToken);
    // Off: an update again; the token is dropped, the password kept.
    expect(diffDesktopCredential(on, { ...inputs, withReportToken: false })).to.deep.include({
      changes: true,
      replaces: [],
    });
    const off = updateDesktopCredential(on, { ...inputs, withReportToken: false }).outs;
    expect([off.password, off.passwordHash]).to.deep.equal([made.outs.password, made.outs.passwordHash]);
    expect(off).not.to.have.property("reportToken");
    // State from before withReportToken existed (no flag): the same as false.
    const { withReportToken: _flag, ...older } = made.outs;
    expect(diffDesktopCredential(older, inputs).changes).to.equal(false);
    expect(diffDesktopCredential(older, { ...inputs, withReportToken: true }).replaces).to.deep.equal([]);
    // A rotation together with the token still replaces (a new password is what rotation asks).
    expect(
      diffDesktopCredential(on, { ...inputs, rotation: "2026-12", withReportToken: false }).replaces,
    ).to.deep.equal(["rotation"]);
    // update is never asked for a replacing change; if it were, it refuses rather than keep a stale password.
    expect(() => updateDesktopCredential(on, { ...inputs, length: 24, withReportToken: true })).to.throw(
      "length changed; that replaces the credential",
    );
  });

  it("runs as a dynamic provider: create and diff load the module by package path", async () => {
    const created = await desktopCredentialProvider.create({ user: "bob", length: 16, rotation: "x" });
    expect(created.outs.password).to.have.length(16);
    const diff = await desktopCredentialProvider.diff!(created.id, created.outs, {
      user: "bob",
      length: 16,
      rotation: "x",
    });
    expect(diff.changes).to.equal(false);
    const updated = await desktopCredentialProvider.update!(created.id, created.outs, {
      user: "bob",
      length: 16,
      rotation: "x",
      withReportToken: true,
    });
    expect(updated.outs.password).to.equal(created.outs.password);
    expect(updated.outs.reportToken).to.match(/^[A-Za-z0-9]{48}$/);
    // Nothing lives outside the state: no delete to call.
    expect(desktopCredentialProvider.delete).to.equal(undefined);
  });
});
