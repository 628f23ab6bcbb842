import { expect } from "chai";
import { parse } from "yaml";
import {
  allStrings,
  installMocks,
  outputIsSecret,
  outputValue,
  ProgramRun,
  RecordedResource,
  T,
  commandStdout,
} from "@openstack-blueprints/test-harness";
import type { DevstackHostArgs } from "../../src/devstack/devstack-args";
import { DevstackHost, devstackProvider } from "../../src/devstack/devstack-host";
import { renderLocalConfTemplate } from "../../src/devstack/local-conf";
import * as pulumi from "@pulumi/pulumi";
import { planDevstackHost, validateDevstackSettings } from "../../src/devstack/devstack-plan";
import { ComponentArgsError } from "../../src/errors";
import { ALPHANUMERIC } from "../../src/secrets/generated-secret";

const harness = installMocks();

const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZS1rZXktZm9yLXRlc3Rz\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlueprintsTestHostKey";

function baseArgs(extra: Partial<DevstackHostArgs> = {}): DevstackHostArgs {
  return {
    connection: { host: "192.168.50.10", user: "root", privateKey: PRIVATE_KEY, hostKey: HOST_KEY },
    hostIp: "192.168.50.10",
    floatingAllocationStart: "172.24.4.100",
    floatingAllocationEnd: "172.24.4.200",
    cpuAllocationRatio: 16,
    ...extra,
  };
}

const STEPS = ["precheck", "prepare", "clone", "local-conf", "stack", "nat"].map((s) => `lab-${s}`);

async function build(extra: Partial<DevstackHostArgs> = {}): Promise<ProgramRun<DevstackHost>> {
  const run = await harness.runProgram(() => new DevstackHost("lab", baseArgs(extra)));
  expect(run.thrown, run.thrown?.message).to.equal(undefined);
  expect(run.errors.map((e) => e.message)).to.deep.equal([]);
  return run;
}

const commandsOf = (run: ProgramRun<unknown>) => run.byType(T.remoteCommand);
const passwordsOf = (run: ProgramRun<unknown>) =>
  ["admin", "database", "rabbit", "service"].map((role) => String(run.byName(`lab-${role}-password`).state.value));

