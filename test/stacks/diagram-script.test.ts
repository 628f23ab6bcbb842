import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderStackDiagram } from "../../scripts/diagram";
import { installMocks } from "@openstack-blueprints/test-harness";
import { runStackOnce } from "@openstack-blueprints/test-harness/src/stack-runner";

describe("npm run diagram -- --stack NAME", function () {
  this.timeout(300_000);

  it("writes Mermaid and SVG of the office stack from the root program under the harness", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "diagrams-"));
    try {
      const result = await renderStackDiagram("office", out, await runStackOnce(installMocks(), "office"));
      const mermaid = fs.readFileSync(result.mermaidFile, "utf8");
      expect(mermaid).to.contain('[["office<br/>192.168.50.0/24"]]:::network');
      expect(mermaid).to.contain('[["public (external)<br/>172.24.4.0/24"]]:::external');
      expect(mermaid).to.match(/router1 ---\|"192\.168\.50\.1"\| net2/);
      // The pool is one box, booted from the image the stack bakes (named by its package hash).
      expect(mermaid).to.match(
        /office-desktops-staff001 … office-desktops-staff200 \(×200\)<br\/>m1\.desktop · baked office-desktop-image-[0-9a-f]{12}/,
      );
      const svg = fs.readFileSync(result.svgFile, "utf8");
      expect(svg)
        .to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
        .and.contain("router office-router");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
