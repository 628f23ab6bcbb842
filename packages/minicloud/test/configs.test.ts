/** Pure checks of what minicloud renders: configs, clouds.yaml, SQL, passwords. */
import { expect } from "chai";
import { parse } from "yaml";
import { CLOUD_NAMES, renderCloudsYaml, renderEnv } from "../src/clouds-yaml";
import { tinyImageBytes, IMAGE_SIZE } from "../src/cloud-resources";
import { renderIni } from "../src/ini";
import { defaultLayout } from "../src/layout";
import { generatePassword, generateSecrets } from "../src/secrets";
import * as cfg from "../src/service-configs";
import { serviceSpecs } from "../src/services";
import { databaseSql } from "../src/up";

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
});
