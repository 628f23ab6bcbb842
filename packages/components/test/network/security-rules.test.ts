import { expect } from "chai";
import { ComponentArgsError } from "../../src/errors";
import { normalizeRules } from "../../src/network/security-rules";

const norm = (rules: Parameters<typeof normalizeRules>[1]) => normalizeRules("SecurityProfile t", rules);

describe("security rule normalisation", () => {
  it("turns compact rules into Neutron's fields with stable keys", () => {
    const rules = norm([
      { protocol: "tcp", port: 3389, remoteCidr: "10.50.0.0/24" },
      { protocol: "icmp", icmpType: 8, remoteCidr: "10.50.0.0/24" },
      { protocol: "tcp", fromPort: 50001, toPort: 50004, remoteSelf: true },
      { direction: "egress", protocol: "any" },
    ]);
    expect(rules.map((r) => r.key)).to.deep.equal([
      "in-tcp-3389-10.50.0.0_24",
      "in-icmp-type8-10.50.0.0_24",
      "in-tcp-50001-50004-self",
      "out-any-any",
    ]);
    expect(rules[0]).to.include({
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 3389,
      portRangeMax: 3389,
      remoteIpPrefix: "10.50.0.0/24",
    });
    // Type without code: max 0, which the provider leaves out, so Neutron stores "type 8, any code".
    expect(rules[1]).to.include({ protocol: "icmp", portRangeMin: 8, portRangeMax: 0 });
    expect(rules[3].protocol).to.equal(undefined);
  });

  it("refuses ICMP type 0 or code 0, which the provider would drop and so widen the rule", () => {
    expect(() => norm([{ protocol: "icmp", icmpType: 0, remoteCidr: "10.0.0.0/8" }])).to.throw(
      /rules\[0\].icmpType: 0 cannot be sent.*all ICMP/,
    );
    expect(() => norm([{ protocol: "icmp", icmpType: 3, icmpCode: 0, remoteCidr: "10.0.0.0/8" }])).to.throw(
      /rules\[0\].icmpCode: 0 cannot be sent/,
    );
    expect(norm([{ protocol: "icmp", icmpType: 3, icmpCode: 4, remoteCidr: "10.0.0.0/8" }])[0]).to.include({
      portRangeMin: 3,
      portRangeMax: 4,
    });
  });

  it("drops exact duplicates, which Neutron would refuse with 409", () => {
    const rules = norm([
      { protocol: "tcp", port: 22, remoteCidr: "10.0.0.0/8" },
      { protocol: "tcp", port: 22, remoteCidr: "10.0.0.0/8", description: "again" },
      { protocol: "tcp", fromPort: 22, toPort: 22, remoteCidr: "10.0.0.0/8" },
    ]);
    expect(rules).to.have.length(1);
  });

  it("refuses SSH, RDP, database and all-port ingress from anywhere unless asked", () => {
    expect(() => norm([{ protocol: "tcp", port: 22, remoteCidr: "0.0.0.0/0" }])).to.throw(
      /rules\[0\].remoteCidr: "0.0.0.0\/0" opens SSH \(22\) to the whole internet/,
    );
    expect(() => norm([{ protocol: "tcp", fromPort: 3000, toPort: 4000, remoteCidr: "0.0.0.0/0" }])).to.throw(
      /RDP \(3389\)/,
    );
    expect(() => norm([{ protocol: "any", remoteCidr: "0.0.0.0/0" }])).to.throw(/all protocols/);
    expect(() => norm([{ protocol: "tcp", remoteCidr: "0.0.0.0/0" }])).to.throw(/all TCP ports/);
    expect(norm([{ protocol: "tcp", port: 22, remoteCidr: "0.0.0.0/0", allowFromAnywhere: true }])).to.have.length(1);
    expect(norm([{ protocol: "tcp", port: 443, remoteCidr: "0.0.0.0/0" }])).to.have.length(1);
  });

  it("refuses an ingress rule without a remote (Neutron would open it to everyone)", () => {
    expect(() => norm([{ protocol: "tcp", port: 80 }])).to.throw(/rules\[0\].remoteCidr: \(not set\) is missing/);
  });

  it("names the field for malformed rules", () => {
    expect(() => norm([{ protocol: "tcpp", port: 1 }])).to.throw(/rules\[0\].protocol: "tcpp" is not one of/);
    expect(() => norm([{ protocol: "tcp", port: 70000, remoteCidr: "10.0.0.0/8" }])).to.throw(
      /rules\[0\].port: 70000 is not a port number/,
    );
    expect(() => norm([{ protocol: "tcp", fromPort: 10, toPort: 5, remoteCidr: "10.0.0.0/8" }])).to.throw(
      /fromPort: 10 is greater than toPort 5/,
    );
    expect(() => norm([{ protocol: "icmp", port: 8, remoteCidr: "10.0.0.0/8" }])).to.throw(/for icmp use icmpType/);
    expect(() => norm([{ protocol: "tcp", port: 22, remoteCidr: "10.0.0.1/8" }])).to.throw(
      /remoteCidr: "10.0.0.1\/8" has host bits set; the network is 10.0.0.0\/8/,
    );
    expect(() => norm([{ protocol: "tcp", port: 22, hasRemoteGroup: true }])).to.throw(
      /rules\[0\].name: \(not set\) is required with remoteGroupId/,
    );
    expect(() => norm([{ direction: "inbound", protocol: "tcp" }])).to.throw(/direction: "inbound"/);
  });

  it("checks every rule and reports all their problems at once", () => {
    let error: unknown;
    try {
      norm([
        { protocol: "tcp", port: 3389, remoteCidr: "10.0.0.0/24" },
        { protocol: "tcp", port: 22, remoteCidr: "0.0.0.0/0" },
        { direction: "inbound", protocol: "tcpp" },
        { protocol: "udp", port: 70000, remoteCidr: "10.0.0.0/24" },
      ]);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect((error as ComponentArgsError).problems.map((p) => p.field)).to.deep.equal([
      "rules[1].remoteCidr",
      "rules[2].direction",
      "rules[2].protocol",
      "rules[3].port",
    ]);
  });
});
