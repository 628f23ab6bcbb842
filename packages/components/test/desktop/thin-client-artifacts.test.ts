import { expect } from "chai";
import { renderConnectionSheet, renderRdpFile, renderRemminaProfile } from "../../src/desktop/thin-client-artifacts";

const alice = { user: "alice", fullName: "Alice | A.", address: "203.0.113.10", desktop: "office-alice" };

describe("thin-client artifacts", () => {
  it("writes an .rdp file with address and user, CRLF lines, no password", () => {
    const rdp = renderRdpFile(alice);
    expect(rdp.split("\r\n"))
      .to.include("full address:s:203.0.113.10")
      .and.include("username:s:alice")
      .and.include("prompt for credentials:i:1");
    expect(rdp).not.to.match(/password/i);
    expect(renderRdpFile({ ...alice, port: 13389 })).to.contain("full address:s:203.0.113.10:13389");
  });

  it("writes a Remmina profile using TLS with an empty password", () => {
    const profile = renderRemminaProfile(alice).split("\n");
    expect(profile[0]).to.equal("[remmina]");
    expect(profile)
      .to.include("protocol=RDP")
      .and.include("server=203.0.113.10")
      .and.include("username=alice")
      .and.include("security=tls")
      .and.include("password=");
  });

  it("lists every employee on the connection sheet, sorted, with no passwords", () => {
    const sheet = renderConnectionSheet("office", [
      { ...alice, user: "zoe", desktop: "office-zoe", powerState: "shelved_offloaded" },
      alice,
    ]);
    const rows = sheet.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Employee"));
    expect(rows).to.deep.equal([
      "| alice | Alice / A. | office-alice | 203.0.113.10 | alice | active |",
      "| zoe | Alice / A. | office-zoe | 203.0.113.10 | zoe | shelved_offloaded |",
    ]);
    expect(sheet).to.contain("--show-secrets passwords");
    // No trust on first use in the dark: the sheet says how to read each desktop's fingerprint.
    expect(sheet).to.contain("openssl x509 -in /etc/ssl/certs/ssl-cert-snakeoil.pem -noout -fingerprint -sha256");
  });

  it("lists each desktop's certificate fingerprint for pinning when the pool made the certificates", () => {
    const fp = (byte: string) => Array(32).fill(byte).join(":");
    const sheet = renderConnectionSheet("office", [
      { ...alice, user: "zoe", desktop: "office-zoe", tlsFingerprintSha256: fp("0A") },
      { ...alice, tlsFingerprintSha256: fp("B1") },
    ]);
    const section = sheet.slice(sheet.indexOf("## TLS certificate fingerprints (SHA-256)"));
    expect(section.split("\n").filter((l) => l.startsWith("- "))).to.deep.equal([
      `- alice (office-alice): \`${fp("B1")}\``,
      `- zoe (office-zoe): \`${fp("0A")}\``,
    ]);
    expect(sheet).to.contain("/cert:deny,fingerprint:sha256:").and.not.contain("ssl-cert-snakeoil");
    expect(() => renderConnectionSheet("office", [{ ...alice, tlsFingerprintSha256: "AB:CD" }])).to.throw(
      /tlsFingerprintSha256 "AB:CD" of alice is not a SHA-256 fingerprint/,
    );
  });

  it("refuses values that would inject lines", () => {
    expect(() => renderRdpFile({ ...alice, user: "alice\r\nalternate shell:s:cmd" })).to.throw("single line");
    expect(() => renderRemminaProfile({ ...alice, address: "" })).to.throw("non-empty");
    expect(() => renderRdpFile({ ...alice, port: 70000 })).to.throw("not a TCP port");
  });
});
