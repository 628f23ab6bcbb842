import { expect } from "chai";
import { DevstackSettingsInput, validateDevstackSettings } from "../../src/devstack/devstack-plan";
import { renderLocalConf, renderLocalConfTemplate } from "../../src/devstack/local-conf";

const ok: DevstackSettingsInput = { hostIp: "192.168.50.10" };
const v = (extra: Partial<DevstackSettingsInput>) => validateDevstackSettings("DevstackHost lab", { ...ok, ...extra });

describe("DevstackHost settings validation", () => {
  it("defaults: pinned stable branch, 172.24.4.0/24 floating range with its first host as gateway", () => {
    const s = v({});
    expect(s.branch).to.equal("stable/2026.1");
    expect(s.floatingRange).to.equal("172.24.4.0/24");
    expect(s.publicNetworkGateway).to.equal("172.24.4.1");
    expect(s.region).to.equal("RegionOne");
  });

  it("requires HOST_IP and a valid address, naming field, value and fix", () => {
    expect(() => validateDevstackSettings("DevstackHost lab", {})).to.throw(
      /hostIp: \(not set\) is required\. Fix: set hostIp/,
    );
    expect(() => v({ hostIp: "192.168.50" })).to.throw(/hostIp: "192.168.50" is not an IPv4 address\. Fix:/);
  });

  it("checks FLOATING_RANGE, the pool, the gateway and HOST_IP against each other", () => {
    expect(() => v({ floatingRange: "172.24.4.1/24" })).to.throw(
      /floatingRange: "172.24.4.1\/24" is not a canonical IPv4 CIDR/,
    );
    expect(() => v({ floatingAllocationStart: "172.24.5.10", floatingAllocationEnd: "172.24.5.20" })).to.throw(
      /floatingAllocationStart: "172.24.5.10" is not a host address inside floatingRange 172.24.4.0\/24/,
    );
    expect(() => v({ floatingAllocationStart: "172.24.4.10" })).to.throw(/set without its partner/);
    expect(() => v({ floatingAllocationStart: "172.24.4.30", floatingAllocationEnd: "172.24.4.20" })).to.throw(
      /is after floatingAllocationEnd/,
    );
    expect(() => v({ floatingAllocationStart: "172.24.4.1", floatingAllocationEnd: "172.24.4.20" })).to.throw(
      /contains publicNetworkGateway 172.24.4.1/,
    );
    expect(() => v({ publicNetworkGateway: "10.9.9.9" })).to.throw(
      /publicNetworkGateway: "10.9.9.9" is outside floatingRange/,
    );
    expect(() => v({ publicNetworkGateway: "172.24.4.255" })).to.throw(/network or broadcast address/);
    expect(() => v({ hostIp: "172.24.4.20" })).to.throw(
      /hostIp: "172.24.4.20" is inside floatingRange 172.24.4.0\/24.*Fix: keep the floating range off/,
    );
    expect(() => v({ hostIp: "10.0.1.5" })).to.throw(/inside fixedRange 10.0.0.0\/22/);
    expect(() => v({ fixedRange: "172.24.0.0/16" })).to.throw(/overlaps floatingRange/);
  });

  it("accepts the flat-LAN layout only with publicInterface and a pool that excludes the host", () => {
    const lan = { hostIp: "10.42.0.52", floatingRange: "10.42.0.0/24", publicInterface: "eth0" };
    expect(() => v(lan)).to.throw(/floatingAllocationStart: \(not set\) is required when hostIp 10.42.0.52 is inside/);
    expect(() => v({ ...lan, floatingAllocationStart: "10.42.0.50", floatingAllocationEnd: "10.42.0.60" })).to.throw(
      /contains hostIp 10.42.0.52/,
    );
    const s = v({ ...lan, floatingAllocationStart: "10.42.0.250", floatingAllocationEnd: "10.42.0.254" });
    expect(s.floatingAllocationPool).to.deep.equal({ start: "10.42.0.250", end: "10.42.0.254" });
    expect(() => v({ publicInterface: "eth0; rm -rf /" })).to.throw(
      /publicInterface: .* is not a network interface name/,
    );
  });

  it("refuses unsupported branches and nova-network leftovers with an explanation", () => {
    expect(() => v({ branch: "stable/zed" })).to.throw(
      /branch: "stable\/zed" is not a supported devstack branch\. Fix: use one of master, stable\/2026.1, stable\/2025.2/,
    );
    expect(() => v({ extraLocalrcLines: ["FLAT_INTERFACE=eth0"] })).to.throw(
      /extraLocalrcLines\[0\]: "FLAT_INTERFACE=eth0" sets FLAT_INTERFACE, which is refused: it belonged to nova-network.*devstack ignores it.*Fix: remove the line/,
    );
    expect(() => v({ extraLocalrcLines: ["HOST_IP=1.2.3.4"] })).to.throw(/renders itself\. Fix: use hostIp instead/);
    expect(() => v({ extraLocalrcLines: ["MY_PASSWORD=x"] })).to.throw(/puts a secret in plain text/);
    expect(() => v({ extraLocalrcLines: ["X=$(curl evil)"] })).to.throw(/command substitution/);
    expect(() => v({ extraLocalrcLines: ["not a line"] })).to.throw(/is not a VARIABLE=value/);
    expect(() => v({ enabledServices: ["n-net"] })).to.throw(/nova-network, which was removed/);
    expect(() => v({ enabledServices: ["c-bak"], disabledServices: ["c-bak"] })).to.throw(/also in disabledServices/);
    expect(() => v({ volumeBackingFileSize: "30" })).to.throw(/volumeBackingFileSize: "30"/);
    expect(() => v({ cpuAllocationRatio: 0 })).to.throw(/cpuAllocationRatio: 0 is not a ratio/);
    expect(() => v({ devstackRepoUrl: "opendev devstack" })).to.throw(/devstackRepoUrl/);
  });
});

