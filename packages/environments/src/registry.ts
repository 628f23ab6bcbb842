// Every block the root program knows, in deployment order, and every environment kind.
// WIRING A COMPONENT THAT LANDED: replace its pendingBlock(...) line by a defineBlock in
// src/blocks/<key>.ts (zod schema of its config + deploy creating the component), then
// remove it from PENDING_BLOCKS in test/stacks.test.ts.
import { EnvironmentBlock, pendingBlock } from "./block";
import { networksBlock } from "./blocks/networks";
import { securityProfilesBlock } from "./blocks/security-profiles";

export const BLOCKS: EnvironmentBlock[] = [
  pendingBlock("devstack", "DevstackHost", "An all-in-one DevStack on a host over SSH; its OpenStack provider is used by every later block.", true),
  networksBlock,
  securityProfilesBlock,
  pendingBlock("desktops", "ThinClientDesktopPool", "One desktop per employee behind RDP, with hashed passwords and power states.", true),
  pendingBlock("calculator", "TwoTierCalculatorTopology", "The seed's two-tier calculator: front end behind a floating IP, four services behind an inner router."),
  pendingBlock("migration", "S2DMigration", "Software-to-data migration between two clouds.", true),
  pendingBlock("ganeti", "GanetiDrbdCluster", "A Ganeti cluster with DRBD-mirrored instances on three nodes.", true),
];

export interface EnvironmentKind {
  description: string;
  /** Blocks this kind must have. */
  required: string[];
  /** Blocks it may also have. */
  optional: string[];
}

export const ENVIRONMENTS: Record<string, EnvironmentKind> = {
  office: {
    description: "A small firm's office: DevStack on one host, its network, a thin-client desktop per employee.",
    required: ["devstack", "networks", "desktops"],
    optional: ["securityProfiles"],
  },
  lab: {
    description: "The two-tier calculator on an existing cloud.",
    required: ["calculator"],
    optional: ["networks", "securityProfiles"],
  },
  migrate: {
    description: "Software-to-data migration between two clouds.",
    required: ["migration"],
    optional: [],
  },
  ganeti: {
    description: "A Ganeti/DRBD cluster on three nodes.",
    required: ["ganeti"],
    optional: ["networks", "securityProfiles"],
  },
  local: {
    description: "Desktops, the calculator and a migration on minicloud (OpenStack on this machine).",
    required: ["desktops", "calculator", "migration"],
    optional: ["networks", "securityProfiles"],
  },
};

export function blockByKey(key: string): EnvironmentBlock {
  const block = BLOCKS.find((b) => b.key === key);
  if (!block) throw new Error(`no block ${key}; known blocks are ${BLOCKS.map((b) => b.key).join(", ")}`);
  return block;
}
