/** Real processes: start in the background, track by pid + start time, stop by process group. */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { processStartTime, readPidRecord, runningPid, startProcess, stopProcess } from "../src/processes";

describe("minicloud process supervision", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mc-proc-"));
  });
  afterEach(async () => {
    await stopProcess(path.join(dir, "run"), "sleeper", 2000);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts a detached process, logs its output, and stops it together with its children", async () => {
    const runDir = path.join(dir, "run");
    const logDir = path.join(dir, "log");
    // A parent with a child: stopping must end both (the group), not only the leader.
    const pid = startProcess({
      name: "sleeper",
      argv: ["/bin/sh", "-c", "echo hello; sleep 300 & wait"],
      runDir,
      logDir,
    });
    expect(runningPid(runDir, "sleeper")).to.equal(pid);
    expect(readPidRecord(runDir, "sleeper")?.startTime).to.equal(processStartTime(pid));
    await new Promise((r) => setTimeout(r, 300));
    expect(fs.readFileSync(path.join(logDir, "sleeper.log"), "utf8")).to.contain("hello");
    expect(await stopProcess(runDir, "sleeper")).to.equal("stopped");
    expect(runningPid(runDir, "sleeper")).to.equal(undefined);
    expect(() => process.kill(-pid, 0)).to.throw();
    expect(fs.existsSync(path.join(runDir, "sleeper.pid"))).to.equal(false);
  });

  it("ignores a pid file whose pid now belongs to another process", async () => {
    const runDir = path.join(dir, "run");
    fs.mkdirSync(runDir, { recursive: true });
    // Our own pid, with a start time that is not ours: must be treated as not running.
    fs.writeFileSync(
      path.join(runDir, "sleeper.pid"),
      JSON.stringify({ pid: process.pid, startTime: "1", argv: [], startedAt: "" }),
    );
    expect(runningPid(runDir, "sleeper")).to.equal(undefined);
    expect(await stopProcess(runDir, "sleeper")).to.equal("not-running");
  });
});
