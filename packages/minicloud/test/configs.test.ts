/** Pure checks of what minicloud renders: configs, clouds.yaml, SQL, passwords. */
import { expect } from "chai";
import { parse } from "yaml";
import { CLOUD_NAMES, renderCloudsYaml, renderEnv } from "../src/clouds-yaml";
import { tinyImageBytes, IMAGE_SIZE } from "../src/cloud-resources";
import { renderIni } from "../src/ini";
import { defaultLayout } from "../src/layout";
import { generatePassword, generateSecrets } from "../src/secrets";
import * as cfg from "../src/service-configs";
import { allServiceSpecs, serviceSpecs } from "../src/services";
import { NEUTRON_CHAIN, splitIptablesRule } from "../src/guests";
import { databaseSql } from "../src/up";
import { mountsUnder, nfsSharesConf, storagePath, storagePaths } from "../src/storage";

/** Minimal INI reader for assertions (last value wins, like oslo.config). */
function readIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = "";
  for (const line of text.split("\n")) {
    const m = /^\[(.+)\]$/.exec(line);
    if (m && m[1]) {
      section = m[1];
      out[section] ??= {};
    } else if (line.includes(" = ")) {
      const idx = line.indexOf(" = ");
      (out[section] ??= {})[line.slice(0, idx)] = line.slice(idx + 3);
    }
  }
  return out;
}

