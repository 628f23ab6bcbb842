/**
 * Checks every generated artifact with the real tools: `cloud-init schema` for cloud-config
 * documents, `bash -n` and `shellcheck` for shell scripts. Used by every component's tests.
 * A missing tool is a test failure that names the install command (CI installs both).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

function requireTool(tool: string, debianPackage: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(`${tool} is not installed; install it with: sudo apt-get install -y ${debianPackage}`);
  }
}

function withTempFile<T>(name: string, content: string, fn: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blueprints-artifact-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  try {
    return fn(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Validates a #cloud-config document with the real `cloud-init schema -c`. Throws with its report. */
export function assertValidCloudConfig(document: string, label = "cloud-config"): void {
  requireTool("cloud-init", "cloud-init");
  withTempFile("user-data.yaml", document, (file) => {
    const result = spawnSync("cloud-init", ["schema", "-c", file], { encoding: "utf8" });
    const report = `${result.stdout}${result.stderr}`;
    if (result.status !== 0 || !/Valid cloud-config/.test(report)) {
      throw new Error(`${label} fails cloud-init schema:\n${report}\n--- document ---\n${document}`);
    }
    // 22.4 reports deprecated keys without failing; we treat them as errors (they get removed).
    if (/deprecat/i.test(report)) {
      throw new Error(`${label} uses deprecated cloud-init keys:\n${report}`);
    }
  });
}

/** Checks a bash script with `bash -n` and `shellcheck` (all severities). Throws with their output. */
export function assertValidShellScript(script: string, label = "script"): void {
  requireTool("shellcheck", "shellcheck");
  withTempFile("script.sh", script, (file) => {
    const syntax = spawnSync("bash", ["-n", file], { encoding: "utf8" });
    if (syntax.status !== 0) {
      throw new Error(`${label} fails bash -n:\n${syntax.stderr}\n--- script ---\n${numbered(script)}`);
    }
    const lint = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "--format=gcc", file], {
      encoding: "utf8",
    });
    if (lint.status !== 0) {
      throw new Error(`${label} fails shellcheck:\n${lint.stdout}${lint.stderr}\n--- script ---\n${numbered(script)}`);
    }
  });
}

function numbered(text: string): string {
  return text
    .split("\n")
    .map((line, i) => `${String(i + 1).padStart(4)}  ${line}`)
    .join("\n");
}

/** The installed cloud-init version, e.g. "22.4.2". */
export function cloudInitVersion(): string {
  requireTool("cloud-init", "cloud-init");
  return execFileSync("cloud-init", ["--version"], { encoding: "utf8" }).trim().split(/\s+/).pop() ?? "";
}
