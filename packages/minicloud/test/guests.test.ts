/**
 * A real guest through the Nova API on minicloud's guests profile (`minicloud up --guests`):
 * what a tenant of a real cloud does — network with a DHCP host route, router to `public`,
 * security group admitting ssh from one address, key pair, server, floating IP — and what they
 * then rely on: the server boots (libvirt, QEMU TCG), ssh over the floating IP with the key Nova
 * injected, cloud-init done with the instance id it read from Nova's metadata service through
 * the router, the host route from DHCP, and the security group enforced both ways (a port it
 * does not admit is dropped until a rule admits it; removing the ssh rule stops new logins).
 *
 * One guest for the whole file (2 cores: TCG boots take a minute or more). Each phase's time is
 * printed. Everything created is deleted in after(), also when a step fails. Needs the guests
 * profile: skips with the reason elsewhere, fails under CI (BLUEPRINTS_CI=1 or CI=true).
 */
import { expect } from "chai";
import { GuestLab, HOST_ON_PUBLIC, requireGuests, tcpProbe, TcpOutcome } from "./guest-scenario";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("minicloud guests profile: a real guest through Nova and Neutron", function () {
  this.timeout(20 * 60_000);
  let lab: GuestLab | undefined;
  let serverId = "";
  let fip = "";
  const t0 = Date.now();
  const phase = (name: string, since: number) =>
    console.log(`    ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

  before(async function () {
    await requireGuests(this);
    lab = await GuestLab.create();
  });

  after(async function () {
    if (!lab) return;
    const start = Date.now();
    const problems = await lab.cleanup();
    phase("cleanup (server, floating IP, router, network, group, key)", start);
    if (problems.length) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  });

  /** Polls a TCP port until the outcome is the wanted one (the agent applies rules within seconds). */
  async function until(port: number, want: TcpOutcome, timeoutS = 45): Promise<TcpOutcome> {
    const deadline = Date.now() + timeoutS * 1000;
    let got: TcpOutcome;
    do {
      got = await tcpProbe(fip, port, 4000);
      if (got === want) return got;
      await sleep(1000);
    } while (Date.now() < deadline);
    return got;
  }

  it("boots the guest image in zone `guests` to ACTIVE on the libvirt host, its network and router built by the agents", async () => {
    let start = Date.now();
    await lab!.network();
    phase("network, subnet, router, security group, key pair", start);
    const agents = await lab!.waitAgents();
    expect(agents, "DHCP and L3 agents of the guests host serve the zone-hinted network and router").to.deep.equal({
      dhcp: ["minicloud-guests"],
      l3: ["minicloud-guests"],
    });
    start = Date.now();
    serverId = await lab!.boot("vm");
    phase("create call", start);
    const sv = await lab!.waitActive(serverId);
    phase("create -> ACTIVE", start);
    expect(sv["OS-EXT-SRV-ATTR:host"]).to.equal("minicloud-guests");
    expect(sv["OS-EXT-AZ:availability_zone"]).to.equal("guests");
    start = Date.now();
    fip = await lab!.floatingIp(serverId);
    phase(`floating IP ${fip}`, start);
  });

  it("answers ssh on its floating IP with the key Nova injected, and cloud-init finishes", async () => {
    expect(fip, "previous step made the guest").to.not.equal("");
    const start = Date.now();
    await lab!.waitSsh(serverId, fip);
    phase("floating IP -> ssh login", start);
    const status = await lab!.waitCloudInit(fip);
    phase("floating IP -> cloud-init done", start);
    expect(status).to.match(/^status: done$/m);
    expect(status).to.not.match(/errors:\s*\n\s*-/);
    console.log(`    total since the suite started: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  it("took its instance id from Nova's metadata service, read through the router", async () => {
    // What cloud-init used at boot (the metadata service, not a config drive), and what the
    // metadata service says now, over the router.
    const subplatform = (await lab!.ssh(fip, "cloud-init query v1.subplatform")).trim();
    expect(subplatform).to.contain("http://169.254.169.254");
    expect((await lab!.ssh(fip, "cloud-init query v1.instance_id")).trim()).to.equal(serverId);
    const meta = JSON.parse(
      await lab!.ssh(fip, "curl -sS --max-time 20 http://169.254.169.254/openstack/latest/meta_data.json"),
    ) as { uuid: string; name: string; availability_zone: string };
    expect(meta.uuid).to.equal(serverId);
    expect(meta.availability_zone).to.equal("guests");
    // Through the router: the guest's route to the metadata address is its default route.
    expect(await lab!.ssh(fip, "ip -4 route get 169.254.169.254")).to.match(/ via 10\.231\.7\.1 /);
  });

  it("got the subnet's host route from DHCP", async () => {
    const { destination, nexthop } = lab!.hostRoute;
    expect(await lab!.ssh(fip, `ip -4 route show ${destination}`)).to.contain(`${destination} via ${nexthop} `);
    expect(await lab!.ssh(fip, "ip -4 -o addr show scope global")).to.match(/inet 10\.231\.7\.\d+\/24 .*dynamic/);
  });

  it("enforces the security group: a port it does not admit is dropped, removing the ssh rule stops new logins", async () => {
    // Something listens on 8080 inside the guest, so a refusal would mean the packet got in.
    await lab!.ssh(fip, "setsid python3 -m http.server 8080 </dev/null >/dev/null 2>&1 & sleep 2; ss -ltn");
    expect(await lab!.ssh(fip, "ss -ltnH 'sport = :8080'")).to.contain(":8080");
    expect(await tcpProbe(fip, 8080, 5000), "8080 is not in the group: dropped").to.equal("timeout");
    const web = await lab!.allowTcp(8080);
    expect(await until(8080, "connected"), `8080 admitted from ${HOST_ON_PUBLIC}`).to.equal("connected");
    await lab!.deleteRule(web);
    expect(await until(8080, "timeout"), "8080 dropped again once its rule is gone").to.equal("timeout");
    await lab!.deleteRule(lab!.sshRuleId!);
    expect(await until(22, "timeout"), "no new ssh once the ssh rule is gone").to.equal("timeout");
  });
});
