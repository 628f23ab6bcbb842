/**
 * A snapshot of a server booted by direct kernel boot (no bootloader in the disk) carries
 * `kernel_id` and `ramdisk_id`: the ids of the `aki`/`ari` images in cloud A's Glance that Nova
 * boots it with. In cloud B those ids mean nothing (or, worse, another image). Before any byte
 * moves, each one is looked up in B by content — the same bytes (size, and the same
 * os_hash_value in the same algorithm or else the same MD5) and disk format — and the copy in B
 * is given B's id. When B holds no such image the migration is refused with the file to upload:
 * a kernel is the operator's choice (and usually public), s2d does not publish one by itself.
 */
import type { Image, OpenStackClient } from "@openstack-blueprints/openstack-rest";

/** The image properties that name other images the server boots with. */
export const BOOT_IMAGE_PROPERTIES = ["kernel_id", "ramdisk_id"] as const;
export type BootImageProperty = (typeof BOOT_IMAGE_PROPERTIES)[number];

export interface BootImageMapping {
  /** Property → B's image id (the same id when both clouds share one Glance). */
  map: Partial<Record<BootImageProperty, string>>;
  /** One line per property B cannot serve: what it points at and how to fix it. */
  problems: { property: BootImageProperty; value: string; message: string }[];
  /** How each one was matched (for the log). */
  notes: string[];
}

/** The same bytes in B as A's `src`: like with like for the hash, MD5 otherwise. */
export function sameBootImage(src: Image, candidate: Image): boolean {
  if (candidate.status !== "active" || candidate.disk_format !== src.disk_format || candidate.size !== src.size)
    return false;
  if (src.os_hash_algo && candidate.os_hash_algo === src.os_hash_algo)
    return !!src.os_hash_value && candidate.os_hash_value === src.os_hash_value;
  return !!src.checksum && candidate.checksum === src.checksum;
}

/**
 * Resolves the kernel and ramdisk properties of `props` (A's ids) to images in B. Reads only.
 * `bProjectId` ranks B's candidates: the very same image first (one shared Glance), then the
 * project's own, then any other visible one (a public kernel).
 */
export async function mapBootImages(
  a: OpenStackClient,
  b: OpenStackClient,
  props: Record<string, unknown>,
  bProjectId?: string,
): Promise<BootImageMapping> {
  const out: BootImageMapping = { map: {}, problems: [], notes: [] };
  for (const property of BOOT_IMAGE_PROPERTIES) {
    const value = props[property];
    if (value === undefined || value === null || value === "") continue;
    const id = String(value);
    const src = await a.glance.findImage(id);
    if (!src) {
      out.problems.push({
        property,
        value: id,
        message: `the server boots with image ${id} from cloud A (${property}), which cloud A no longer shows, so its copy in B cannot be found; upload the ${property === "kernel_id" ? "kernel" : "initrd"} the server runs to cloud B and set ${property} on the migrated image there, or rebuild the server in A on an image with a bootloader`,
      });
      continue;
    }
    const candidates = new Map<string, Image>();
    const add = (list: Image[]) => list.forEach((i) => candidates.set(i.id, i));
    if (src.os_hash_value)
      add(await b.glance.listImages({ os_hash_value: String(src.os_hash_value), status: "active" }).catch(() => []));
    // A Glance hashing with another algorithm is found by name and then compared by MD5.
    if (src.name) add(await b.glance.listImages({ name: src.name, status: "active" }).catch(() => []));
    const rank = (i: Image) => (i.id === src.id ? 0 : bProjectId && i.owner === bProjectId ? 1 : 2);
    const match = [...candidates.values()].filter((i) => sameBootImage(src, i)).sort((x, y) => rank(x) - rank(y))[0];
    if (match) {
      out.map[property] = match.id;
      out.notes.push(
        match.id === src.id
          ? `${property}: image ${src.id} (${src.name}) is the same image in cloud B (one Glance)`
          : `${property}: A's image ${src.id} (${src.name}) is B's image ${match.id} (${match.name}, same ${sameHashName(src, match)})`,
      );
      continue;
    }
    const kind = src.disk_format === "aki" ? "kernel" : src.disk_format === "ari" ? "initrd" : "image";
    out.problems.push({
      property,
      value: id,
      message: `the server boots directly with A's ${kind} image "${src.name}" (${src.id}, ${src.disk_format}, ${src.size} bytes, md5 ${src.checksum}), and cloud B holds no image with the same bytes; upload the same file to cloud B first (openstack image create --disk-format ${src.disk_format} --container-format ${src.container_format ?? src.disk_format} --file <the ${kind}> "${src.name}"), then run the migration again`,
    });
  }
  return out;
}

function sameHashName(src: Image, match: Image): string {
  return src.os_hash_algo && match.os_hash_algo === src.os_hash_algo ? String(src.os_hash_algo) : "MD5";
}
