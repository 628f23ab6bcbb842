/**
 * The pool's xrdp TLS certificate (XrdpCertificate) through the real engine, without a cloud: the
 * engine serialises the dynamic provider into its Node.js provider process, which makes the key
 * and certificate; the key is encrypted in the state and hidden from plain outputs; a second `up`
 * keeps them (no new fingerprint, so no desktop rebuilt); a changed rotation replaces them.
 */
import { expect } from "chai";
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as path from "node:path";
import { changes, EngineStack, requireEngine, StackOptions, urnName } from "./pulumi-engine";

describe("real engine: the desktop's xrdp TLS certificate (dynamic provider)", function () {
  this.timeout(10 * 60_000);
  let stack: EngineStack | undefined;
  const options: StackOptions = { programDir: path.join(__dirname, "programs/xrdp-certificate"), runName: "xrdp-cert" };

  before(function () {
    stack = new EngineStack(requireEngine(this), options);
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.remove();
  });

  it("up makes the pair (key encrypted in state), a second up keeps it, a rotation replaces it", async () => {
    await stack!.init();
    expect(changes((await stack!.up()).summary)).to.deep.equal({ create: 2 });
    const first = await stack!.outputs();
    const cert = new X509Certificate(String(first.certificatePem));
    expect(cert.subject).to.equal("CN=dt-alice");
    expect(cert.fingerprint256).to.equal(first.fingerprint);
    expect(cert.checkPrivateKey(createPrivateKey(String(first.privateKeyPem)))).to.equal(true);
    // Neither the plain outputs nor the state show the key.
    const key = String(first.privateKeyPem);
    expect(await stack!.plainOutputs()).not.to.contain("PRIVATE KEY");
    const state = JSON.stringify(await stack!.exportState());
    expect(state).not.to.contain(key.split("\n")[1]);
    expect(state).to.contain(String(first.fingerprint));

    expect(changes((await stack!.up()).summary), "a second up changes nothing").to.deep.equal({});
    expect((await stack!.outputs()).fingerprint).to.equal(first.fingerprint);

    await stack!.ok(["config", "set", "rotation", "2036-01"]);
    const preview = await stack!.preview();
    const ops = preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${urnName(s.urn)}`);
    expect(ops).to.include("replace dt-alice-xrdp-tls");
    await stack!.up();
    expect((await stack!.outputs()).fingerprint, "a new certificate").not.to.equal(first.fingerprint);
  });
});
