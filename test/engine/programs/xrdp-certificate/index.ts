// One XrdpCertificate and nothing else: the pool's TLS certificate provider as the real engine
// serialises and runs it (no cloud needed). `rotation` comes from config, to prove a replacement.
import * as pulumi from "@pulumi/pulumi";
import { XrdpCertificate } from "@openstack-blueprints/components/src/desktop/xrdp-certificate";

const config = new pulumi.Config();
const tls = new XrdpCertificate("dt-alice-xrdp-tls", {
  hostname: "dt-alice",
  rotation: config.get("rotation") ?? "",
});
export const fingerprint = tls.fingerprintSha256;
export const certificatePem = tls.certificatePem;
export const privateKeyPem = tls.privateKeyPem;
