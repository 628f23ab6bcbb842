/**
 * Removing what a migration made in cloud B — by the engine's cleanup after a failure and by
 * `pulumi destroy` of an S2DMigration — without pulling a shared thing from under another
 * migrated server. Two migrations into one security group, with one keypair or one image
 * (zero-copy) share what the first made; only the first recorded it. Each shared thing is
 * therefore counted where the references really are, in B, right before it would go: a rule or
 * group still used by another migrated server's port, a keypair another migrated server was
 * booted with, an image a server still runs from, an address group a rule still names are kept
 * (and said so); the last migration's removal finds no other user and removes them.
 */
import { OpenStackClient, OpenStackError, Server } from "@openstack-blueprints/openstack-rest";
import type { CreatedResource } from "./journal";

/** Metadata key every server s2d boots carries (`source@image`), which marks it as migrated. */
export const MIGRATED_SERVER_META = "s2d_migration";
/**
 * Metadata key of a migrated server booted with a keypair s2d imported into B (its value is the
 * keypair's name). Keypairs carry no description, so this is how a later migration finds that
 * the keypair it reuses is s2d's, records it as shared, and the last of them removes it.
 */
export const MIGRATED_KEYPAIR_META = "s2d_keypair";

export interface RemovalOutcome {
  resource: CreatedResource;
  /** Removed (or already gone). */
  removed: boolean;
  /** Why it was kept: the other users found in B. */
  keptFor?: string;
  error?: string;
}

const gone = (e: unknown) => e instanceof OpenStackError && e.status === 404;

/**
 * Removes `items` (newest first) from B, A's stopped server started again; shared things still
 * in use by others are kept. Every outcome is reported through `onOutcome`; failures do not
 * stop the rest.
 */
