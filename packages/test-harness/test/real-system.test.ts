import { expect } from "chai";
import { RealSystemUnavailableError, runningInCI, unavailableHere } from "../src/real-system";

// A stand-in for mocha's context: records the skip and throws as mocha's skip() does.
class Pending extends Error {}
function fakeContext(): { ctx: Mocha.Context; skipped: () => boolean } {
  let skipped = false;
  const ctx = {
    skip(): never {
      skipped = true;
      throw new Pending("skipped");
    },
  } as unknown as Mocha.Context;
  return { ctx, skipped: () => skipped };
}

describe("unavailableHere (what a test does when its real system is missing)", function () {
  it("counts .ci/run's BLUEPRINTS_CI=1 and the common CI=true as CI, nothing else", function () {
    expect(runningInCI({ BLUEPRINTS_CI: "1" })).to.equal(true);
    expect(runningInCI({ CI: "true" })).to.equal(true);
    expect(runningInCI({})).to.equal(false);
    expect(runningInCI({ BLUEPRINTS_CI: "0", CI: "false" })).to.equal(false);
  });

  it("fails under CI with the reason, and does not skip", function () {
    const { ctx, skipped } = fakeContext();
    expect(() =>
      unavailableHere(ctx, "xmllint is not installed (apt-get install libxml2-utils)", { BLUEPRINTS_CI: "1" }),
    )
      .to.throw(RealSystemUnavailableError)
      .with.property("message")
      .that.includes("xmllint is not installed (apt-get install libxml2-utils)");
    expect(skipped()).to.equal(false);
  });

  it("elsewhere prints the reason and skips", function () {
    const { ctx, skipped } = fakeContext();
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(" "));
    try {
      expect(() => unavailableHere(ctx, "minicloud is not reachable", {})).to.throw(Pending);
    } finally {
      console.log = log;
    }
    expect(skipped()).to.equal(true);
    expect(printed.join("\n")).to.include("skipped: minicloud is not reachable");
  });
});
