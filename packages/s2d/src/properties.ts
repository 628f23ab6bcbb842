/**
 * Which snapshot properties travel from Glance A to Glance B. Read-only and Nova-added ones
 * are dropped (Glance refuses or misreads them, and they point at cloud A); hw_ and os_ ones and
 * user properties are kept (UEFI and virtio guests need them). Glance only accepts strings
 * for extra properties.
 */

/** Core image fields set explicitly on create (not copied as properties). */
const CORE = new Set([
  "name",
  "disk_format",
  "container_format",
  "min_disk",
  "min_ram",
  "visibility",
  "protected",
  "tags",
  "owner",
  "id",
]);

/** Read-only fields and properties that belong to cloud A (instance, user, block devices). */
const DROPPED = new Set([
  "status",
  "checksum",
  "size",
  "virtual_size",
  "os_hash_algo",
  "os_hash_value",
  "self",
  "file",
  "schema",
  "stores",
  "locations",
  "direct_url",
  "created_at",
  "updated_at",
  "instance_uuid",
  "image_type",
  "user_id",
  "block_device_mapping",
  "bdm_v2",
  "root_device_name",
  "base_image_ref",
  "image_location",
  "image_state",
  "owner_id",
  "owner_project_name",
  "owner_user_name",
  "boot_roles",
  "os_hidden",
]);

const DROPPED_PREFIXES = ["os_glance_"];

export interface PropertyPlan {
  copy: Record<string, string>;
  dropped: string[];
}

export function planImageProperties(source: Record<string, unknown>, extra: Record<string, string> = {}): PropertyPlan {
  const copy: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(source)) {
    if (CORE.has(k)) continue;
    if (
      DROPPED.has(k) ||
      DROPPED_PREFIXES.some((p) => k.startsWith(p)) ||
      v === null ||
      v === undefined ||
      typeof v === "object"
    ) {
      dropped.push(k);
      continue;
    }
    copy[k] = String(v);
  }
  return { copy: { ...copy, ...extra }, dropped: dropped.sort() };
}
