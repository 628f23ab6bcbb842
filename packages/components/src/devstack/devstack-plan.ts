// Validates DevstackHost's arguments and renders every script, before any resource exists.
import { DevstackArgsError, DevstackSettings, validateDevstackSettings } from "./devstack-spec";
import {
  DEFAULT_CINDER_VOLUME_GROUP, assertRebuildKey, renderCloneScript, renderDeleteScript, renderExtraVolumeScript,
  renderNatScript, renderPrecheckScript, renderPrepareScript, renderQuotaScript, renderStackScript, renderWriteLocalConfScript,
} from "./devstack-scripts";
import type { DevstackFlavorArgs, DevstackHostArgs, DevstackImageArgs } from "./devstack-host";

export interface DevstackHostPlan {
  settings: DevstackSettings;
  rebuild: string;
  stackTimeoutMinutes: number;
  cloudName: string;
  images: DevstackImageArgs[];
  flavors: DevstackFlavorArgs[];
  scripts: {
    precheck: string; prepare: string; clone: string; localConf: string; stack: string; stackDelete: string;
    nat?: string; extraVolume?: string; quotas?: string;
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws DevstackArgsError (field, value, fix) on bad input; otherwise returns what to build. */
export function planDevstackHost(name: string, args: DevstackHostArgs): DevstackHostPlan {
  const who = `DevstackHost ${name}`;
  const settings = validateDevstackSettings(who, args);
  const bad = (field: string, value: unknown, problem: string, fix: string): never => {
    throw new DevstackArgsError(`${who}: ${field} = ${JSON.stringify(value)} ${problem}. Fix: ${fix}`);
  };
  const rebuild = args.rebuild ?? "1";
  try {
    assertRebuildKey(rebuild);
  } catch (e) {
    throw new DevstackArgsError(`${who}: ${(e as Error).message}`);
  }
  const stackTimeoutMinutes = args.stackTimeoutMinutes ?? 90;
  if (!Number.isInteger(stackTimeoutMinutes) || stackTimeoutMinutes < 15 || stackTimeoutMinutes > 600) {
    bad("stackTimeoutMinutes", stackTimeoutMinutes, "is not a whole number of minutes between 15 and 600", "stack.sh takes 15-30 minutes, more on slow mirrors; use e.g. 90");
  }
  const minRamMiB = args.minRamMiB ?? 7680;
  const minFreeDiskGiB = args.minFreeDiskGiB ?? 40;
  if (!Number.isInteger(minRamMiB) || minRamMiB < 0) bad("minRamMiB", minRamMiB, "is not a whole number", "use e.g. 7680");
  if (!Number.isInteger(minFreeDiskGiB) || minFreeDiskGiB < 0) bad("minFreeDiskGiB", minFreeDiskGiB, "is not a whole number", "use e.g. 40");
  const manageEtcHosts = args.manageEtcHosts ?? true;
  const persistentNat = args.persistentNat ?? settings.publicInterface === undefined;
  if (persistentNat && settings.publicInterface !== undefined) {
    bad("persistentNat", true, `is set with publicInterface ${settings.publicInterface}: the floating range is then the LAN and needs no NAT`, "drop persistentNat or publicInterface");
  }
  if (args.cleanOnDelete && args.unstackOnDelete === false) {
    bad("cleanOnDelete", true, "is set while unstackOnDelete is false (clean.sh expects stopped services)", "enable unstackOnDelete too");
  }
  const cloudName = args.cloudName ?? "devstack";
  if (!NAME.test(cloudName)) bad("cloudName", cloudName, "is not a clouds.yaml entry name", "use letters, digits, '.', '_' or '-'");
  const images = args.images ?? [];
  const flavors = args.flavors ?? [];
  const seen = new Set<string>();
  images.forEach((image, i) => {
    if (!NAME.test(image.name)) bad(`images[${i}].name`, image.name, "is not an image name", "use letters, digits, '.', '_' or '-'");
    if (!/^https?:\/\/\S+$/.test(image.sourceUrl)) bad(`images[${i}].sourceUrl`, image.sourceUrl, "is not an http(s) URL", "give a URL Glance can download from");
    if (image.diskFormat !== undefined && !["qcow2", "raw", "vmdk", "vdi", "iso", "vhd", "vhdx", "ami"].includes(image.diskFormat)) {
      bad(`images[${i}].diskFormat`, image.diskFormat, "is not a Glance disk format", "use qcow2 or raw");
    }
    if (image.visibility !== undefined && !["public", "private", "shared", "community"].includes(image.visibility)) {
      bad(`images[${i}].visibility`, image.visibility, "is not a Glance visibility", "use public, private, shared or community");
    }
    if (seen.has(`image:${image.name}`)) bad(`images[${i}].name`, image.name, "appears twice", "give each image a unique name");
    seen.add(`image:${image.name}`);
  });
  flavors.forEach((flavor, i) => {
    if (!NAME.test(flavor.name)) bad(`flavors[${i}].name`, flavor.name, "is not a flavor name", "use letters, digits, '.', '_' or '-'");
    for (const key of ["vcpus", "ramMiB", "diskGiB"] as const) {
      const v = flavor[key];
      if (!Number.isInteger(v) || v < (key === "diskGiB" ? 0 : 1)) bad(`flavors[${i}].${key}`, v, "is not a positive whole number", "use e.g. vcpus 2, ramMiB 4096, diskGiB 20");
    }
    if (seen.has(`flavor:${flavor.name}`)) bad(`flavors[${i}].name`, flavor.name, "appears twice", "give each flavor a unique name");
    seen.add(`flavor:${flavor.name}`);
  });
  // Scripts are rendered (and their own checks run) before any resource exists.
  const scripts = {
    precheck: renderPrecheckScript({ branch: settings.branch, hostIp: settings.hostIp, minRamMiB, minFreeDiskGiB, manageEtcHosts, publicInterface: settings.publicInterface }),
    prepare: renderPrepareScript({ hostIp: settings.hostIp, manageEtcHosts, extraPackages: args.extraPackages ?? [] }),
    clone: renderCloneScript({ repoUrl: settings.devstackRepoUrl, branch: settings.branch }),
    localConf: renderWriteLocalConfScript(settings),
    // The script gives up two minutes before Pulumi's own timeout, so its message is the one seen.
    stack: renderStackScript(rebuild, stackTimeoutMinutes - 2),
    stackDelete: renderDeleteScript({ unstack: args.unstackOnDelete ?? true, clean: args.cleanOnDelete ?? false, rebuildKey: rebuild }),
    nat: persistentNat ? renderNatScript({ floatingRange: settings.floatingRange, natInterface: args.natInterface, proxyArp: args.proxyArp ?? false }) : undefined,
    extraVolume: args.extraVolumeDevice !== undefined
      ? renderExtraVolumeScript({ device: args.extraVolumeDevice, volumeGroup: args.cinderVolumeGroup ?? DEFAULT_CINDER_VOLUME_GROUP })
      : undefined,
    quotas: args.quotas !== undefined ? (() => {
      try {
        return renderQuotaScript(args.quotas!);
      } catch (e) {
        throw new DevstackArgsError(`${who}: ${(e as Error).message}`);
      }
    })() : undefined,
  };
  return { settings, rebuild, stackTimeoutMinutes, cloudName, images, flavors, scripts };
}
