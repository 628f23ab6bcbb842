// The REAL Ganeti tests: GanetiDrbdCluster's own commands, as recorded under the Pulumi mocks,
// executed over real SSH (pinned host keys) in their declared dependency order against two
// systemd-nspawn Debian bookworm guests running Debian's Ganeti 3.0.2 (ganeti-sandbox.ts: fake
// hypervisor, sharedfile on a directory both guests see, CAP_NET_ADMIN on the guests' own network
// namespaces so Ganeti's master-ip-setup moves the cluster address itself).
//
// One sandbox boot serves every part (CI time: the parts used to boot one each); each part starts
// from GanetiSandbox.reset() — no cluster on either guest — and declares its own cluster:
//  - real-cluster-basics.ts: build, second run unchanged, migrate, fail over, delete in order;
//  - real-cluster-node-groups.ts: node groups as state;
//  - real-cluster-node-life.ts: settings after init, drain, dead-primary failover, node removal,
//    master failover.
//
// The sandbox boots nspawn guests: run this file alone on a machine, under the exclusive lock:
//   flock /tmp/minicloud.lock npx mocha --no-config -r ts-node/register/transpile-only --extension ts \
//     --timeout 600000 packages/components/test/ganeti/ganeti-real-cluster.test.ts
// A killed run leaves guests and mounts behind; the next start reaps them (TestLab reaps the `gn`
// labs whose owning process is gone before it creates one).
import { requireTestHosts } from "../../../../test/hosts";
import { GanetiSandbox } from "./ganeti-sandbox";
import { describeBasics } from "./real-cluster-basics";
import { describeNodeGroups } from "./real-cluster-node-groups";
import { describeNodeLife } from "./real-cluster-node-life";

describe("GanetiDrbdCluster on a real two-node Ganeti 3.0 cluster (nspawn guests, fake hypervisor, sharedfile)", function () {
  this.timeout(30 * 60_000);
  let sandbox: GanetiSandbox | undefined;

  before(async function () {
    requireTestHosts(this);
    sandbox = await GanetiSandbox.start("gn");
  });

  after(async () => {
    await sandbox?.cleanup();
  });

  const current = () => sandbox!;
  describeBasics(current);
  describeNodeGroups(current);
  describeNodeLife(current);
});
