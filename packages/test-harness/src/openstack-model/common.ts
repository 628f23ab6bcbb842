// What every service of the model shares: the API error, the readers of raw inputs, the
// context a creation gets, and one ID counter (IDs are numbered across services, as before the
// split, so tests that name `port-<name>-<n>` keep their numbers).

/** Thrown for anything the real API would refuse; the message imitates the API's. */
export class OpenStackApiError extends Error {
  constructor(
    public readonly service: string,
    public readonly status: number,
    message: string,
  ) {
    super(`${service} ${status}: ${message}`);
    this.name = "OpenStackApiError";
  }
}

export const neutron = (status: number, message: string) => new OpenStackApiError("Neutron", status, message);
export const nova = (status: number, message: string) => new OpenStackApiError("Nova", status, message);
export const glance = (status: number, message: string) => new OpenStackApiError("Glance", status, message);

/** Inputs arrive as plain JSON-ish values; these read them defensively. */
export type Inputs = Record<string, unknown>;
export const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
export const arr = (v: unknown): Inputs[] => (Array.isArray(v) ? (v as Inputs[]) : []);

/** What a creation returns: the object's ID and the state the provider would report. */
export interface Created {
  id: string;
  state: Inputs;
}

export interface CreateContext {
  type: string;
  name: string;
  inputs: Inputs;
  /** Whether this resource depends on the URN, transitively (explicit dependsOn and inputs). */
  dependsOn: (urn: string) => boolean;
  /** URN of each object ID created so far, to check dependencies by ID. */
  urnOfId: (id: string) => string | undefined;
}

/** A readable, unique ID: `<kind>-<resource name>-<n>`, like a UUID but greppable in tests. */
export class IdSource {
  private counter = 0;

  next(kind: string, name: string): string {
    this.counter += 1;
    return `${kind}-${name}-${this.counter}`;
  }
}
