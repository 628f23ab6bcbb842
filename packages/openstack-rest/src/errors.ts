/**
 * Errors raised by the client. Every HTTP failure carries the method, the URL (query
 * string kept, credentials never present in URLs we build), the status, the request id
 * OpenStack returned and OpenStack's own message — never a header or body we sent.
 */

export interface OpenStackErrorDetails {
  method: string;
  url: string;
  status: number;
  requestId?: string;
  /** OpenStack's message, extracted from the error body (Nova, Neutron, Glance and Keystone shapes). */
  serviceMessage: string;
  /** OpenStack's error type where it gives one (e.g. Neutron `SecurityGroupRuleExists`). */
  errorType?: string;
}

export class OpenStackError extends Error {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly requestId?: string;
  readonly serviceMessage: string;
  readonly errorType?: string;

  constructor(d: OpenStackErrorDetails) {
    const rid = d.requestId ? ` [request ${d.requestId}]` : "";
    super(`${d.method} ${d.url} → ${d.status}${rid}: ${describeStatus(d.status, d.serviceMessage)}`);
    this.name = "OpenStackError";
    this.method = d.method;
    this.url = d.url;
    this.status = d.status;
    this.requestId = d.requestId;
    this.serviceMessage = d.serviceMessage;
    this.errorType = d.errorType;
  }

  /** True when OpenStack refused the call because a quota or size limit would be exceeded. */
  get isQuota(): boolean {
    return isQuotaRefusal(this.status, this.serviceMessage);
  }
}

/** Raised for transport failures (connection refused/reset, timeouts) after retries ran out. */
export class OpenStackConnectionError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly cause: Error,
  ) {
    super(`${method} ${url} failed: ${cause.message}`);
    this.name = "OpenStackConnectionError";
  }
}

/** Raised when configuration (clouds.yaml / OS_* / arguments) is incomplete or contradictory. */
export class OpenStackConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpenStackConfigError";
  }
}

export function isQuotaRefusal(status: number, message: string): boolean {
  if (status === 413) return true; // Glance image_size_cap / storage quota, Nova over-limit (old)
  if (status === 403 || status === 409) return /quota|over ?limit|exceed/i.test(message);
  return false;
}

function describeStatus(status: number, message: string): string {
  if (isQuotaRefusal(status, message)) return `quota or limit exceeded: ${message}`;
  return message || "(no message)";
}

/**
 * Pulls OpenStack's message out of an error body. Shapes seen in the wild:
 *  Nova     {"badRequest": {"message": "...", "code": 400}} / {"forbidden": {...}} / {"conflictingRequest": {...}}
 *  Neutron  {"NeutronError": {"type": "...", "message": "...", "detail": ""}}
 *  Keystone {"error": {"code": 401, "message": "...", "title": "Unauthorized"}}
 *  Glance   HTML/plain text "<html>...<h1>409 Conflict</h1>..." or {"message": ...}
 */
export function extractServiceMessage(body: string): { message: string; type?: string } {
  const text = body.trim();
  if (!text) return { message: "" };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object") {
      const obj = parsed as Record<string, unknown>;
      if (typeof obj.message === "string") return { message: obj.message };
      if (typeof obj.title === "string" && typeof obj.description === "string") {
        return { message: `${obj.title}: ${obj.description}` };
      }
      for (const [key, value] of Object.entries(obj)) {
        if (value && typeof value === "object") {
          const inner = value as Record<string, unknown>;
          if (typeof inner.message === "string") {
            const type = typeof inner.type === "string" ? inner.type : key === "error" ? undefined : key;
            return { message: inner.message, type };
          }
        }
      }
    }
  } catch {
    /* not JSON: fall through to text */
  }
  const stripped = text
    .replace(/<head>[\s\S]*?<\/head>/i, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return { message: stripped.slice(0, 500) };
}
