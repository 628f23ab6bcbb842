// Starts the policy pack the way the Pulumi CLI does (its entry file prints the port of a gRPC
// Analyzer server) and talks to it over gRPC with Pulumi's own protocol stubs: the pack loads,
// lists its policies, and the engine-facing `analyze` call reports violations. What cannot run
// here: the CLI itself choosing and launching the pack (`--policy-pack`).
import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- generated gRPC stubs without type declarations
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- generated protobuf messages without type declarations
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");

const packDir = path.resolve(__dirname, "..");

describe("policy pack served over gRPC (as the Pulumi engine sees it)", function () {
  this.timeout(90_000);
  let child: ChildProcess;
  let client: any;

  before(async () => {
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(packDir, "src/index.ts")], {
      cwd: packDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once("data", (d) => resolve(Number(String(d).trim().split("\n")[0])));
      child.once("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    expect(port).to.be.greaterThan(0);
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child?.pid !== undefined && child.exitCode === null) child.kill("SIGTERM");
  });

  const call = <T>(method: string, request: unknown): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](request, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))),
    );

  it("lists its five mandatory policies", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    expect(info.getName()).to.equal("openstack-blueprints");
    const policies = info.getPoliciesList().map((p: any) => p.getName());
    expect(policies).to.have.members([
      "no-world-open-admin-ingress",
      "no-plain-passwords-in-user-data",
      "user-data-within-nova-limit",
      "security-groups-on-ports",
      "floating-ips-on-routed-subnets",
    ]);
    // EnforcementLevel.MANDATORY is 1 in Pulumi's analyzer protocol.
    for (const p of info.getPoliciesList())
      expect(p.getEnforcementlevel(), p.getName()).to.equal(analyzerPb.EnforcementLevel.MANDATORY);
  });

  async function analyze(type: string, name: string, properties: Record<string, unknown>): Promise<string[]> {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:dev::openstack-blueprints::${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(properties as any));
    // The engine always sends resource options (the pack refuses requests from old CLIs without).
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const resp: any = await call("analyze", req);
    return resp.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage()}`);
  }

  it("reports a world-open SSH rule and accepts one from a LAN", async () => {
    const rule = {
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      securityGroupId: "sg-1",
    };
    const bad = await analyze("openstack:networking/secGroupRule:SecGroupRule", "ssh", {
      ...rule,
      remoteIpPrefix: "0.0.0.0/0",
    });
    expect(bad).to.have.length(1);
    expect(bad[0])
      .to.match(/^no-world-open-admin-ingress: /)
      .and.contain("opens SSH (22) from 0.0.0.0/0");
    expect(
      await analyze("openstack:networking/secGroupRule:SecGroupRule", "ssh-lan", {
        ...rule,
        remoteIpPrefix: "192.168.1.0/24",
      }),
    ).to.deep.equal([]);
  });

  it("reports password SSH in user data and groups on an instance", async () => {
    const found = await analyze("openstack:compute/instance:Instance", "web", {
      flavorName: "m1.small",
      imageName: "debian-12",
      userData: "#cloud-config\nssh_pwauth: true\n",
      securityGroups: ["default"],
    });
    expect(found.map((f) => f.split(":")[0]).sort()).to.deep.equal([
      "no-plain-passwords-in-user-data",
      "security-groups-on-ports",
    ]);
  });
});
