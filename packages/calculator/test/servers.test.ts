import { expect } from "chai";
import * as http from "node:http";
import * as net from "node:net";
import { bundlePath, CalculatorRole } from "../src/bundles";
import { MAX_MAGNITUDE } from "../src/numbers";
import { OPERATION_NAMES, OperationName } from "../src/operations";
import { httpRequest, postJson, RunningServer, startServer } from "./support/processes";

/**
 * The five real calculator processes (the committed bundles, exactly what the topology
 * deploys) on loopback, each on a kernel-chosen port, computing through real HTTP.
 */
function startRole(role: CalculatorRole, flags: string[]): Promise<RunningServer> {
  return startServer(role, [process.execPath, bundlePath(role), "--host", "127.0.0.1", "--port", "0", ...flags]);
}

function serviceFlags(urls: Record<OperationName, string>): string[] {
  return OPERATION_NAMES.flatMap((name) => [`--${name}-url`, urls[name]]);
}

/** A port nothing listens on: bind, note it, close. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("calculator: five real HTTP servers on loopback", function () {
  this.timeout(60000);
  const started: RunningServer[] = [];
  const services = {} as Record<OperationName, RunningServer>;
  let frontend: RunningServer;
  const urls = {} as Record<OperationName, string>;

  async function startFrontend(
    serviceUrls: Record<OperationName, string>,
    extra: string[] = [],
  ): Promise<RunningServer> {
    const server = await startRole("frontend", [...serviceFlags(serviceUrls), ...extra]);
    started.push(server);
    return server;
  }

  before(async () => {
    for (const name of OPERATION_NAMES) {
      services[name] = await startRole(name, []);
      started.push(services[name]);
      urls[name] = services[name].url;
    }
    frontend = await startFrontend(urls);
  });

  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  const calculate = (expression: unknown, server = frontend) => postJson(`${server.url}/calculate`, { expression });

  it("computes the issue's example and others through the services", async () => {
    const cases: [string, number][] = [
      ["(4+5)*3-10/2", 22],
      ["2+3*4", 14],
      ["-(2+3)*-2", 10],
      ["1.5*4 - .5", 5.5],
      ["7/2", 3.5],
      ["10-4-3", 3],
    ];
    for (const [expression, result] of cases) {
      const answer = await calculate(expression);
      expect(answer.status, `${expression}: ${answer.body}`).to.equal(200);
      expect(answer.json, expression).to.deep.equal({ result });
    }
  });

  it("each operation service answers POST / {a, b} and GET /healthz", async () => {
    const expected: Record<OperationName, number> = { sum: 5, sub: -1, mul: 6, div: 2 / 3 };
    for (const name of OPERATION_NAMES) {
      const answer = await postJson(services[name].url + "/", { a: 2, b: 3 });
      expect(answer.status, answer.body).to.equal(200);
      expect(answer.json).to.deep.equal({ result: expected[name] });
      const health = await httpRequest(services[name].url + "/healthz", "GET");
      expect(health.json).to.deep.equal({ status: "ok", operation: name });
    }
  });

  it("operation services refuse bad operands with 4xx and a reason", async () => {
    const sum = services.sum.url + "/";
    const bad = [
      [await httpRequest(sum, "POST", "{not json"), 400, "invalid_json"],
      [await postJson(sum, { a: 1 }), 400, "invalid_request"],
      [await postJson(sum, { a: "1", b: 2 }), 400, "invalid_request"],
      [await postJson(sum, [1, 2]), 400, "invalid_request"],
      [await httpRequest(sum, "POST", '{"a": 1e400, "b": 1}'), 422, "out_of_range"],
      [await postJson(sum, { a: MAX_MAGNITUDE, b: 1 }), 422, "out_of_range"],
      [await postJson(services.div.url + "/", { a: 1, b: 0 }), 422, "division_by_zero"],
      [await httpRequest(sum, "GET"), 405, "method_not_allowed"],
      [await httpRequest(services.sum.url + "/nope", "POST", "{}"), 404, "not_found"],
    ] as const;
    for (const [answer, status, code] of bad) {
      expect(answer.status, answer.body).to.equal(status);
      expect(answer.json.error.code, answer.body).to.equal(code);
      expect(answer.json.error.message).to.be.a("string").and.not.equal("");
    }
  });

  it("front end: 400 for malformed JSON, a missing expression and a bad expression", async () => {
    const malformed = await httpRequest(`${frontend.url}/calculate`, "POST", '{"expression": "1+1"');
    expect(malformed.status).to.equal(400);
    expect(malformed.json.error.code).to.equal("invalid_json");

    for (const body of [{}, { expression: 12 }, "1+1", null]) {
      const answer = await postJson(`${frontend.url}/calculate`, body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.json.error.code).to.equal("invalid_request");
      expect(answer.json.error.message).to.contain('{"expression"');
    }

    const bad = await calculate("(1+2");
    expect(bad.status).to.equal(400);
    expect(bad.json.error).to.deep.equal({
      code: "invalid_expression",
      message: 'missing ")" for the "(" at position 1',
    });
  });

  it("front end: 422 for division by zero, reported by the div service", async () => {
    const answer = await calculate("4/(2-2)");
    expect(answer.status).to.equal(422);
    expect(answer.json.error.code).to.equal("division_by_zero");
    expect(answer.json.error.message).to.equal("div service: division by zero: 4 / 0");
  });

  it("front end: 422 for numbers out of range, in a literal or in a result", async () => {
    const literal = await calculate("99999999999999999999 + 1");
    expect(literal.status).to.equal(422);
    expect(literal.json.error.code).to.equal("out_of_range");
    expect(literal.json.error.message).to.contain("the number at position 1");

    const product = await calculate(`${MAX_MAGNITUDE} * 2`);
    expect(product.status).to.equal(422);
    expect(product.json.error.code).to.equal("out_of_range");
    expect(product.json.error.message).to.match(
      /^mul service: the result of 9007199254740991 \* 2 = 18014398509481982 is out of range/,
    );
  });

  it("front end: 413 for a body over the limit, 404/405 for wrong paths and methods", async () => {
    const huge = await httpRequest(
      `${frontend.url}/calculate`,
      "POST",
      JSON.stringify({ expression: "1+".repeat(10000) + "1" }),
    );
    expect(huge.status).to.equal(413);
    expect(huge.json.error.code).to.equal("body_too_large");
    expect((await httpRequest(`${frontend.url}/calculate`, "GET")).status).to.equal(405);
    expect((await httpRequest(`${frontend.url}/`, "POST", "{}")).status).to.equal(404);
  });

  it("GET /healthz lists every service as answering", async () => {
    const health = await httpRequest(`${frontend.url}/healthz`, "GET");
    expect(health.status).to.equal(200);
    expect(health.json.status).to.equal("ok");
    for (const name of OPERATION_NAMES) {
      expect(health.json.services[name]).to.include({ url: urls[name], up: true });
    }
  });

  it("every operator goes to its own service: with one service gone, only its operator fails (502 naming it)", async () => {
    const probes: Record<OperationName, string> = { sum: "6+2", sub: "6-2", mul: "6*2", div: "6/2" };
    const deadPort = await closedPort();
    for (const down of OPERATION_NAMES) {
      const wiring = { ...urls, [down]: `http://127.0.0.1:${deadPort}` };
      const partial = await startFrontend(wiring);
      for (const name of OPERATION_NAMES) {
        const answer = await calculate(probes[name], partial);
        if (name === down) {
          expect(answer.status, answer.body).to.equal(502);
          expect(answer.json.error.code).to.equal("service_unavailable");
          expect(answer.json.error.message).to.equal(
            `the ${down} service at http://127.0.0.1:${deadPort} is unreachable (ECONNREFUSED)`,
          );
        } else {
          expect(answer.status, `${probes[name]} with ${down} down: ${answer.body}`).to.equal(200);
        }
      }
      await partial.stop();
    }
  });

  it("502 naming the service after it is stopped; /healthz shows it down (503)", async () => {
    await services.sub.stop();
    const answer = await calculate("(4+5)*3-10/2");
    expect(answer.status).to.equal(502);
    expect(answer.json.error.code).to.equal("service_unavailable");
    expect(answer.json.error.message).to.contain(`the sub service at ${urls.sub} is unreachable`);
    expect((await calculate("(4+5)*3")).json).to.deep.equal({ result: 27 });

    const health = await httpRequest(`${frontend.url}/healthz`, "GET");
    expect(health.status).to.equal(503);
    expect(health.json.status).to.equal("degraded");
    expect(health.json.services.sub.up).to.equal(false);
    expect(health.json.services.sum.up).to.equal(true);
  });

  it("504 when a service accepts the connection but never answers (timeout honoured)", async () => {
    const sockets = new Set<net.Socket>();
    const hanging = net.createServer((socket) => sockets.add(socket)); // reads nothing, answers nothing
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", () => r()));
    const hangingUrl = `http://127.0.0.1:${(hanging.address() as net.AddressInfo).port}`;
    try {
      const slow = await startFrontend({ ...urls, mul: hangingUrl }, ["--service-timeout-ms", "400"]);
      const answer = await calculate("2*3", slow);
      expect(answer.status, answer.body).to.equal(504);
      expect(answer.json.error).to.deep.equal({
        code: "service_timeout",
        message: `the mul service at ${hangingUrl} did not answer within 400 ms`,
      });
      expect(answer.elapsedMs).to.be.within(380, 3000);
      const health = await httpRequest(`${slow.url}/healthz`, "GET");
      expect(health.json.services.mul.up).to.equal(false);
      expect(health.json.services.mul.detail).to.contain("did not answer within 400 ms");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hanging.close(() => r()));
    }
  });

  it("502 when a service answers something that is not the protocol", async () => {
    const broken = http.createServer((_req, res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("kaboom");
    });
    await new Promise<void>((r) => broken.listen(0, "127.0.0.1", () => r()));
    const brokenUrl = `http://127.0.0.1:${(broken.address() as net.AddressInfo).port}`;
    try {
      const wired = await startFrontend({ ...urls, sum: brokenUrl });
      const answer = await calculate("1+1", wired);
      expect(answer.status).to.equal(502);
      expect(answer.json.error.code).to.equal("bad_service_response");
      expect(answer.json.error.message).to.contain(`the sum service at ${brokenUrl} answered HTTP 500`);
    } finally {
      await new Promise<void>((r) => broken.close(() => r()));
    }
  });

  it("refuses bad start-up flags with exit code 2 and the flag named", async () => {
    for (const [flags, message] of [
      [["--port", "70000"], "--port must be a TCP port"],
      [["--sum-url", "ftp://x"], "--sum-url must be an http:// URL"],
      [["--service-timeout-ms", "0"], "--service-timeout-ms must be an integer"],
      [["--bogus", "1"], "unknown flag --bogus"],
    ] as const) {
      const err = await startServer("bad frontend", [process.execPath, bundlePath("frontend"), ...flags]).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message, flags.join(" ")).to.contain("exited (code 2").and.contain(message);
    }
  });
});