describe("local.conf rendering", () => {
  const settings = v({
    floatingAllocationStart: "172.24.4.100",
    floatingAllocationEnd: "172.24.4.200",
    enabledServices: ["c-bak"],
    disabledServices: ["tempest"],
    volumeBackingFileSize: "40G",
    cpuAllocationRatio: 16,
    ramAllocationRatio: 1.5,
    extraLocalrcLines: ["SWIFT_HASH=66a3d6b56c1f479c8b4e70ab5c2000f5"],
  });

  it("tlsProxy: enable_service tls-proxy in local.conf; tls-proxy itself only through tlsProxy", () => {
    const tls = validateDevstackSettings("DevstackHost lab", { hostIp: "192.168.50.10", tlsProxy: true });
    expect(renderLocalConfTemplate(tls).rest.split("\n")).to.include("enable_service tls-proxy");
    const withOthers = validateDevstackSettings("DevstackHost lab", {
      hostIp: "192.168.50.10",
      tlsProxy: true,
      enabledServices: ["s-proxy"],
    });
    expect(renderLocalConfTemplate(withOthers).rest.split("\n")).to.include("enable_service s-proxy tls-proxy");
    const plain = validateDevstackSettings("DevstackHost lab", { hostIp: "192.168.50.10" });
    expect(renderLocalConfTemplate(plain).rest).to.not.contain("tls-proxy");
    expect(() =>
      validateDevstackSettings("DevstackHost lab", {
        hostIp: "192.168.50.10",
        enabledServices: ["tls-proxy"],
        disabledServices: [],
      }),
    ).to.throw('enabledServices[0]: "tls-proxy" is managed by the component');
    expect(() =>
      validateDevstackSettings("DevstackHost lab", {
        hostIp: "192.168.50.10",
        tlsProxy: true,
        disabledServices: ["tls-proxy"],
      }),
    ).to.throw('disabledServices[0]: "tls-proxy" contradicts tlsProxy: true');
  });

  it("renders the template without any password and the full file with them", () => {
    const t = renderLocalConfTemplate(settings);
    expect(t.rest).not.to.match(/PASSWORD/);
    const full = renderLocalConf(settings, { admin: "Adm1n", database: "Db2", rabbit: "Rb3", service: "Sv4" });
    expect(full).to.equal(
      [
        "[[local|localrc]]",
        "ADMIN_PASSWORD=Adm1n",
        "DATABASE_PASSWORD=Db2",
        "RABBIT_PASSWORD=Rb3",
        "SERVICE_PASSWORD=Sv4",
        "HOST_IP=192.168.50.10",
        "SERVICE_HOST=192.168.50.10",
        "FLOATING_RANGE=172.24.4.0/24",
        "PUBLIC_NETWORK_GATEWAY=172.24.4.1",
        "Q_FLOATING_ALLOCATION_POOL=start=172.24.4.100,end=172.24.4.200",
        "IPV4_ADDRS_SAFE_TO_USE=10.0.0.0/22",
        "VOLUME_BACKING_FILE_SIZE=40G",
        "LOGFILE=/opt/stack/logs/stack.sh.log",
        "LOG_COLOR=False",
        "enable_service c-bak",
        "disable_service tempest",
        "# extra lines",
        "SWIFT_HASH=66a3d6b56c1f479c8b4e70ab5c2000f5",
        "",
        "[[post-config|$NOVA_CONF]]",
        "[DEFAULT]",
        "cpu_allocation_ratio = 16.0",
        "ram_allocation_ratio = 1.5",
        "",
      ].join("\n"),
    );
  });
});
