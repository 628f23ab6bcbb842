import { expect } from "chai";
import { buildRootfs, CLOUD_GUEST_PACKAGES, Guest, nocloudMetaData, TestLab } from "../../../../../test/hosts";

export interface SeededGuestOptions {
  /** Name of the cached root file system (test/hosts/rootfs.ts) and the packages it adds. */
  rootfsName: string;
  packages: string[];
  guestName: string;
  /** The user data under test, given to real cloud-init as a NoCloud seed. */
  userData: string;
  instanceId: string;
  hostname: string;
  /** Shell run in the guest when cloud-init reports errors, to show why (e.g. journalctl of the units). */
  diagnostics: string;
}

/**
 * A Debian guest (systemd-nspawn) whose root carries `packages` — the guests have no internet,
 * so the packages come with the root, as in a prepared image — booted with `userData` as its
 * NoCloud seed; returns once cloud-init finished, failing with its errors and `diagnostics`.
 */
export async function bootSeededGuest(lab: TestLab, options: SeededGuestOptions): Promise<Guest> {
  const rootfs = await buildRootfs({
    name: options.rootfsName,
    packages: [...CLOUD_GUEST_PACKAGES, ...options.packages],
  });
  const network = await lab.network();
  const guest = await lab.startGuest({
    name: options.guestName,
    rootfs,
    network,
    nocloud: { userData: options.userData, metaData: nocloudMetaData(options.instanceId, options.hostname) },
    timeoutMs: 300_000,
  });
  const cloudInit = await guest.waitForCloudInit();
  if (cloudInit.errors.length > 0) {
    const journal = await guest.exec(options.diagnostics, { allowFailure: true });
    expect(cloudInit.errors, `${cloudInit.detail}\n--- guest journal ---\n${journal.stdout}`).to.deep.equal([]);
  }
  expect(cloudInit.status).to.equal("done");
  return guest;
}
