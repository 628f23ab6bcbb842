import { expect } from "chai";
import {
  canonicalCidr,
  cidrContains,
  cidrContainsCidr,
  cidrContainsRange,
  cidrsOverlap,
  defaultGateway,
  formatIpv4,
  hostRange,
  isIpv4,
  isIpv4Cidr,
  isReservedAddress,
  nthHost,
  parseCidr,
  parseIpv4,
} from "../../src/network/cidr";

describe("cidr helpers", () => {
  it("parses and formats addresses at the edges of the range", () => {
    expect(parseIpv4("0.0.0.0")).to.equal(0);
    expect(parseIpv4("255.255.255.255")).to.equal(0xffffffff);
    expect(formatIpv4(0xc0a80101)).to.equal("192.168.1.1");
    expect(formatIpv4(parseIpv4("10.20.30.40"))).to.equal("10.20.30.40");
  });

  it("rejects malformed addresses with the text in the message", () => {
    for (const bad of ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "a.b.c.d", "", " 1.2.3.4"]) {
      expect(isIpv4(bad), bad).to.equal(false);
      expect(() => parseIpv4(bad)).to.throw(`"${bad}" is not an IPv4 address`);
    }
  });

  it("parses CIDRs and rejects prefixes over 32", () => {
    const c = parseCidr("192.168.1.0/24");
    expect(c).to.include({ text: "192.168.1.0/24", prefix: 24, size: 256 });
    expect(formatIpv4(c.last)).to.equal("192.168.1.255");
    expect(() => parseCidr("192.168.1.0/33")).to.throw('"192.168.1.0/33" is not an IPv4 CIDR');
    expect(() => parseCidr("192.168.1.0")).to.throw("is not an IPv4 CIDR");
    expect(() => parseCidr("192.168.1.0/024")).to.throw("is not an IPv4 CIDR");
    expect(isIpv4Cidr("0.0.0.0/0")).to.equal(true);
  });

  it("rejects non-canonical CIDRs by default and names the canonical one", () => {
    expect(() => parseCidr("192.168.1.5/24")).to.throw("the network is 192.168.1.0/24");
    expect(canonicalCidr("192.168.1.5/24")).to.equal("192.168.1.0/24");
    expect(canonicalCidr("10.1.2.3/8")).to.equal("10.0.0.0/8");
    expect(isIpv4Cidr("10.1.2.3/8")).to.equal(false);
  });

  it("handles /32 and /31 host ranges (RFC 3021)", () => {
    expect(hostRange("10.0.0.7/32")).to.deep.equal({ first: "10.0.0.7", last: "10.0.0.7", count: 1 });
    expect(hostRange("10.0.0.6/31")).to.deep.equal({ first: "10.0.0.6", last: "10.0.0.7", count: 2 });
    expect(hostRange("10.0.0.0/30")).to.deep.equal({ first: "10.0.0.1", last: "10.0.0.2", count: 2 });
    expect(defaultGateway("10.0.0.6/31")).to.equal(undefined);
    expect(defaultGateway("10.0.0.7/32")).to.equal(undefined);
    expect(isReservedAddress("10.0.0.6/31", "10.0.0.6")).to.equal(false);
    expect(isReservedAddress("10.0.0.0/24", "10.0.0.255")).to.equal(true);
    expect(isReservedAddress("10.0.0.0/24", "10.0.0.0")).to.equal(true);
  });

  it("counts hosts from either end and refuses ones outside the block", () => {
    expect(nthHost("192.168.2.0/24", 1)).to.equal("192.168.2.1");
    expect(nthHost("192.168.2.0/24", 4)).to.equal("192.168.2.4");
    expect(nthHost("192.168.2.0/24", -1)).to.equal("192.168.2.254");
    expect(nthHost("10.0.0.7/32", 1)).to.equal("10.0.0.7");
    expect(() => nthHost("192.168.2.0/30", 3)).to.throw("host number 3 is outside 192.168.2.0/30, which has 2 usable");
    expect(() => nthHost("192.168.2.0/24", 0)).to.throw("host number 0");
    expect(defaultGateway("192.168.1.0/24")).to.equal("192.168.1.1");
  });

  it("tests containment and overlap, including adjacent and nested blocks", () => {
    expect(cidrContains("192.168.1.0/24", "192.168.1.255")).to.equal(true);
    expect(cidrContains("192.168.1.0/24", "192.168.2.0")).to.equal(false);
    expect(cidrsOverlap("192.168.1.0/24", "192.168.2.0/24")).to.equal(false);
    expect(cidrsOverlap("192.168.0.0/23", "192.168.1.0/24")).to.equal(true);
    expect(cidrsOverlap("10.0.0.0/8", "10.255.255.255/32")).to.equal(true);
    expect(cidrsOverlap("0.0.0.0/0", "203.0.113.0/24")).to.equal(true);
    expect(cidrContainsCidr("10.0.0.0/8", "10.1.0.0/16")).to.equal(true);
    expect(cidrContainsCidr("10.1.0.0/16", "10.0.0.0/8")).to.equal(false);
    expect(cidrContainsRange("172.24.4.0/24", "172.24.4.100", "172.24.4.200")).to.equal(true);
    expect(cidrContainsRange("172.24.4.0/24", "172.24.4.100", "172.24.5.1")).to.equal(false);
    expect(() => cidrContainsRange("172.24.4.0/24", "172.24.4.9", "172.24.4.1")).to.throw("ends before it starts");
  });
});
