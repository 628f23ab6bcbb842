import { expect } from "chai";
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { ArgsProblems, ComponentArgsError, formatPath } from "../../src/errors";

describe("ComponentArgsError", () => {
  it("is Pulumi's InputPropertiesError with one entry per property, and lists every problem in its message", () => {
    const problems = new ArgsProblems("PrivateNetwork office-lan");
    problems.add("cidr", "10.0.0.0/33", "is not a CIDR; use e.g. 10.0.0.0/24");
    problems.add("dnsNameservers[1]", "x", "is not an IPv4 address");
    let caught: unknown;
    try {
      problems.throwIfAny();
    } catch (e) {
      caught = e;
    }
    expect(caught).to.be.instanceOf(ComponentArgsError);
    expect(pulumi.InputPropertiesError.isInstance(caught)).to.equal(true);
    const err = caught as ComponentArgsError;
    expect(err.errors.map((e) => e.propertyPath)).to.deep.equal(["cidr", "dnsNameservers[1]"]);
    // The engine prints the value itself ("property cidr with value … has a problem: <reason>").
    expect(err.errors[0].reason).to.equal("is not a CIDR; use e.g. 10.0.0.0/24");
    expect(err.message).to.contain("PrivateNetwork office-lan: invalid arguments:");
    expect(err.message).to.contain('dnsNameservers[1]: "x" is not an IPv4 address');
  });

  it("prints as its message alone, as the Node.js language host shows an uncaught error (util.inspect)", () => {
    const problems = new ArgsProblems("PrivateNetwork office-lan");
    problems.add("cidr", "10.0.0.0/33", "is not a CIDR; use e.g. 10.0.0.0/24");
    const err = new ComponentArgsError(problems.component, problems.list);
    // What `pulumi preview` prints under "failed with an unhandled exception:": no stack frames,
    // no dump of `errors` and `problems` after the message, no colour codes.
    expect(inspect(err, { colors: true })).to.equal(
      'ComponentArgsError: PrivateNetwork office-lan: invalid arguments:\n  - cidr: "10.0.0.0/33" is not a CIDR; use e.g. 10.0.0.0/24',
    );
  });

  it("throws nothing when there is no problem", () => {
    expect(() => new ArgsProblems("X").throwIfAny()).not.to.throw();
  });

  it("takes zod issues with their paths and the values found there", () => {
    const problems = new ArgsProblems("X");
    problems.addZodIssues([{ path: ["employees", 2, "name"], message: "is required" }], {
      employees: [{}, {}, { name: undefined }],
    });
    expect(problems.list).to.deep.equal([{ field: "employees[2].name", value: undefined, problem: "is required" }]);
    expect(formatPath(["a", 0, "b"])).to.equal("a[0].b");
  });
});
