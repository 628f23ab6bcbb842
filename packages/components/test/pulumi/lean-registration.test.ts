import { expect } from "chai";
import * as openstack from "@pulumi/openstack";
import { installMocks } from "@openstack-blueprints/test-harness";
import { declareWithoutPromiseStackTraces } from "../../src/pulumi/lean-registration";

const harness = installMocks();

describe("declareWithoutPromiseStackTraces (scoped Error.stackTraceLimit for many children)", () => {
  const saved = { leaks: process.env.PULUMI_DEBUG_PROMISE_LEAKS, full: process.env.BLUEPRINTS_FULL_STACK_TRACES };
  afterEach(() => {
    for (const [key, value] of [
      ["PULUMI_DEBUG_PROMISE_LEAKS", saved.leaks],
      ["BLUEPRINTS_FULL_STACK_TRACES", saved.full],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("captures no frames inside, and restores the limit after — also when the declaration throws", () => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    delete process.env.BLUEPRINTS_FULL_STACK_TRACES;
    const before = Error.stackTraceLimit;
    const inside = declareWithoutPromiseStackTraces(() => ({
      limit: Error.stackTraceLimit,
      stack: new Error("x").stack,
    }));
    expect(inside.limit).to.equal(0);
    expect(inside.stack).to.equal("Error: x");
    expect(Error.stackTraceLimit).to.equal(before);
    expect(() =>
      declareWithoutPromiseStackTraces(() => {
        throw new Error("validation failed");
      }),
    ).to.throw("validation failed");
    expect(Error.stackTraceLimit).to.equal(before);
  });

  it("changes nothing when someone debugs promise leaks (the one time those traces are read) or asks for full traces", () => {
    const before = Error.stackTraceLimit;
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    expect(declareWithoutPromiseStackTraces(() => Error.stackTraceLimit)).to.equal(before);
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    process.env.BLUEPRINTS_FULL_STACK_TRACES = "1";
    expect(declareWithoutPromiseStackTraces(() => Error.stackTraceLimit)).to.equal(before);
  });

  it("keeps what the engine is told: resources register normally, with their source positions", async () => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    delete process.env.BLUEPRINTS_FULL_STACK_TRACES;
    const declare = () => {
      const net = new openstack.networking.Network("lean-net", { name: "lean" });
      new openstack.networking.Subnet("lean-subnet", { networkId: net.id, cidr: "10.9.0.0/24" });
    };
    const lean = await harness.runProgram(() => declareWithoutPromiseStackTraces(declare));
    const plain = await harness.runProgram(declare);
    expect(lean.errors).to.deep.equal([]);
    for (const name of ["lean-net", "lean-subnet"]) {
      const a = lean.byName(name);
      const b = plain.byName(name);
      expect(a.inputs).to.deep.equal(b.inputs);
      expect(a.dependencies.length).to.equal(b.dependencies.length);
      // The SDK raises the limit itself to find where a resource was declared: this file.
      expect(a.sourcePosition?.uri, name).to.match(/lean-registration\.test\.ts$/);
      expect(b.sourcePosition?.uri).to.equal(a.sourcePosition?.uri);
    }
  });
});
