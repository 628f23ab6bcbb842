/** One object per cloud: a Keystone session and the service APIs that share it. */
import { Cinder } from "./cinder";
import { CloudConfig, loadCloud } from "./config";
import { Glance } from "./glance";
import { Neutron } from "./neutron";
import { DEFAULT_COMPUTE_MICROVERSION, Nova } from "./nova";
import { Session, SessionOptions } from "./session";

export interface ClientOptions extends SessionOptions {
  computeMicroversion?: string;
}

export class OpenStackClient {
  readonly session: Session;
  readonly nova: Nova;
  readonly glance: Glance;
  readonly neutron: Neutron;
  readonly cinder: Cinder;

  constructor(
    readonly cloud: CloudConfig,
    opts: ClientOptions = {},
  ) {
    this.session = new Session(cloud, opts);
    this.nova = new Nova(this.session, opts.computeMicroversion ?? DEFAULT_COMPUTE_MICROVERSION);
    this.glance = new Glance(this.session);
    this.neutron = new Neutron(this.session);
    this.cinder = new Cinder(this.session);
  }

  /** Client for a clouds.yaml entry (or OS_CLOUD, or OS_* variables when name is undefined). */
  static fromCloud(name?: string, opts: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): OpenStackClient {
    return new OpenStackClient(loadCloud(name, env), opts);
  }

  /** Authenticates now (otherwise the first call does). */
  async connect(): Promise<this> {
    await this.session.ensureToken();
    return this;
  }

  close(): void {
    this.session.close();
  }
}
