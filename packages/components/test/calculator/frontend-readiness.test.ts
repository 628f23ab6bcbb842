import { expect } from "chai";
import type { AddressInfo } from "node:net";
import * as http from "node:http";
import {
  createFrontendServer,
  createOperationServer,
  OPERATION_NAMES,
  OPERATIONS,
  OperationName,
} from "@openstack-blueprints/calculator";
import { ReadinessInputs, waitForFrontend } from "../../src/calculator/frontend-readiness-check";
import { diffReadinessInputs } from "../../src/calculator/frontend-readiness";
import { READINESS_EXPECTED, READINESS_EXPRESSION } from "../../src/calculator/two-tier-calculator-plan";

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

/**
 * The readiness check against the real calculator (front end and the four services on this
 * host, the code the guests run): it passes only once every service answers, and fails after
 * its timeout with what it last saw.
 */
describe("the calculator's readiness check (real front end and services on localhost)", function () {
  this.timeout(30_000);
  const servers: http.Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  async function calculator(running: OperationName[]): Promise<string> {
    const services = {} as Record<OperationName, string>;
    for (const name of OPERATION_NAMES) {
      const server = createOperationServer(OPERATIONS[name]);
      servers.push(server);
      services[name] = await listen(server);
      // A service that is not running: its port is closed again, so the front end's call is refused.
      if (!running.includes(name)) await new Promise((r) => server.close(r));
    }
    const frontend = createFrontendServer({ services, serviceTimeoutMs: 1000 });
    servers.push(frontend);
    return listen(frontend);
  }
  const inputs = (url: string, timeoutSeconds: number): ReadinessInputs => ({
    url,
    expression: READINESS_EXPRESSION,
    expected: READINESS_EXPECTED,
    timeoutSeconds,
    servers: { frontend: "f" },
  });

  it("passes when the front end computes the expression through all four services", async () => {
    const out = await waitForFrontend(inputs(await calculator([...OPERATION_NAMES]), 10), { pollMs: 200 });
    expect(out.report).to.equal("answered: (4+5)*3-10/2 = 22 after 0 s");
  });

  it("fails after its timeout when one service does not answer, saying what the front end said", async () => {
    const url = await calculator(["sum", "sub", "mul"]);
    const started = Date.now();
    const err = await waitForFrontend(inputs(url, 2), { pollMs: 300 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err, "the check must fail").to.be.instanceOf(Error);
    expect(Date.now() - started).to.be.within(1500, 6000);
    expect(err!.message).to.match(/did not compute \(4\+5\)\*3-10\/2 = 22 within 2 s/);
    expect(err!.message).to.match(/last: HTTP 50\d/);
    expect(err!.message).to.contain("inside clientCidr");
  });

  it("fails when nothing listens at the URL", async () => {
    const closed = http.createServer();
    const url = await listen(closed);
    await new Promise((r) => closed.close(r));
    const err = await waitForFrontend(inputs(url, 1), { pollMs: 200 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err!.message).to.match(/last: ECONNREFUSED/);
    expect(err!.message).to.not.contain("ML2/OVN");
    const hinted = await waitForFrontend({ ...inputs(url, 1), hint: "Look at ML2/OVN's SNAT." }, { pollMs: 200 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(hinted!.message).to.match(/skip the check\. Look at ML2\/OVN's SNAT\.$/);
  });

  it("checks again when the servers or the address change, not when only the timeout does", () => {
    const base = inputs("http://192.0.2.1:50000", 600);
    expect(diffReadinessInputs(base, { ...base, timeoutSeconds: 900 })).to.deep.equal({ changes: true, replaces: [] });
    expect(diffReadinessInputs(base, { ...base, servers: { frontend: "g" } }).replaces).to.deep.equal(["servers"]);
    expect(diffReadinessInputs(base, { ...base, url: "http://192.0.2.2:50000" }).replaces).to.deep.equal(["url"]);
    expect(diffReadinessInputs(base, { ...base }).changes).to.equal(false);
    // A stack made before the hint existed gains it without a new check.
    expect(diffReadinessInputs(base, { ...base, hint: "set networkBackend" }).changes).to.equal(false);
  });
});
