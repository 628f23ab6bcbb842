/**
 * The bake flow against a real OpenStack through the typed client (packages/openstack-rest):
 * boot a builder with the bake user data, wait for the console marker, stop it, snapshot it with
 * the plan's properties, wait for the image to be active, and delete the builder — always, also
 * when a step fails. Used by XrdpDesktopImage's dynamic provider and by the minicloud test.
 */
import type { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { bakeConsoleState, BakePlan } from "./bake-plan";

export interface BakeRequest {
  plan: BakePlan;
  baseImageId: string;
  flavorId: string;
  networkId: string;
  /** The builder's availability zone (Nova's default when undefined). */
  availabilityZone?: string;
  /** Builder server name; default `<imageName>-builder`. */
  builderName?: string;
  /** Seconds to wait for the console marker; default 3600 (installing a desktop takes minutes). */
  consoleTimeoutSeconds?: number;
  /** Seconds between console reads; default 15. */
  consolePollSeconds?: number;
  /** Seconds to wait for each of: builder ACTIVE, SHUTOFF, image active; default 1800. */
  stepTimeoutSeconds?: number;
  /**
   * Skip the console wait: ONLY for clouds whose hypervisor runs no guest (minicloud's fake
   * driver), where no marker can ever appear. The image then does not contain the desktop stack.
   */
  skipConsoleWait?: boolean;
  /**
   * Called once the snapshot is requested, before waiting for it to be active. For clouds whose
   * hypervisor uploads no snapshot data (minicloud's fake driver) a test fills the image here.
   */
  onSnapshotRequested?: (imageId: string) => Promise<void>;
  /** Progress messages (no secrets: the bake has none). */
  log?: (message: string) => void;
}

export interface BakeResult {
  imageId: string;
  imageName: string;
  packageHash: string;
  builderId: string;
  /** How the bake ended waiting for the guest: "marker" or "skipped". */
  consoleWait: string;
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Runs the bake; on any failure deletes the builder (and a half-made image) before rethrowing. */
export async function bakeDesktopImage(client: OpenStackClient, req: BakeRequest): Promise<BakeResult> {
  const log = req.log ?? (() => undefined);
  const stepMs = (req.stepTimeoutSeconds ?? 1800) * 1000;
  const name = req.builderName ?? `${req.plan.imageName}-builder`;
  let builderId: string | undefined;
  let imageId: string | undefined;
  try {
    const created = await client.nova.createServer({
      name,
      flavorRef: req.flavorId,
      imageRef: req.baseImageId,
      networks: [{ uuid: req.networkId }],
      ...(req.availabilityZone ? { availability_zone: req.availabilityZone } : {}),
      user_data: Buffer.from(req.plan.userData, "utf8").toString("base64"),
      metadata: {
        "blueprints-role": "desktop-image-builder",
        "blueprints-package-hash": req.plan.packageHash.slice(0, 64),
      },
    });
    builderId = created.id;
    log(`builder ${name} (${builderId}) created`);
    await client.nova.waitForServer(builderId, ["ACTIVE"], { timeoutMs: stepMs });

    let consoleWait = "skipped";
    if (!req.skipConsoleWait) {
      const deadline = Date.now() + (req.consoleTimeoutSeconds ?? 3600) * 1000;
      for (;;) {
        const state = bakeConsoleState(await client.nova.consoleOutput(builderId), req.plan.packageHash);
        if (state.state === "done") break;
        if (state.state === "failed") throw new Error(`the bake failed in builder ${name}: ${state.reason}`);
        if (Date.now() > deadline) {
          throw new Error(
            `builder ${name} printed no bake marker within ${req.consoleTimeoutSeconds ?? 3600} s (read its console log: openstack console log show ${builderId})`,
          );
        }
        await sleep((req.consolePollSeconds ?? 15) * 1000);
      }
      consoleWait = "marker";
      log(`builder ${name}: bake marker seen`);
    }

    await client.nova.stop(builderId);
    await client.nova.waitForServer(builderId, ["SHUTOFF"], { timeoutMs: stepMs });
    imageId = await client.nova.createImage(builderId, req.plan.imageName, req.plan.properties);
    log(`snapshot ${req.plan.imageName} (${imageId}) requested`);
    if (req.onSnapshotRequested) await req.onSnapshotRequested(imageId);
    await client.glance.waitForImage(imageId, ["active"], { timeoutMs: stepMs });
    // Nova copies the server's metadata into the snapshot; set ours explicitly (and idempotently).
    await client.glance.updateProperties(imageId, req.plan.properties);
    return { imageId, imageName: req.plan.imageName, packageHash: req.plan.packageHash, builderId, consoleWait };
  } catch (e) {
    if (imageId) await client.glance.deleteImage(imageId).catch(() => undefined);
    throw e;
  } finally {
    if (builderId) {
      await client.nova.deleteServer(builderId);
      await client.nova.waitForServerDeleted(builderId, { timeoutMs: stepMs }).catch(() => undefined);
      log(`builder ${name} deleted`);
    }
  }
}

/** Deletes a baked image unless it is retained; 404 counts as done (the client treats it so). */
export async function deleteBakedImage(client: OpenStackClient, imageId: string, retain: boolean): Promise<void> {
  if (retain) return;
  await client.glance.deleteImage(imageId);
}
