/**
 * An employee's side of a Jupyter workspace, for the real login tests (an nspawn guest in
 * jupyter-login.test.ts, a minicloud guest through its floating IP in
 * test/engine/jupyter-guests.engine.test.ts): the login form with curl and a cookie jar, and a
 * kernel that runs code over the kernel's WebSocket (undici), as the browser does.
 *
 * TLS: the server's certificate is its host's own snakeoil one (self-signed, made at first boot
 * for the host name), so no CA vouches for it. With `pin` (the certificate the admin read from the
 * guest over SSH, as the connection sheet tells them to), every connection accepts that public
 * key only; without it (the nspawn guest, reached on a lab address) the certificate is not checked.
 */
import { spawnSync } from "node:child_process";
import { randomUUID, createHash, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Agent, WebSocket } from "undici";

export interface JupyterTls {
  /** The server's certificate (PEM): its public key is the only one accepted. */
  certificatePem: string;
}

/** curl's --pinnedpubkey form of a certificate's public key: "sha256//<base64 of the SPKI's SHA-256>". */
export function publicKeyPin(certificate: string | Buffer): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" });
  return `sha256//${createHash("sha256").update(spki).digest("base64")}`;
}

export interface CurlAnswer {
  status: number;
  body: string;
  location: string;
}

/** curl from this machine with a cookie jar; with `tls`, the server's key must be the pinned one. */
export function curl(jar: string, args: string[], tls?: JupyterTls): CurlAnswer {
  // -k: the certificate is self-signed for the guest's host name (not its address); the pin,
  // when given, is still enforced (curl checks --pinnedpubkey even with -k).
  const pin = tls ? ["--pinnedpubkey", publicKeyPin(tls.certificatePem)] : [];
  const r = spawnSync(
    "curl",
    [
      "-sk",
      ...pin,
      "-c",
      jar,
      "-b",
      jar,
      "--max-time",
      "20",
      "-o",
      "-",
      "-w",
      "\n%{http_code} %{redirect_url}",
      ...args,
    ],
    { encoding: "utf8" },
  );
  // 90: the server's key is not the pinned one.
  if (r.status !== 0) throw new Error(`curl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const cut = r.stdout.lastIndexOf("\n");
  const [status, location] = r.stdout.slice(cut + 1).split(" ");
  return { status: Number(status), body: r.stdout.slice(0, cut), location: location ?? "" };
}

/** The jar's cookies: [name, value] (curl marks HttpOnly ones with a "#HttpOnly_" prefix). */
function jarCookies(jar: string): [string, string][] {
  return fs
    .readFileSync(jar, "utf8")
    .split("\n")
    .map((l) => l.replace(/^#HttpOnly_/, ""))
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.split("\t"))
    .filter((f) => f.length >= 7)
    .map((f) => [f[5], f[6].trim()]);
}

export function xsrfOf(jar: string): string {
  const cookie = jarCookies(jar).find(([name]) => name === "_xsrf");
  if (!cookie) throw new Error(`no _xsrf cookie in ${jar}`);
  return cookie[1];
}

/** Logs in through Jupyter's login form; returns the jar and the POST's answer. */
export function login(base: string, password: string, tls?: JupyterTls): { jar: string; answer: CurlAnswer } {
  const jar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jupyter-jar-")), "cookies");
  const page = curl(jar, [`${base}login`], tls);
  if (page.status !== 200) throw new Error(`GET ${base}login answered ${page.status}: ${page.body.slice(0, 400)}`);
  // The password goes in the request body (from a file), never on curl's command line.
  const form = path.join(path.dirname(jar), "form");
  fs.writeFileSync(form, `_xsrf=${encodeURIComponent(xsrfOf(jar))}&password=${encodeURIComponent(password)}`, {
    mode: 0o600,
  });
  const answer = curl(
    jar,
    ["--data-binary", `@${form}`, "-H", "Content-Type: application/x-www-form-urlencoded", `${base}login?next=%2Ftree`],
    tls,
  );
  fs.rmSync(form);
  return { jar, answer };
}

/** Starts a Python kernel through the API (POST with the XSRF token, as the web UI does); its ID. */
export function startKernel(base: string, jar: string, tls?: JupyterTls): string {
  const kernel = curl(jar, ["-X", "POST", "-H", `X-XSRFToken: ${xsrfOf(jar)}`, `${base}api/kernels`], tls);
  if (kernel.status !== 201) throw new Error(`POST ${base}api/kernels answered ${kernel.status}: ${kernel.body}`);
  return JSON.parse(kernel.body).id as string;
}

export function deleteKernel(base: string, jar: string, kernelId: string, tls?: JupyterTls): void {
  curl(jar, ["-X", "DELETE", "-H", `X-XSRFToken: ${xsrfOf(jar)}`, `${base}api/kernels/${kernelId}`], tls);
}

/** A kernel's channels WebSocket, open: what a notebook tab holds while it is open. */
export interface KernelChannel {
  /** Runs `code` in the kernel; its stdout and the reply's status ("ok" / "error"). */
  execute(code: string, timeoutMs?: number): Promise<{ stdout: string; status: string }>;
  close(): Promise<void>;
}

/**
 * Opens the kernel's channels WebSocket with the login's cookies. With `tls`, the TLS connection
 * accepts the pinned certificate only (it is its own CA; the host name is not checked, the key is).
 */
export async function openKernel(
  base: string,
  jar: string,
  kernelId: string,
  tls?: JupyterTls,
): Promise<KernelChannel> {
  const url = new URL(`api/kernels/${kernelId}/channels?session_id=${randomUUID()}`, base);
  url.protocol = "wss:";
  const pinned = tls ? publicKeyPin(tls.certificatePem) : undefined;
  const dispatcher = new Agent({
    connect: tls
      ? {
          ca: tls.certificatePem,
          checkServerIdentity: (_host, cert) =>
            publicKeyPin(cert.raw) === pinned ? undefined : new Error("the server's public key is not the pinned one"),
        }
      : { rejectUnauthorized: false },
  });
  const cookie = jarCookies(jar)
    .map(([n, v]) => `${n}=${v}`)
    .join("; ");
  const ws = new WebSocket(url.toString(), {
    dispatcher,
    headers: { Cookie: cookie, Origin: new URL(base).origin },
  });
  const listeners = new Set<(msg: Record<string, any>) => void>();
  ws.addEventListener("message", (ev) => {
    const msg = JSON.parse(String(ev.data)) as Record<string, any>;
    for (const l of listeners) l(msg);
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener(
      "error",
      (ev) => reject(new Error(`WebSocket ${url.pathname}: ${String((ev as any).error ?? ev.type)}`)),
      {
        once: true,
      },
    );
  });
  return {
    execute(code: string, timeoutMs = 60_000) {
      const msgId = randomUUID();
      return new Promise((resolve, reject) => {
        let stdout = "";
        let status = "";
        let idle = false;
        const timer = setTimeout(() => {
          listeners.delete(onMessage);
          reject(new Error(`the kernel did not answer within ${timeoutMs / 1000} s (stdout so far: ${stdout})`));
        }, timeoutMs);
        const onMessage = (msg: Record<string, any>) => {
          if (msg.parent_header?.msg_id !== msgId) return;
          const type = msg.msg_type ?? msg.header?.msg_type;
          if (type === "stream" && msg.content?.name === "stdout") stdout += msg.content.text;
          if (type === "error") stdout += `${msg.content?.ename}: ${msg.content?.evalue}`;
          if (type === "execute_reply") status = msg.content?.status;
          if (type === "status" && msg.content?.execution_state === "idle") idle = true;
          if (status && idle) {
            clearTimeout(timer);
            listeners.delete(onMessage);
            resolve({ stdout, status });
          }
        };
        listeners.add(onMessage);
        // Jupyter's messaging protocol (v5), as the notebook page sends it on the shell channel.
        ws.send(
          JSON.stringify({
            header: { msg_id: msgId, msg_type: "execute_request", username: "", session: randomUUID(), version: "5.3" },
            parent_header: {},
            metadata: {},
            channel: "shell",
            content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
            buffers: [],
          }),
        );
      });
    },
    async close() {
      if (ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise((resolve) => ws.addEventListener("close", resolve, { once: true }));
        ws.close();
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
      }
      await dispatcher.close().catch(() => undefined);
    },
  };
}