describe("minicloud configuration renderers", () => {
  const layout = {
    ...defaultLayout({}),
    stateDir: "/srv/mc",
    runDir: "/srv/mc/run",
    configDir: "/etc/mc",
    logDir: "/var/log/mc",
  };
  const secrets = generateSecrets();
  const ctx = { layout, secrets };

  it("renders INI sections and keys, leaves out undefined values and refuses line breaks", () => {
    expect(renderIni({ a: { x: 1, y: undefined, z: ["p", "q"] }, b: { t: true } })).to.equal(
      "[a]\nx = 1\nz = p,q\n\n[b]\nt = true\n",
    );
    expect(() => renderIni({ a: { x: "1\n[evil]" } })).to.throw(/\[a\] x contains a line break/);
    expect(() => renderIni({ "a]": { x: 1 } })).to.throw(/invalid section/);
  });

  it("puts every service on 127.0.0.1 with SQL in MariaDB and RabbitMQ transport", () => {
    const nova = readIni(cfg.novaConf(ctx));
    const neutron = readIni(cfg.neutronConf(ctx));
    const glance = readIni(cfg.glanceApiConf(ctx));
    expect(nova.DEFAULT?.osapi_compute_listen).to.equal("127.0.0.1");
    expect(neutron.DEFAULT?.bind_host).to.equal("127.0.0.1");
    expect(glance.DEFAULT?.bind_host).to.equal("127.0.0.1");
    for (const conn of [
      nova.database?.connection,
      nova.api_database?.connection,
      neutron.database?.connection,
      glance.database?.connection,
    ]) {
      expect(conn).to.match(/^mysql\+pymysql:\/\/\w+:[A-Za-z0-9]+@127\.0\.0\.1:13306\/\w+/);
    }
    expect(nova.DEFAULT?.transport_url).to.equal(`rabbit://minicloud:${secrets.rabbit}@127.0.0.1:15682/`);
    expect(neutron.DEFAULT?.transport_url).to.equal(nova.DEFAULT?.transport_url);
    expect(cfg.rabbitmqConf(secrets)).to.contain("listeners.tcp.default = 127.0.0.1:15682");
    expect(cfg.uwsgiIni({ name: "k", port: 5000, wsgiFile: "/x", env: { A: "b" }, processes: 1 }))
      .to.contain("http-socket = 127.0.0.1:5000")
      .and.contain("env = A=b");
  });

  it("has Nova send a service token (Cinder lets only a service delete a volume attachment)", () => {
    const nova = readIni(cfg.novaConf(ctx));
    expect(nova.service_user).to.deep.include({
      send_service_user_token: "true",
      auth_type: "password",
      username: "nova",
      project_name: "service",
      password: secrets.service.nova,
    });
  });

  it("runs one worker per service and the fake compute driver", () => {
    const nova = readIni(cfg.novaConf(ctx));
    const neutron = readIni(cfg.neutronConf(ctx));
    expect(nova.DEFAULT?.compute_driver).to.equal("fake.FakeDriver");
    expect(nova.DEFAULT?.osapi_compute_workers).to.equal("1");
    expect(nova.conductor?.workers).to.equal("1");
    expect(nova.scheduler?.workers).to.equal("1");
    expect(neutron.DEFAULT?.api_workers).to.equal("1");
    expect(neutron.DEFAULT?.rpc_workers).to.equal("1");
    expect(readIni(cfg.glanceApiConf(ctx)).DEFAULT?.workers).to.equal("1");
  });

  it("configures ML2/linuxbridge as it must be for port binding here", () => {
    const neutron = readIni(cfg.neutronConf(ctx));
    const nova = readIni(cfg.novaConf(ctx));
    const agent = readIni(cfg.linuxbridgeAgentConf());
    const ml2 = readIni(cfg.ml2Conf());
    expect(neutron.experimental?.linuxbridge).to.equal("true");
    expect(neutron.DEFAULT?.host, "agent host must equal compute host").to.equal(nova.DEFAULT?.host);
    expect(ml2.ml2?.mechanism_drivers).to.equal("linuxbridge");
    expect(agent.linux_bridge?.physical_interface_mappings).to.equal("provider:mcprov0");
    expect(ml2.ml2_type_flat?.flat_networks).to.equal("provider");
    expect(agent.securitygroup?.firewall_driver).to.equal("noop");
    // The server keeps the security-group API: it drops the extension when this is false.
    expect(ml2.securitygroup?.enable_security_group).to.equal("true");
  });

  it("names Nova's service type to its auth middleware (access rules of application credentials are checked, not refused)", () => {
    expect(readIni(cfg.novaConf(ctx)).keystone_authtoken?.service_type).to.equal("compute");
  });

  it("gives each service user its own password and keeps state under the state directory", () => {
    const glance = readIni(cfg.glanceApiConf(ctx));
    expect(glance.keystone_authtoken?.username).to.equal("glance");
    expect(glance.keystone_authtoken?.password).to.equal(secrets.service.glance);
    expect(glance.fs?.filesystem_store_datadir).to.equal("/srv/mc/glance/images");
    expect(readIni(cfg.keystoneConf(ctx)).fernet_tokens?.key_repository).to.equal("/srv/mc/keystone/fernet-keys");
    expect(new Set(Object.values(secrets.service)).size).to.equal(Object.keys(secrets.service).length);
  });

  it("generates alphanumeric passwords of the asked length with no repeats", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword(24);
      expect(p).to.match(/^[A-Za-z0-9]{24}$/);
      seen.add(p);
    }
    expect(seen.size).to.equal(200);
  });

  it("writes SQL that creates every database and refuses values that would need quoting", () => {
    const sql = databaseSql(secrets);
    for (const db of ["keystone", "glance", "placement", "nova_api", "nova", "nova_cell0", "neutron"]) {
      expect(sql).to.contain(`CREATE DATABASE IF NOT EXISTS \`${db}\``);
    }
    expect(sql).to.contain(`GRANT ALL PRIVILEGES ON \`nova_cell0\`.* TO 'nova'@'127.0.0.1'`);
    const bad = { ...secrets, db: { ...secrets.db, glance: "x'; DROP DATABASE nova; --" } };
    expect(() => databaseSql(bad)).to.throw(/non-alphanumeric/);
  });

  it("renders clouds.yaml with the three clouds and an env line per cloud", () => {
    const doc = parse(renderCloudsYaml(secrets)) as { clouds: Record<string, any> };
    expect(Object.keys(doc.clouds)).to.deep.equal([...CLOUD_NAMES]);
    expect(doc.clouds["minicloud-a"].auth.password).to.equal(secrets.users["minicloud-a"]);
    expect(doc.clouds["minicloud-b"].auth.project_name).to.equal("minicloud-b");
    expect(doc.clouds["minicloud-admin"].auth.username).to.equal("admin");
    expect(renderEnv("minicloud-b", "/etc/openstack/clouds.yaml")).to.equal("export OS_CLOUD=minicloud-b\n");
    expect(renderEnv("minicloud-a", "/var/lib/minicloud/clouds.yaml")).to.contain(
      "export OS_CLIENT_CONFIG_FILE=/var/lib/minicloud/clouds.yaml",
    );
    expect(() => renderEnv("other", "/x")).to.throw(/unknown cloud 'other'/);
  });

  it("starts services in dependency order with pid-tracked command lines", () => {
    const names = serviceSpecs(layout).map((s) => s.name);
    expect(names.indexOf("mariadb")).to.be.lessThan(names.indexOf("keystone"));
    expect(names.indexOf("rabbitmq")).to.be.lessThan(names.indexOf("nova-conductor"));
    expect(names.indexOf("keystone")).to.be.lessThan(names.indexOf("glance-api"));
    const compute = serviceSpecs(layout).find((s) => s.name === "nova-compute");
    expect(compute?.argv).to.include("/etc/mc/nova/nova.conf");
  });

  it("makes the bootstrap image bytes locally and deterministically", () => {
    const a = tinyImageBytes();
    expect(a.length).to.equal(IMAGE_SIZE);
    expect(a.equals(tinyImageBytes())).to.equal(true);
  });

  describe("guests profile (up --guests)", () => {
    const g = { ...ctx, guests: true };

    it("leaves the plain profile's configuration exactly as it was", () => {
      // The API-only suite runs on the plain profile: nothing about zones, agents or metadata.
      const nova = readIni(cfg.novaConf(ctx));
      const neutron = readIni(cfg.neutronConf(ctx));
      expect(nova.DEFAULT?.default_schedule_zone).to.equal(undefined);
      expect(nova.filter_scheduler).to.equal(undefined);
      expect(nova.neutron?.service_metadata_proxy).to.equal("false");
      expect(neutron.DEFAULT?.dhcp_agent_notification).to.equal("false");
      expect(neutron.DEFAULT?.network_scheduler_driver).to.equal(undefined);
      expect(readIni(cfg.ml2Conf()).ml2?.mechanism_drivers).to.equal("linuxbridge");
      expect(readIni(cfg.linuxbridgeAgentConf()).vxlan?.l2_population).to.equal("false");
      const plain = serviceSpecs(layout).map((s) => s.name);
      expect(plain).to.not.include("libvirtd");
      expect(serviceSpecs(layout).find((s) => s.name === "neutron-server")?.env).to.equal(undefined);
    });

    it("keeps servers without a zone on the fake host and enforces the zone in the scheduler", () => {
      const nova = readIni(cfg.novaConf(g));
      expect(nova.DEFAULT?.compute_driver).to.equal("fake.FakeDriver");
      expect(nova.DEFAULT?.host).to.equal("minicloud");
      expect(nova.DEFAULT?.default_schedule_zone).to.equal("nova");
      expect(nova.filter_scheduler?.enabled_filters?.split(",")).to.include("AvailabilityZoneFilter");
    });

    it("runs the guests host on libvirt with QEMU TCG, its own host name and state", () => {
      const guests = readIni(cfg.novaGuestsComputeConf(g));
      expect(guests.DEFAULT?.host).to.equal("minicloud-guests");
      expect(guests.DEFAULT?.compute_driver).to.equal("libvirt.LibvirtDriver");
      expect(guests.libvirt?.virt_type).to.equal("qemu");
      expect(guests.libvirt?.cpu_mode).to.equal("none");
      expect(guests.DEFAULT?.instances_path).to.equal("/srv/mc/nova-guests/instances");
      expect(guests.oslo_concurrency?.lock_path).to.equal("/srv/mc/nova-guests/lock");
      expect(guests.DEFAULT?.force_config_drive).to.equal("false");
      const spec = serviceSpecs(layout, { guests: true }).find((s) => s.name === "nova-compute-guests");
      // Read after nova.conf, so its keys win (oslo.config: the last file that sets a key).
      const files = spec?.argv.filter((a) => a.startsWith("/etc/mc/"));
      expect(files).to.deep.equal(["/etc/mc/nova/nova.conf", "/etc/mc/nova/nova-compute-guests.conf"]);
    });

    it("signs metadata with one shared secret on both sides and serves it on 127.0.0.1 only", () => {
      const nova = readIni(cfg.novaConf(g));
      const agent = readIni(cfg.metadataAgentConf(g));
      expect(nova.neutron?.service_metadata_proxy).to.equal("true");
      expect(nova.neutron?.metadata_proxy_shared_secret).to.match(/^[A-Za-z0-9]{24}$/);
      expect(agent.DEFAULT?.metadata_proxy_shared_secret).to.equal(nova.neutron?.metadata_proxy_shared_secret);
      expect(nova.DEFAULT?.metadata_listen).to.equal("127.0.0.1");
      expect(agent.DEFAULT?.nova_metadata_port).to.equal(nova.DEFAULT?.metadata_listen_port);
      const noSecret = { ...g, secrets: { ...secrets, metadata: undefined } };
      expect(() => cfg.metadataAgentConf(noSecret)).to.throw(/metadata proxy secret/);
    });

    it("binds every real agent to the guests host, enforces security groups there only", () => {
      const l2 = readIni(cfg.linuxbridgeGuestsAgentConf());
      const dhcp = readIni(cfg.dhcpAgentConf());
      const l3 = readIni(cfg.l3AgentConf());
      for (const conf of [l2, dhcp, l3, readIni(cfg.metadataAgentConf(g))])
        expect(conf.DEFAULT?.host).to.equal(readIni(cfg.novaGuestsComputeConf(g)).DEFAULT?.host);
      expect(l2.securitygroup?.firewall_driver).to.equal("iptables");
      expect(readIni(cfg.linuxbridgeAgentConf(true)).securitygroup?.firewall_driver).to.equal("noop");
      expect(dhcp.DEFAULT?.interface_driver).to.equal("linuxbridge");
      expect(l3.DEFAULT?.interface_driver).to.equal("linuxbridge");
      expect(dhcp.agent?.availability_zone).to.equal("guests");
      expect(l3.agent?.availability_zone).to.equal("guests");
    });

    it("keeps VXLAN frames from looping back over lo (l2population, no multicast group)", () => {
      expect(readIni(cfg.ml2Conf(true)).ml2?.mechanism_drivers).to.equal("linuxbridge,l2population");
      expect(readIni(cfg.linuxbridgeAgentConf(true)).vxlan?.l2_population).to.equal("true");
      expect(readIni(cfg.linuxbridgeGuestsAgentConf()).vxlan?.l2_population).to.equal("true");
    });

    it("gives only zone-hinted networks and routers an agent, through neutron-server's PYTHONPATH", () => {
      const neutron = readIni(cfg.neutronConf(g));
      expect(neutron.DEFAULT?.dhcp_agent_notification).to.equal("true");
      // Neutron schedules a new network's DHCP only with auto-scheduling on (schedule_network).
      expect(neutron.DEFAULT?.network_auto_schedule).to.equal(undefined);
      const py = cfg.neutronSchedulersPy();
      for (const driver of [neutron.DEFAULT?.network_scheduler_driver, neutron.DEFAULT?.router_scheduler_driver]) {
        const [mod, cls] = (driver ?? "").split(".");
        expect(mod).to.equal("minicloud_neutron_schedulers");
        expect(py).to.contain(`class ${cls}(`);
      }
      const server = serviceSpecs(layout, { guests: true }).find((s) => s.name === "neutron-server");
      expect(server?.env?.PYTHONPATH).to.equal("/etc/mc/neutron/python");
      expect(server?.configFiles).to.include("/etc/mc/neutron/python/minicloud_neutron_schedulers.py");
    });

    it("starts libvirt before the guests host, and down covers every process of both profiles", () => {
      const names = serviceSpecs(layout, { guests: true }).map((s) => s.name);
      expect(names.indexOf("virtlogd")).to.be.lessThan(names.indexOf("libvirtd"));
      expect(names.indexOf("libvirtd")).to.be.lessThan(names.indexOf("nova-compute-guests"));
      for (const n of ["neutron-dhcp-agent", "neutron-l3-agent", "neutron-metadata-agent", "nova-api-metadata"])
        expect(names).to.include(n);
      expect(allServiceSpecs(layout).map((s) => s.name)).to.deep.equal(names);
      expect(new Set(names).size).to.equal(names.length);
      const libvirtd = serviceSpecs(layout, { guests: true }).find((s) => s.name === "libvirtd");
      expect(libvirtd?.argv).to.not.include("-d"); // foreground: its pid is the one we record
      expect(libvirtd?.ready).to.deep.equal({ kind: "unix", path: "/run/libvirt/libvirt-sock" });
    });

    it("adds a fake GPU host: its own host and state, a device spec for its two GPUs, the alias and PCI filter", () => {
      const nova = readIni(cfg.novaConf(g));
      const gpu = readIni(cfg.novaGpuComputeConf(g));
      expect(gpu.DEFAULT?.host).to.equal("minicloud-gpu");
      expect(gpu.DEFAULT?.instances_path).to.equal("/srv/mc/nova-gpu/instances");
      expect(gpu.oslo_concurrency?.lock_path).to.equal("/srv/mc/nova-gpu/lock");
      // The scheduler refuses a host without free devices instead of the compute host failing its claim.
      expect(nova.filter_scheduler?.enabled_filters?.split(",")).to.include("PciPassthroughFilter");
      const alias = JSON.parse(nova.pci?.alias ?? "{}");
      const spec = JSON.parse(gpu.pci?.device_spec ?? "{}");
      expect(alias).to.deep.equal({ name: "gpu", vendor_id: "10de", product_id: "1eb8", device_type: "type-PCI" });
      expect({ vendor_id: spec.vendor_id, product_id: spec.product_id }).to.deep.equal({
        vendor_id: alias.vendor_id,
        product_id: alias.product_id,
      });
      // Only the fake host assigns devices: on the libvirt host a spec would match the machine's own.
      expect(readIni(cfg.novaGuestsComputeConf(g)).pci).to.equal(undefined);
      expect(nova.pci?.device_spec).to.equal(undefined);
      expect(readIni(cfg.novaConf(ctx)).pci).to.equal(undefined);
      // The driver reports devices the device spec and alias match, with ids that fit pci_devices (VARCHAR(4)).
      const [mod, cls] = (gpu.DEFAULT?.compute_driver ?? "").split(".");
      expect(mod).to.equal("fake");
      const py = cfg.novaGpuDriverPy();
      expect(py).to.contain(`class ${cls}(fake.FakeDriver)`);
      expect(py).to.contain(`fake.${cls} = ${cls}`);
      const devices = JSON.parse(JSON.parse(/GPUS = json\.loads\((".*")\)/.exec(py)?.[1] ?? '""'));
      expect(devices).to.have.length(2);
      for (const d of devices) {
        expect(d.vendor_id).to.equal(alias.vendor_id);
        expect(d.product_id).to.equal(alias.product_id);
        expect(d.dev_type).to.equal(alias.device_type);
      }
      const compute = serviceSpecs(layout, { guests: true }).find((s) => s.name === "nova-compute-gpu");
      expect(compute?.env?.PYTHONPATH).to.equal("/etc/mc/nova/python");
      // The module is imported after nova.cmd.compute (eventlet's monkey-patching) and before main().
      expect(compute?.argv[2]).to.match(/from nova\.cmd\.compute import main; import minicloud_nova_gpu; sys\.exit/);
      expect(compute?.configFiles).to.include("/etc/mc/nova/python/minicloud_nova_gpu.py");
      const l2 = readIni(cfg.linuxbridgeGpuAgentConf());
      expect(l2.DEFAULT?.host).to.equal("minicloud-gpu");
      expect(l2.securitygroup?.firewall_driver).to.equal("noop");
      expect(serviceSpecs(layout).map((s) => s.name)).to.not.include("nova-compute-gpu");
    });

    it("reads iptables-save rules with quoted comments and recognises only Neutron's chains", () => {
      expect(
        splitIptablesRule('-A FORWARD -m comment --comment "neutron-linuxbri: \\"x\\"" -j neutron-filter-top'),
      ).to.deep.equal([
        "-A",
        "FORWARD",
        "-m",
        "comment",
        "--comment",
        'neutron-linuxbri: "x"',
        "-j",
        "neutron-filter-top",
      ]);
      expect(NEUTRON_CHAIN.test("neutron-linuxbri-sg-chain")).to.equal(true);
      expect(NEUTRON_CHAIN.test("neutron-filter-top")).to.equal(true);
      expect(NEUTRON_CHAIN.test("DOCKER-USER")).to.equal(false);
      expect(NEUTRON_CHAIN.test("neutron-filter-topx")).to.equal(false);
    });
  });

  describe("block storage (Cinder, NFS driver on a local share)", () => {
    const g = { ...ctx, guests: true };

    it("runs Cinder's NFS driver on the one share, on 127.0.0.1 only, with secure NAS file settings", () => {
      const cinder = readIni(cfg.cinderConf(ctx));
      expect(cinder.DEFAULT?.osapi_volume_listen).to.equal("127.0.0.1");
      expect(cinder.DEFAULT?.osapi_volume_listen_port).to.equal("8776");
      expect(cinder.DEFAULT?.enabled_backends).to.equal("nfs");
      expect(cinder.nfs?.volume_driver).to.equal("cinder.volume.drivers.nfs.NfsDriver");
      expect(cinder.nfs?.nfs_shares_config).to.equal("/etc/mc/cinder/nfs_shares");
      expect(cinder.nfs?.nfs_mount_point_base).to.equal("/srv/mc/cinder/mnt");
      expect(cinder.nfs?.nas_secure_file_permissions).to.equal("true");
      expect(cinder.nfs?.nas_secure_file_operations).to.equal("true");
      expect(nfsSharesConf(layout)).to.equal("127.0.0.1:/srv/mc/cinder/volumes\n");
      expect(cinder.database?.connection).to.contain("@127.0.0.1:13306/cinder?");
    });

    it("puts the mount wrapper first for exactly the two callers that mount the share", () => {
      const bin = storagePaths(layout).binDir;
      expect(bin).to.equal("/etc/mc/storage/bin");
      const volumeService = serviceSpecs(layout).find((s) => s.name === "cinder-volume");
      expect(volumeService?.env?.PATH).to.equal(storagePath(layout));
      expect(storagePath(layout).split(":")[0]).to.equal(bin);
      // Only cinder-volume: the API and the scheduler never mount.
      expect(serviceSpecs(layout).find((s) => s.name === "cinder-api")?.env).to.equal(undefined);
      const guests = readIni(cfg.novaGuestsComputeConf(g));
      expect(guests.libvirt?.nfs_mount_point_base).to.equal("/srv/mc/nova-guests/mnt");
      const helper = guests.nova_sys_admin?.helper_command?.split(" ") ?? [];
      expect(helper.slice(0, 3)).to.deep.equal([
        "env",
        `PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        "privsep-helper",
      ]);
      // The fake host never mounts anything: its config has no helper override.
      expect(readIni(cfg.novaConf(g)).nova_sys_admin).to.equal(undefined);
      const volume = serviceSpecs(layout).find((s) => s.name === "cinder-volume");
      expect(volume?.configFiles).to.include(`${bin}/mount`);
    });

    it("registers Cinder's database and service user, and its processes in both profiles", () => {
      expect(databaseSql(secrets)).to.contain("CREATE DATABASE IF NOT EXISTS `cinder`");
      expect(secrets.service.cinder).to.match(/^[A-Za-z0-9]{24}$/);
      for (const profile of [{}, { guests: true }]) {
        const names = serviceSpecs(layout, profile).map((s) => s.name);
        expect(names).to.include.members(["cinder-api", "cinder-scheduler", "cinder-volume"]);
      }
    });

    it("finds the share's mounts under the mount bases only, deepest first", () => {
      const all = [
        "/",
        "/srv/mc/cinder/mnt/abc",
        "/srv/mc/cinder/mntx/abc",
        "/srv/mc/nova-guests/mnt/abc",
        "/srv/mc/nova-guests/mnt/abc/x",
      ];
      expect(mountsUnder(["/srv/mc/cinder/mnt", "/srv/mc/nova-guests/mnt"], all)).to.deep.equal([
        "/srv/mc/nova-guests/mnt/abc/x",
        "/srv/mc/nova-guests/mnt/abc",
        "/srv/mc/cinder/mnt/abc",
      ]);
    });
  });
});
