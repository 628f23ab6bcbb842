/**
 * The fields of OpenStack API responses that minicloud's bootstrap reads, as `request<T>` types
 * them. A response holds more; only what the code uses is declared, so a field read here is a
 * field named here.
 */

/** Any object an API creates or lists: projects, users, roles, networks, … */
export interface Identified {
  id: string;
}

export interface KeystoneService extends Identified {
  type: string;
}

export interface KeystoneEndpoint extends Identified {
  service_id: string;
  interface: string;
  url: string;
}

export interface NeutronSubnet extends Identified {
  cidr: string;
}

export interface NeutronAgent {
  binary: string;
  host: string;
  alive: boolean;
}

export interface NovaService {
  host: string;
  state: string;
}

export interface NovaHypervisor {
  service?: { host?: string };
}

export interface NovaAggregate {
  id: number;
  name: string;
  hosts?: string[];
}

export interface NovaFlavor extends Identified {
  name: string;
}

/** Glance keeps an image's custom properties as top-level fields beside its own. */
export interface GlanceImage extends Identified {
  status: string;
  [property: string]: unknown;
}
