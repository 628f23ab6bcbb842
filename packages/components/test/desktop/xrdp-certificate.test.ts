import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  createXrdpCertificate,
  DEFAULT_TLS_VALIDITY_DAYS,
  diffXrdpCertificate,
  freerdpFingerprintOption,
  xrdpCertificateProblems,
} from "../../src/desktop/xrdp-certificate";

describe("XrdpCertificate (the provider's create and diff)", function () {
  this.timeout(60_000);

  it("makes an RSA 2048 key and a self-signed server certificate for the host name, with its SHA-256 fingerprint", async () => {
    const { id, outs } = await createXrdpCertificate({ hostname: "dt-alice", validityDays: DEFAULT_TLS_VALIDITY_DAYS });
    const cert = new X509Certificate(outs.certificatePem);
    expect(cert.subject).to.equal("CN=dt-alice");
    expect(cert.issuer).to.equal("CN=dt-alice");
    expect(cert.subjectAltName).to.equal("DNS:dt-alice");
    expect(cert.ca).to.equal(false);
    expect(cert.checkPrivateKey(createPrivateKey(outs.privateKeyPem)), "the key is the certificate's").to.equal(true);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    expect(cert.verify(cert.publicKey), "self-signed: its own key verifies it").to.equal(true);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).to.be.within(DEFAULT_TLS_VALIDITY_DAYS - 1, DEFAULT_TLS_VALIDITY_DAYS + 1);
    expect(new Date(outs.notAfter).getTime()).to.be.closeTo(Date.parse(cert.validTo), 1000);
    // The fingerprint is OpenSSL's own (what `openssl x509 -fingerprint -sha256` prints on the guest).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "xrdp-cert-"));
    fs.writeFileSync(path.join(dir, "cert.pem"), outs.certificatePem);
    const openssl = spawnSync(
      "openssl",
      ["x509", "-noout", "-fingerprint", "-sha256", "-in", path.join(dir, "cert.pem")],
      {
        encoding: "utf8",
      },
    );
    fs.rmSync(dir, { recursive: true });
    expect(openssl.stdout.trim()).to.equal(`sha256 Fingerprint=${outs.fingerprintSha256}`);
    expect(outs.fingerprintSha256).to.match(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
    expect(freerdpFingerprintOption(outs.fingerprintSha256)).to.equal(
      `fingerprint:sha256:${outs.fingerprintSha256.toLowerCase()}`,
    );
    // The key belongs to the certificate, and the ID reveals nothing of it.
    expect(createPublicKey(outs.privateKeyPem).export({ format: "pem", type: "spki" })).to.equal(
      cert.publicKey.export({ format: "pem", type: "spki" }),
    );
    expect(outs.privateKeyPem).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(id).to.match(/^dt-alice-[0-9a-f]{16}$/);
    // A second one is another key.
    const other = await createXrdpCertificate({ hostname: "dt-alice", validityDays: DEFAULT_TLS_VALIDITY_DAYS });
    expect(other.outs.fingerprintSha256).not.to.equal(outs.fingerprintSha256);
  });

  it("keeps the certificate unless host name, validity or rotation change (then replaces it)", async () => {
    const olds = (await createXrdpCertificate({ hostname: "dt-alice", validityDays: 3650, rotation: "" })).outs;
    expect(diffXrdpCertificate(olds, { hostname: "dt-alice", validityDays: 3650, rotation: "" }).changes).to.equal(
      false,
    );
    expect(diffXrdpCertificate(olds, { hostname: "dt-alice", validityDays: 3650 }).changes).to.equal(false);
    expect(diffXrdpCertificate(olds, { hostname: "dt-alice", validityDays: 3650, rotation: "2036-01" })).to.deep.equal({
      changes: true,
      replaces: ["rotation"],
      deleteBeforeReplace: false,
    });
    expect(diffXrdpCertificate(olds, { hostname: "dt-alice2", validityDays: 365 }).replaces).to.deep.equal([
      "hostname",
      "validityDays",
    ]);
  });

  it("names every bad input at once", async () => {
    expect(xrdpCertificateProblems({ hostname: "bad host", validityDays: 0 })).to.deep.equal([
      'XrdpCertificate: hostname "bad host" must be a DNS host name',
      "XrdpCertificate: validityDays 0 must be a whole number from 1 to 9000",
    ]);
    const refused = await createXrdpCertificate({ hostname: "dt-alice", validityDays: 9001 }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(refused).to.match(/validityDays 9001/);
  });
});
