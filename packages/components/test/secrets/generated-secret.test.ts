import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, outputIsSecret, outputValue, T } from "@openstack-blueprints/test-harness";
import {
  ALPHANUMERIC,
  createGeneratedSecret,
  diffGeneratedSecret,
  GeneratedSecret,
  generatedSecretProblems,
  generateSecret,
} from "../../src/secrets/generated-secret";

const harness = installMocks();

describe("GeneratedSecret (a secret made once by our own dynamic provider)", () => {
  it("draws the asked length from the alphabet, honouring the minimums per class the alphabet holds", () => {
    for (let i = 0; i < 50; i++) {
      const s = generateSecret(32, ALPHANUMERIC, 2);
      expect(s)
        .to.have.length(32)
        .and.match(/^[A-Za-z0-9]+$/);
      for (const cls of [/[a-z]/g, /[A-Z]/g, /[0-9]/g]) expect(s.match(cls)!.length, s).to.be.at.least(2);
    }
    expect(generateSecret(20, "abcdefghij0123456789!")).to.match(/^[a-j0-9!]{20}$/);
    expect(new Set(Array.from({ length: 200 }, () => generateSecret(16))).size).to.equal(200);
  });

  it("reports every bad input at once, naming field, value and fix", () => {
    const problems = generatedSecretProblems({ length: 4, alphabet: "abc", minPerClass: -1 });
    expect(problems).to.have.length(3);
    expect(problems[0]).to.include("length 4 must be a whole number from 8 to 256");
    expect(problems[1]).to.include('alphabet "abc" must hold at least 10 distinct characters');
    expect(problems[2]).to.include("minPerClass -1");
    expect(generatedSecretProblems({ length: 8, minPerClass: 3 })[0]).to.include(
      "minPerClass 3 × 3 classes exceeds length 8",
    );
    expect(() => createGeneratedSecret({ length: 300 })).to.throw("length 300");
  });

  it("makes a new value only when keepers or the shape change; an adopted initialValue counts only at create", () => {
    const made = createGeneratedSecret({ length: 24, keepers: { rotation: "1" } });
    expect(made.outs.value).to.have.length(24);
    expect(made.id).to.not.include(made.outs.value);
    const same = { length: 24, alphabet: ALPHANUMERIC, minPerClass: 0, keepers: { rotation: "1" } };
    expect(diffGeneratedSecret(made.outs, same).changes).to.equal(false);
    expect(diffGeneratedSecret(made.outs, { ...same, initialValue: "adoptedLater123" }).changes).to.equal(false);
    expect(diffGeneratedSecret(made.outs, { ...same, keepers: { rotation: "2" } }).replaces).to.deep.equal(["keepers"]);
    expect(diffGeneratedSecret(made.outs, { ...same, keepers: { rotation: "1", extra: "x" } }).changes).to.equal(true);
    expect(diffGeneratedSecret(made.outs, { ...same, length: 32 }).replaces).to.deep.equal(["length"]);
    expect(createGeneratedSecret({ length: 24, initialValue: "kept-from-before" }).outs.value).to.equal(
      "kept-from-before",
    );
  });

  it("gives its value as a Pulumi secret and keeps it across runs (the harness keeps provider state as the engine does)", async () => {
    harness.forgetState();
    const program = () => new GeneratedSecret("portal-session-secret", { length: 48 });
    const first = await harness.runProgram(program);
    expect(first.errors).to.deep.equal([]);
    const record = first.byName("portal-session-secret");
    expect(record.type).to.equal(T.generatedSecret);
    expect(record.additionalSecretOutputs).to.include("value");
    expect(await outputIsSecret(first.value!.value)).to.equal(true);
    const value = await outputValue(first.value!.value);
    expect(value).to.match(/^[A-Za-z0-9]{48}$/);
    const second = await harness.runProgram(program);
    expect(await outputValue(second.value!.value)).to.equal(value);
    const rotated = await harness.runProgram(
      () => new GeneratedSecret("portal-session-secret", { length: 48, keepers: { rotation: pulumi.output("2") } }),
    );
    expect(await outputValue(rotated.value!.value)).to.not.equal(value);
  });
});
