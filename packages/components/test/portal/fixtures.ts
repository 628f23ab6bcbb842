import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import type { SelfServicePortalArgs } from "../../src/portal/self-service-portal-args";

export const ALICE_HASH = sha512Crypt("alice-not-a-real-password", { salt: "portalTestSaltA1" });
export const BOB_HASH = sha512Crypt("bob-not-a-real-password", { salt: "portalTestSaltB2" });
export const ADMIN_HASH = sha512Crypt("admin-not-a-real-password", { salt: "portalTestSaltC3" });
export const ADMIN_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPortalTestKeyNotRealAAAAAAAAAAAAAAAAAAAAAAA admin@example";
export const CERT = "-----BEGIN CERTIFICATE-----\nTUlJQ-test-only\n-----END CERTIFICATE-----\n";
export const KEY = "-----BEGIN PRIVATE KEY-----\nTUlJRS-test-only-portal-key\n-----END PRIVATE KEY-----\n";

/** A small firm's office: two employees' desktops, the thin clients' LAN and the admin's block. */
export function officePortalArgs(overrides: Partial<SelfServicePortalArgs> = {}): SelfServicePortalArgs {
  return {
    networkId: "net-office",
    flavor: "m1.small",
    imageName: "debian-12",
    desktops: {
      alice: { serverId: "srv-alice", passwordHash: ALICE_HASH, address: "192.168.50.21", hostname: "office-alice" },
      bob: { serverId: "srv-bob", passwordHash: BOB_HASH, address: "192.168.50.22" },
    },
    admins: { "office-admin": ADMIN_HASH },
    thinClientCidr: "192.168.50.0/24",
    adminCidrs: ["192.168.99.0/28"],
    tls: { certificate: CERT, privateKey: KEY },
    authUrl: "https://keystone.office.example:5000/v3",
    ...overrides,
  };
}