describe("DevstackHost (under the mock harness)", function () {
  this.timeout(60_000);

  it("declares the steps as children in a dependsOn chain, the provider and cloud objects after them", async () => {
    const run = await build({
      images: [
        {
          name: "debian-12",
          sourceUrl: "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2",
        },
      ],
      flavors: [{ name: "m1.lab", vcpus: 2, ramMiB: 4096, diskGiB: 20 }],
    });
    const component = run.byName("lab");
    expect(component.type).to.equal("openstack-blueprints:index:DevstackHost");
    expect(commandsOf(run).map((c) => c.name)).to.deep.equal(STEPS);
    for (const c of commandsOf(run)) expect(c.parent).to.equal(component.urn);
    // each step depends, transitively, on every earlier one
    STEPS.forEach((stepName, i) => {
      const deps = run.dependsOnTransitively(run.byName(stepName).urn);
      for (const earlier of STEPS.slice(0, i)) {
        if (stepName === "lab-nat" || earlier !== "lab-nat")
          expect(deps.has(run.byName(earlier).urn), `${stepName} after ${earlier}`).to.equal(true);
      }
      for (const later of STEPS.slice(i + 1))
        expect(deps.has(run.byName(later).urn), `${stepName} not after ${later}`).to.equal(false);
    });
    const provider = run.byName("lab-provider");
    expect(provider.type).to.equal("pulumi:providers:openstack");
    const providerDeps = run.dependsOnTransitively(provider.urn);
    expect(providerDeps.has(run.byName("lab-stack").urn) && providerDeps.has(run.byName("lab-nat").urn)).to.equal(true);
    for (const n of ["lab-image-debian-12", "lab-flavor-m1-lab"]) {
      const r = run.byName(n);
      expect(r.provider.startsWith(provider.urn), `${n} uses the devstack provider`).to.equal(true);
      expect(run.dependsOnTransitively(r.urn).has(run.byName("lab-stack").urn)).to.equal(true);
    }
    expect(run.byName("lab-flavor-m1-lab").inputs).to.include({
      name: "m1.lab",
      vcpus: 2,
      ram: 4096,
      disk: 20,
      isPublic: true,
    });
    expect(run.byName("lab-image-debian-12").inputs).to.include({ containerFormat: "bare", diskFormat: "qcow2" });
    expect(devstackProvider(run.value!)).to.be.an("object");
    expect(await outputValue(run.value!.imageIds)).to.have.length(1);
  });

  it("connects with a pinned host key and the private key as a secret", async () => {
    const run = await build();
    for (const c of commandsOf(run)) {
      expect(c.inputs.connection).to.include({ host: "192.168.50.10", user: "root", hostKey: HOST_KEY });
      // The SDK marks the whole connection secret once one field is (it applies defaults to it).
      expect(
        c.secretPaths.some((path) => path === "connection" || path === "connection.privateKey"),
        c.name,
      ).to.equal(true);
    }
  });

  it("guards stack.sh: marker per rebuild key, triggers only on the key, delete before replace, long timeout", async () => {
    const run = await build();
    const stack = run.byName("lab-stack");
    expect(stack.inputs.triggers).to.deep.equal(["1"]);
    expect(stack.deleteBeforeReplace).to.equal(true);
    expect(stack.inputs.create).to.contain("/opt/stack/.openstack-blueprints/stack.sh.1.done");
    expect(stack.inputs.create).to.contain("not running it again");
    expect(stack.inputs.delete).to.contain("./unstack.sh").and.not.to.contain("./clean.sh");
    expect(stack.customTimeouts).to.deep.equal({ create: "90m", update: "90m", delete: "30m" });
    for (const c of commandsOf(run).filter((r) => r.name !== "lab-stack")) {
      expect(c.inputs.triggers, c.name).to.equal(undefined);
      expect(parseInt(c.customTimeouts.create!, 10), c.name).to.be.at.most(20);
    }
    const slow = await build({ stackTimeoutMinutes: 150, cleanOnDelete: true });
    expect(slow.byName("lab-stack").customTimeouts.create).to.equal("150m");
    expect(slow.byName("lab-stack").inputs.delete).to.contain("./clean.sh");
  });

  it("re-runs exactly the steps whose inputs change", async () => {
    const texts = (run: ProgramRun<unknown>) =>
      Object.fromEntries(
        commandsOf(run).map((c) => [c.name, JSON.stringify([c.inputs.create, c.inputs.delete, c.inputs.triggers])]),
      );
    const changed = (a: Record<string, string>, b: Record<string, string>) =>
      Object.keys(a)
        .filter((k) => a[k] !== b[k])
        .sort();
    const base = texts(await build());
    expect(changed(base, texts(await build()))).to.deep.equal([]); // deterministic
    expect(
      changed(
        base,
        texts(
          await build({
            floatingRange: "172.30.0.0/24",
            floatingAllocationStart: "172.30.0.100",
            floatingAllocationEnd: "172.30.0.200",
          }),
        ),
      ),
    ).to.deep.equal(["lab-local-conf", "lab-nat"]);
    expect(changed(base, texts(await build({ cpuAllocationRatio: 8 })))).to.deep.equal(["lab-local-conf"]);
    expect(changed(base, texts(await build({ branch: "stable/2025.2" })))).to.deep.equal(["lab-clone", "lab-precheck"]);
    expect(changed(base, texts(await build({ rebuild: "2" })))).to.deep.equal(["lab-stack"]);
    expect(changed(base, texts(await build({ minRamMiB: 16000 })))).to.deep.equal(["lab-precheck"]);
  });

  it("keeps every secret out of command text, environment and logs; passwords only on stdin", async () => {
    const run = await build();
    const passwords = passwordsOf(run);
    expect(passwords).to.have.length(4);
    for (const p of passwords) expect(p).to.match(/^[A-Za-z0-9]{32}$/);
    for (const p of run.byType(T.generatedSecret)) {
      expect(p.inputs).to.include({ alphabet: ALPHANUMERIC, length: 32, minPerClass: 2 });
      expect(p.additionalSecretOutputs).to.include("value");
    }
    for (const c of commandsOf(run)) {
      const visible = allStrings([
        c.inputs.create,
        c.inputs.update,
        c.inputs.delete,
        c.inputs.environment,
        c.inputs.triggers,
      ]).join("\n");
      for (const secret of [...passwords, PRIVATE_KEY])
        expect(visible.includes(secret), `${c.name} text contains a secret`).to.equal(false);
      expect(c.inputs.environment, c.name).to.equal(undefined);
    }
    const localConf = run.byName("lab-local-conf");
    expect(localConf.secretPaths).to.include("stdin");
    expect(localConf.inputs.stdin).to.equal(passwords.map((p) => `${p}\n`).join(""));
    expect(localConf.inputs.logging).to.equal("none");
    expect(localConf.additionalSecretOutputs).to.include.members(["stdout", "stderr"]);
    expect(run.byName("lab-stack").inputs.logging).to.equal("stderr");
    for (const c of commandsOf(run).filter((r) => r.name !== "lab-local-conf"))
      expect(c.inputs.stdin, c.name).to.equal(undefined);
    const provider = run.byName("lab-provider");
    expect(provider.secretPaths).to.include("password");
    expect(provider.inputs).to.include({
      authUrl: "http://192.168.50.10/identity/v3",
      userName: "admin",
      tenantName: "admin",
      region: "RegionOne",
    });
  });

  it("adoptPasswords: a DevStack made with RandomPassword keeps its passwords across the move; later runs keep them", async () => {
    // The stack being moved has no GeneratedSecret in its state yet: the engine creates them.
    harness.forgetState();
    const old = { admin: "AdminFromRandom0123456789abcdefgh", service: "ServiceFromRandom0123456789abcdef" };
    const adopted = await build({ adoptPasswords: { admin: pulumi.secret(old.admin), service: old.service } });
    const [admin, database, rabbit, service] = passwordsOf(adopted);
    expect(admin).to.equal(old.admin);
    expect(service).to.equal(old.service);
    for (const p of [database, rabbit]) expect(p).to.match(/^[A-Za-z0-9]{32}$/);
    expect(await outputValue(adopted.value!.adminPassword)).to.equal(old.admin);
    for (const p of adopted.byType(T.generatedSecret).filter((r) => r.inputs.initialValue !== undefined))
      expect(p.secretPaths, p.name).to.include("initialValue");
    // Dropping (or changing) the setting afterwards changes nothing: the state holds them now.
    expect(passwordsOf(await build())).to.deep.equal([admin, database, rabbit, service]);
    expect(passwordsOf(await build({ adoptPasswords: { admin: "SomethingElse0123456789" } }))[0]).to.equal(old.admin);
    expect(() => planDevstackHost("lab", baseArgs({ adoptPasswords: { rabbit: "short!" } }))).to.throw(
      /adoptPasswords\.rabbit[\s\S]*is not a DevStack password/,
    );
  });

  it("tlsProxy: https endpoints, the CA chain read back after stack.sh and given to the provider (never insecure)", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBdevstackRootCA\n-----END CERTIFICATE-----\n";
    commandStdout.set("lab-ca-certificate", pem);
    const run = await build({ tlsProxy: true }).finally(() => commandStdout.clear());
    const ca = run.byName("lab-ca-certificate");
    expect(String(ca.inputs.create)).to.contain("/opt/stack/data/CA/int-ca/ca-chain.pem");
    expect(run.dependsOnTransitively(ca.urn).has(run.byName("lab-stack").urn)).to.equal(true);
    const provider = run.byName("lab-provider");
    expect(run.dependsOnTransitively(provider.urn).has(ca.urn)).to.equal(true);
    expect(provider.inputs).to.include({ authUrl: "https://192.168.50.10/identity/v3", cacertFile: pem });
    expect(provider.inputs.insecure).to.equal(undefined);
    const host = run.value!;
    expect(await outputValue(host.caCertificate)).to.equal(pem);
    expect(await outputValue(host.authUrl)).to.equal("https://192.168.50.10/identity/v3");
    expect(await outputValue(host.dashboardUrl)).to.equal("https://192.168.50.10/dashboard");
    expect(String(run.byName("lab-local-conf").inputs.create)).to.match(/enable_service [^\n]*tls-proxy/);

    const plain = await build();
    expect(() => plain.byName("lab-ca-certificate")).to.throw("no resource named lab-ca-certificate");
    expect(plain.byName("lab-provider").inputs.cacertFile).to.equal(undefined);
    expect(await outputValue(plain.value!.caCertificate)).to.equal("");
  });

  it("ships the rendered local.conf template and joins the passwords in only on the host", async () => {
    const run = await build({
      extraLocalrcLines: ["enable_plugin heat https://opendev.org/openstack/heat stable/2026.1"],
    });
    const create = String(run.byName("lab-local-conf").inputs.create);
    const settings = validateDevstackSettings(
      "x",
      baseArgs({ extraLocalrcLines: ["enable_plugin heat https://opendev.org/openstack/heat stable/2026.1"] }),
    );
    const template = renderLocalConfTemplate(settings);
    // the command is `s='<script>'; …`: unquote the script and find the template verbatim
    const script = create.slice(3, create.indexOf("'; if [")).replace(/'\\''/g, "'");
    expect(script).to.contain(template.rest.trimEnd());
    expect(script).to.contain("Q_FLOATING_ALLOCATION_POOL=start=172.24.4.100,end=172.24.4.200");
    expect(script).to.contain("cpu_allocation_ratio = 16.0");
    expect(script).to.contain("printf 'ADMIN_PASSWORD=%s\\n' \"$ADMIN_PASSWORD\"");
  });

  it("outputs URLs, region, a secret admin password and a secret clouds.yaml", async () => {
    const run = await build({ region: "Lab1", cloudName: "lab" });
    const host = run.value!;
    expect(await outputValue(host.dashboardUrl)).to.equal("http://192.168.50.10/dashboard");
    expect(await outputValue(host.identityUrl)).to.equal("http://192.168.50.10/identity");
    expect(await outputValue(host.region)).to.equal("Lab1");
    expect(await outputIsSecret(host.adminPassword)).to.equal(true);
    expect(await outputIsSecret(host.cloudsYaml)).to.equal(true);
    const admin = String(run.byName("lab-admin-password").state.value);
    expect(await outputValue(host.adminPassword)).to.equal(admin);
    const doc = parse(await outputValue(host.cloudsYaml));
    expect(doc.clouds.lab).to.deep.include({ region_name: "Lab1", identity_api_version: 3 });
    expect(doc.clouds.lab.auth).to.deep.equal({
      auth_url: "http://192.168.50.10/identity",
      username: "admin",
      password: admin,
      project_name: "admin",
      user_domain_name: "Default",
      project_domain_name: "Default",
    });
    expect(await outputValue(host.providerUrn)).to.equal(run.byName("lab-provider").urn);
    expect(String(run.byName("lab-local-conf").inputs.create)).to.contain("REGION_NAME=Lab1");
  });

  it("refuses bad input before registering anything", async () => {
    const cases: [Partial<DevstackHostArgs>, RegExp][] = [
      [{ hostIp: "" }, /hostIp: "" is required/],
      [{ extraLocalrcLines: ["FLAT_INTERFACE=eth0"] }, /FLAT_INTERFACE, which is refused: it belonged to nova-network/],
      [{ rebuild: "two words" }, /rebuild: "two words" is not a usable rebuild key/],
      [{ stackTimeoutMinutes: 5 }, /stackTimeoutMinutes: 5/],
      [{ publicInterface: "eth1", persistentNat: true }, /persistentNat: true is set with publicInterface eth1/],
      [{ flavors: [{ name: "a", vcpus: 0, ramMiB: 1, diskGiB: 1 }] }, /flavors\[0\]\.vcpus: 0/],
      [
        { images: [{ name: "x", sourceUrl: "ftp://a" }] },
        /images\[0\]\.sourceUrl: "ftp:\/\/a" is not an http\(s\) URL/,
      ],
      [{ extraVolumeDevice: "sdb" }, /extraVolumeDevice: "sdb" is not a \/dev path/],
    ];
    for (const [extra, message] of cases) {
      const run = await harness.runProgram(() => new DevstackHost("lab", baseArgs(extra)));
      expect(run.thrown?.message, JSON.stringify(extra)).to.match(message);
      expect(
        run.resources.map((r: RecordedResource) => r.name),
        JSON.stringify(extra),
      ).to.deep.equal([]);
    }
  });

  it("reports every problem of a badly copied stack file at once, as one ComponentArgsError naming field, value and fix", async () => {
    // A lab admin copied an old guide: wrong address, a retired branch, a nova-network variable,
    // a flavor without CPUs, a clashing pool and an empty quota block, all in one stack file.
    const args = baseArgs({
      hostIp: "192.168.50",
      branch: "stable/zed",
      extraLocalrcLines: ["FLAT_INTERFACE=eth0"],
      flavors: [{ name: "m1.lab", vcpus: 0, ramMiB: 2048, diskGiB: 20 }],
      floatingAllocationStart: "172.24.4.1",
      quotas: {},
      connection: { host: "", privateKey: PRIVATE_KEY, hostKey: HOST_KEY, port: 70000 },
    });
    let error: unknown;
    try {
      planDevstackHost("lab", args);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect(error).to.be.instanceOf(pulumi.InputPropertiesError);
    const problems = (error as ComponentArgsError).problems;
    expect(problems.map((p) => p.field)).to.have.members([
      "connection.host",
      "connection.port",
      "hostIp",
      "branch",
      "flavors[0].vcpus",
      "quotas",
      "extraLocalrcLines[0]",
      "floatingAllocationStart",
    ]);
    for (const p of problems) expect(p.problem, p.field).to.contain(". Fix: ");
    const message = (error as Error).message;
    expect(message).to.contain('hostIp: "192.168.50" is not an IPv4 address. Fix: use a dotted quad');
    expect(message).to.contain('branch: "stable/zed" is not a supported devstack branch');
    expect(message).to.contain("flavors[0].vcpus: 0 is not a positive whole number");
    expect(message).to.contain(
      'floatingAllocationStart: "172.24.4.1" pool 172.24.4.1-172.24.4.200 contains publicNetworkGateway 172.24.4.1',
    );
    expect(message).not.to.contain("ZmFrZS1rZXktZm9yLXRlc3Rz");
    // Through the engine: nothing is registered.
    const run = await harness.runProgram(() => new DevstackHost("lab", args));
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    expect(run.resources).to.deep.equal([]);
  });

  it("keeps the private key out of the message even when it is the bad value", () => {
    const secretish = { toString: () => "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0\n" } as unknown as string;
    const thrown = (() => {
      try {
        planDevstackHost("lab", baseArgs({ connection: { host: "h", privateKey: secretish, hostKey: HOST_KEY } }));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(thrown).to.be.instanceOf(ComponentArgsError);
    expect(thrown!.message).to.match(/connection\.privateKey: "\[secret\]" is required/);
    expect(thrown!.message).not.to.contain("c2VjcmV0");
  });

  it("sets the project's quotas after stack.sh when asked, and the provider (so every cloud object) waits for it", async () => {
    const run = await build({ quotas: { instances: 210, cores: 420, floatingIps: 210 } });
    const quotas = run.byName("lab-quotas");
    expect(quotas.inputs.create as string).to.contain(
      "openstack quota set --instances 210 --cores 420 --floating-ips 210 admin",
    );
    expect(run.dependsOnTransitively(quotas.urn).has(run.byName("lab-stack").urn)).to.equal(true);
    expect(run.dependsOnTransitively(run.byName("lab-provider").urn).has(quotas.urn)).to.equal(true);
    expect((await build()).resources.map((r) => r.name)).not.to.include("lab-quotas");
    const bad = await harness.runProgram(() => new DevstackHost("lab", baseArgs({ quotas: { instances: -5 } })));
    expect(bad.thrown?.message)
      .to.contain("DevstackHost lab: invalid arguments")
      .and.contain("quotas.instances: -5 is not a quota. Fix: use a whole number (-1 for unlimited)");
  });

  it("sizes Cinder's backing file: written to local.conf, and refused below a known volume quota", async () => {
    const problemsOf = (extra: Partial<DevstackHostArgs>) => {
      try {
        planDevstackHost("lab", baseArgs(extra));
        return [];
      } catch (e) {
        return (e as ComponentArgsError).problems.map((p) => `${p.field}: ${p.problem}`);
      }
    };
    const plan = planDevstackHost(
      "lab",
      baseArgs({ volumeBackingFileSize: "2T", quotas: { volumes: 210, volumeGiB: 2048 } }),
    );
    expect(plan.scripts.localConf).to.contain("VOLUME_BACKING_FILE_SIZE=2T\n");
    expect(renderLocalConfTemplate(plan.settings).rest.split("\n")).to.include("VOLUME_BACKING_FILE_SIZE=2T");
    // DevStack's own default (30G) holds a default-sized quota; 2000 GiB of homes do not fit it.
    expect(problemsOf({ quotas: { volumeGiB: 30 } })).to.deep.equal([]);
    expect(problemsOf({ quotas: { volumes: 200, volumeGiB: 2000 } })).to.deep.equal([
      "volumeBackingFileSize: is unset: DevStack's default 30G holds 30 GiB of Cinder volumes, less than quotas.volumeGiB 2000. " +
        'Fix: set volumeBackingFileSize to at least "2000G" (a little more: LVM\'s thin pool keeps metadata in it), lower quotas.volumeGiB, or add a disk with extraVolumeDevice',
    ]);
    expect(problemsOf({ volumeBackingFileSize: "1999G", quotas: { volumeGiB: 2000 } })[0]).to.contain(
      "volumeBackingFileSize: holds 1999 GiB of Cinder volumes, less than quotas.volumeGiB 2000",
    );
    expect(problemsOf({ volumeBackingFileSize: "2048000M", quotas: { volumeGiB: 2000 } })).to.deep.equal([]);
    // Nothing known to compare: unlimited quota, an extra disk of the host's size, no Cinder volume service.
    expect(problemsOf({ quotas: { volumeGiB: -1 } })).to.deep.equal([]);
    expect(problemsOf({ quotas: { volumeGiB: 2000 }, extraVolumeDevice: "/dev/sdb" })).to.deep.equal([]);
    expect(problemsOf({ quotas: { volumeGiB: 2000 }, disabledServices: ["c-vol"] })).to.deep.equal([]);
    // Reported with the other problems at once.
    expect(problemsOf({ quotas: { volumeGiB: 2000 }, cpuAllocationRatio: 0 })).to.have.length(2);
    expect(problemsOf({ volumeBackingFileSize: "2P" })[0]).to.contain(
      "volumeBackingFileSize: is not a size devstack understands",
    );
  });

  it("skips NAT in the flat-LAN layout and adds the extra-volume step when asked", async () => {
    const run = await build({
      hostIp: "10.42.0.52",
      floatingRange: "10.42.0.0/24",
      publicInterface: "eth0",
      floatingAllocationStart: "10.42.0.250",
      floatingAllocationEnd: "10.42.0.254",
      extraVolumeDevice: "/dev/vdb",
    });
    expect(commandsOf(run).map((c) => c.name)).to.deep.equal([
      "lab-precheck",
      "lab-prepare",
      "lab-clone",
      "lab-local-conf",
      "lab-stack",
      "lab-extra-volume",
    ]);
    expect(String(run.byName("lab-local-conf").inputs.create)).to.contain("PUBLIC_INTERFACE=eth0");
    expect(run.dependsOnTransitively(run.byName("lab-extra-volume").urn).has(run.byName("lab-stack").urn)).to.equal(
      true,
    );
  });
});