export async function removeCreated(
  clouds: { a?: OpenStackClient; b: OpenStackClient },
  items: CreatedResource[],
  onOutcome: (o: RemovalOutcome) => void,
  /** Users B cannot show yet: migrations still running next to this one (who, or undefined). */
  inUseElsewhere: (kind: "security_group" | "keypair" | "image", id: string) => string | undefined = () => undefined,
): Promise<void> {
  const { a, b } = clouds;
  // Users are read after this migration's own server is gone, once, then kept for the pass.
  let servers: Promise<Server[]> | undefined;
  const otherServers = () =>
    (servers ??= b.nova.listServers({}).then((list) => list.filter((s) => s.status !== "DELETED")));
  const migrated = async () => (await otherServers()).filter((s) => s.metadata?.[MIGRATED_SERVER_META]);
  const portsOf = new Map<string, Promise<string[]>>();
  const groupsOfServer = (id: string) => {
    if (!portsOf.has(id))
      portsOf.set(
        id,
        b.neutron.listPorts({ device_id: id }).then((ports) => ports.flatMap((p) => p.security_groups)),
      );
    return portsOf.get(id)!;
  };
  const names = (list: Server[]) => list.map((s) => `${s.name} (${s.id})`).join(", ");
  const migratedUsingGroup = async (groupId: string) => {
    const users: Server[] = [];
    for (const s of await migrated()) if ((await groupsOfServer(s.id)).includes(groupId)) users.push(s);
    return users;
  };

  // Address groups last: a rule in a group removed in this pass may still name one.
  // The source's detached volumes go back in their original order (items come newest first), and
  // before the stopped source is started again.
  const inA = (r: CreatedResource) => r.type === "source_volume_detached" || r.type === "source_stopped";
  const ordered = [
    ...items.filter((r) => r.type !== "address_group" && !inA(r)),
    ...items.filter((r) => r.type === "address_group"),
    ...items.filter((r) => r.type === "source_volume_detached").reverse(),
    ...items.filter((r) => r.type === "source_stopped"),
  ];
  for (const r of ordered) {
    try {
      let keptFor: string | undefined;
      switch (r.type) {
        case "source_snapshot":
          continue; // kept in A: resume reuses it; removed after success by the engine
        case "floating_ip":
          await b.neutron.deleteFloatingIp(r.id);
          break;
        case "floating_ip_association":
          await b.neutron.associateFloatingIp(r.id, null).catch((e) => {
            if (!gone(e)) throw e;
          });
          break;
        case "server":
          await b.nova.deleteServer(r.id);
          await b.nova.waitForServerDeleted(r.id, { timeoutMs: 300_000 });
          servers = undefined;
          break;
        case "security_group_rule": {
          const rule = (await b.neutron.listSecurityGroupRules({ id: r.id }))[0];
          if (!rule) break;
          const users = await migratedUsingGroup(rule.security_group_id);
          const running = inUseElsewhere("security_group", rule.security_group_id);
          if (users.length) keptFor = `its group is used by migrated server(s) ${names(users)}`;
          else if (running) keptFor = `its group is used by ${running}`;
          else await b.neutron.deleteSecurityGroupRule(r.id);
          break;
        }
        case "security_group": {
          const users = await migratedUsingGroup(r.id);
          const running = inUseElsewhere("security_group", r.id);
          if (users.length) keptFor = `used by migrated server(s) ${names(users)}`;
          else if (running) keptFor = `used by ${running}`;
          else
            await b.neutron.deleteSecurityGroup(r.id).catch((e) => {
              if (e instanceof OpenStackError && e.status === 409)
                throw new Error(`security group ${r.id} is still in use in cloud B (${e.serviceMessage})`);
              if (!gone(e)) throw e;
            });
          break;
        }
        case "address_group": {
          const rules = await b.neutron.listSecurityGroupRules({ remote_address_group_id: r.id });
          if (rules.length) keptFor = `still the remote of ${rules.length} rule(s) in B`;
          else await b.neutron.deleteAddressGroup(r.id);
          break;
        }
        case "keypair": {
          const users = (await migrated()).filter((s) => s.key_name === r.id);
          const running = inUseElsewhere("keypair", r.id);
          if (users.length) keptFor = `migrated server(s) ${names(users)} were booted with it`;
          else if (running) keptFor = `used by ${running}`;
          else await b.nova.deleteKeypair(r.id);
          break;
        }
        case "image": {
          const users = (await otherServers()).filter((s) => s.image && s.image.id === r.id);
          const running = inUseElsewhere("image", r.id);
          if (users.length) keptFor = `server(s) ${names(users)} run from it`;
          else if (running) keptFor = `used by ${running}`;
          else await b.glance.deleteImage(r.id);
          break;
        }
        case "source_stopped":
          if (a) await a.nova.start(r.id);
          break;
        case "source_volume_image":
          continue; // kept in A like the snapshot: resume reuses it; removed after success by the engine
        case "source_volume_detached": {
          if (!a) break;
          const [serverId, device] = (r.ref ?? "").split(" ");
          const v = await a.cinder.findVolume(r.id);
          if (v && !v.attachments?.some((x) => x.server_id === serverId)) {
            await a.cinder.waitForVolume(r.id, ["available"], { timeoutMs: 600_000 });
            await a.nova.attachVolume(serverId, r.id, device || undefined);
            await a.cinder.waitForVolume(r.id, ["in-use"], { timeoutMs: 300_000 });
          }
          break;
        }
        case "volume_image":
          await b.glance.deleteImage(r.id);
          break;
        case "volume": {
          // The server it was attached to is deleted first (newest first); Nova lets go of it shortly after.
          const v = await b.cinder.findVolume(r.id);
          if (!v) break;
          if (v.status !== "available" && !/^error/.test(v.status))
            await b.cinder.waitForVolume(r.id, ["available", "error"], { timeoutMs: 300_000 });
          await b.cinder.deleteVolume(r.id);
          break;
        }
      }
      onOutcome({ resource: r, removed: !keptFor, ...(keptFor ? { keptFor } : {}) });
    } catch (e) {
      if (gone(e)) onOutcome({ resource: r, removed: true });
      else onOutcome({ resource: r, removed: false, error: (e as Error).message });
    }
  }
}
